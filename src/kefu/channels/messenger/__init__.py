"""Facebook Messenger channel: importing kefu.channels.messenger.adapter registers it."""
