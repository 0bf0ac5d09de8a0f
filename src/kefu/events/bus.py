"""`send_event_on_commit`: actions queue events on their session; `Database.write`
publishes them after commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.db import PENDING_EVENTS
from kefu.events.types import Event


def send_event_on_commit(session: AsyncSession, event: Event) -> None:
    session.info.setdefault(PENDING_EVENTS, []).append(event)
