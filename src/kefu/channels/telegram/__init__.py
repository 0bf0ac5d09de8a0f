"""Telegram Bot API channel (webhook.py: secret token + updates, client.py: API calls,
adapter.py: the ChannelAdapter registered as "telegram")."""
