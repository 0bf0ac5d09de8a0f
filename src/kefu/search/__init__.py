"""Full-text search over messages, contacts and conversations (see docs/search.md)."""
