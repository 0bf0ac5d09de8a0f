"""Files on messages: per-inbox limits, content checks, storage, signed links. See
docs/attachments.md."""
