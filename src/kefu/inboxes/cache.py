"""Inboxes by public key for the widget socket, shared by all of a node's connections.

Each open widget socket would otherwise keep its own ORM copy of its inbox alive for hours;
one shared, detached copy per inbox keeps per-connection memory down. Entries are re-read after
`ttl` seconds, so settings changes (origins, team, reopen window) reach new messages within it.
"""

from __future__ import annotations

import time

from kefu.db import Database
from kefu.inboxes.models import Inbox
from kefu.inboxes.queries import get_inbox_by_key


class InboxCache:
    def __init__(self, db: Database, *, ttl: float = 30.0) -> None:
        self.db = db
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Inbox | None]] = {}

    async def by_key(self, public_key: str) -> Inbox | None:
        now = time.monotonic()
        entry = self._entries.get(public_key)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        async with self.db.read() as session:
            inbox = await get_inbox_by_key(session=session, public_key=public_key)
        if inbox is not None or len(self._entries) < 10_000:  # bound misses for unknown keys
            self._entries[public_key] = (now, inbox)
        return inbox
