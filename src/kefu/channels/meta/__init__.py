"""What WhatsApp Cloud API and Messenger share: both are Meta webhooks (a GET verification
handshake, an X-Hub-Signature-256 HMAC over the raw body) and Graph API error bodies."""
