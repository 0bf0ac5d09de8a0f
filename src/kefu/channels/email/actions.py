"""The email channel's own writes: what the IMAP poller remembers on the inbox
(`Inbox.channel_state["imap"]`): the mailbox cursor, when it was last polled, the last error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.channels.email.imap import ImapCursor
from kefu.inboxes.models import Inbox

MAILBOX_STATE_KEY = "imap"


async def _update(session: AsyncSession, inbox_id: int, changes: dict[str, Any]) -> None:
    inbox = await session.get(Inbox, inbox_id, with_for_update=True)
    if inbox is None:
        return
    state = dict(inbox.channel_state or {})
    state[MAILBOX_STATE_KEY] = {**(state.get(MAILBOX_STATE_KEY) or {}), **changes}
    inbox.channel_state = state  # a new object: the JSON column sees the change


async def do_save_mailbox_cursor(
    session: AsyncSession, *, inbox_id: int, cursor: ImapCursor
) -> None:
    """The mailbox's UIDVALIDITY and last UID imported (kefu.channels.email.imap)."""
    await _update(
        session,
        inbox_id,
        {"uidvalidity": cursor.uidvalidity, "last_uid": cursor.last_uid, "error": None},
    )


async def do_note_mailbox_poll(
    session: AsyncSession, *, inbox_id: int, at: datetime | None = None, error: str | None = None
) -> None:
    """A poll started (`at`), or failed (`error`, shown to admins on the inbox's state)."""
    changes: dict[str, Any] = {}
    if at is not None:
        changes["polled_at"] = at.isoformat()
    if error is not None:
        changes["error"] = error
    await _update(session, inbox_id, changes)
