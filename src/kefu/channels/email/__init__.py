"""The email channel (docs/channels/email.md): SMTP listener and IMAP polling in, SMTP out."""
