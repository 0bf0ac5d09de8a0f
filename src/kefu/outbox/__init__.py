"""The outbox: work that must happen after a commit (emails, channel sends, scheduled
messages), written by actions in their own transaction and run by the worker, retried with
backoff and dead-lettered, never dropped. See docs/outbox.md."""
