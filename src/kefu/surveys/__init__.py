"""Satisfaction surveys: CSAT (1-5, with a comment) and, per inbox, NPS (0-10), asked in the
widget when a conversation is resolved. See docs/surveys.md."""
