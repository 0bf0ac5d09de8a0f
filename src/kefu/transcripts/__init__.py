"""Conversation transcripts: emailed to the customer on request (through the outbox and SMTP),
and exported by agents as one self-contained HTML file. See docs/surveys.md."""
