"""LINE Messaging API channel (webhook.py: signature + events, client.py: API calls,
adapter.py: the ChannelAdapter registered as "line")."""
