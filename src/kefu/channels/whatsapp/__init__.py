"""WhatsApp Cloud API channel: importing kefu.channels.whatsapp.adapter registers it."""
