"""Where mail meets the database: the SMTP listener's and the IMAP poller's `deliver`, the
address lookup, and the polling of every email inbox's mailbox.

Both ways in end in `kefu.channels.receive.receive_events` (files stored, events applied in one
transaction): a mail is acknowledged to the sending server (250) or its IMAP cursor advanced
only after it is committed. The cursor is saved in its own transaction just after; if kefu
stops in between, the next poll fetches that mail again and the Message-ID de-duplication
(channel_events) makes it a no-op: no mail is lost or stored twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from kefu.auth.sealing import SecretBox
from kefu.channels.base import PayloadInvalid
from kefu.channels.email.actions import (
    MAILBOX_STATE_KEY,
    do_note_mailbox_poll,
    do_save_mailbox_cursor,
)
from kefu.channels.email.adapter import EmailConfig, EmailSecrets
from kefu.channels.email.imap import ImapAccount, ImapCursor, ImapPollError, poll_mailbox
from kefu.channels.email.listener import InboxHandler, start_listener
from kefu.channels.email.parse import parse_email
from kefu.channels.receive import receive_events
from kefu.channels.settings import load_channel
from kefu.config import Settings
from kefu.db import Database, utcnow
from kefu.errors import KefuError
from kefu.inboxes.models import Inbox
from kefu.storage import Storage

log = logging.getLogger(__name__)


def _config(inbox: Inbox) -> EmailConfig | None:
    try:
        return EmailConfig.model_validate(inbox.channel_config or {})
    except ValidationError:
        return None


async def email_inbox_for(db: Database, address: str) -> int | None:
    """The email inbox that receives `address` through the listener, if any."""
    address = address.strip().lower()
    async with db.read() as session:
        inboxes = await session.scalars(select(Inbox).where(Inbox.channel_type == "email"))
        for inbox in inboxes:
            config = _config(inbox)
            if config is not None and config.listener_enabled and config.address == address:
                return inbox.id
    return None


async def deliver_mail(
    *, db: Database, storage: Storage, settings: Settings, inbox_id: int, raw: bytes
) -> None:
    """Parse one raw mail and commit it to the inbox (PayloadInvalid when it has no sender)."""
    events = parse_email(raw)
    await receive_events(
        db=db,
        storage=storage,
        inbox_id=inbox_id,
        events=events,
        max_file_bytes=settings.max_upload_bytes,
    )


async def start_email_listener(
    settings: Settings, db: Database, storage: Storage
) -> asyncio.Server | None:
    """kefu's SMTP listener on KEFU_EMAIL_LISTEN_HOST:PORT (None when the port is 0)."""
    if not settings.email_listen_port:
        return None

    async def resolve(address: str) -> int | None:
        return await email_inbox_for(db, address)

    async def deliver(inbox_id: int, raw: bytes) -> None:
        await deliver_mail(db=db, storage=storage, settings=settings, inbox_id=inbox_id, raw=raw)

    server = await start_listener(
        InboxHandler(resolve, deliver),
        host=settings.email_listen_host,
        port=settings.email_listen_port,
        max_bytes=settings.email_max_bytes,
        hostname=settings.node_name,
    )
    log.info("email listener on %s:%s", settings.email_listen_host, settings.email_listen_port)
    return server


def _cursor(state: dict[str, Any]) -> ImapCursor | None:
    saved = state.get(MAILBOX_STATE_KEY) or {}
    try:
        return ImapCursor(int(saved["uidvalidity"]), int(saved["last_uid"]))
    except (KeyError, TypeError, ValueError):
        return None


def _due(state: dict[str, Any], config: EmailConfig, now: datetime) -> bool:
    polled = (state.get(MAILBOX_STATE_KEY) or {}).get("polled_at")
    if not isinstance(polled, str):
        return True
    return now - datetime.fromisoformat(polled) >= timedelta(seconds=config.poll_seconds)


class MailPoller:
    """Polls the IMAP mailbox of every email inbox that has one, each every `poll_seconds`.

    Polls run as background tasks, one at a time per inbox, so a slow mail server never holds
    up the worker's other jobs. Two nodes polling the same mailbox at once import nothing twice
    (Message-ID de-duplication); `polled_at` is claimed first to make that rare.
    """

    def __init__(self, settings: Settings, db: Database, storage: Storage) -> None:
        self.settings = settings
        self.db = db
        self.storage = storage
        self._tasks: dict[int, asyncio.Task[None]] = {}

    async def run_due(self) -> int:
        """Start the polls that are due; the number started."""
        now = utcnow()
        async with self.db.read() as session:
            inboxes = list(
                await session.scalars(select(Inbox).where(Inbox.channel_type == "email"))
            )
        started = 0
        for inbox in inboxes:
            config = _config(inbox)
            if config is None or not config.imap_host or inbox.id in self._tasks:
                continue
            if not _due(dict(inbox.channel_state or {}), config, now):
                continue
            async with self.db.write() as session:
                await do_note_mailbox_poll(session, inbox_id=inbox.id, at=now)
            task = asyncio.get_running_loop().create_task(self.poll(inbox.id))
            self._tasks[inbox.id] = task
            task.add_done_callback(self._finished)
            started += 1
        return started

    def _finished(self, task: asyncio.Task[None]) -> None:
        for key, running in list(self._tasks.items()):
            if running is task:
                del self._tasks[key]

    async def wait(self) -> None:
        """Until the polls started so far have finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def poll(self, inbox_id: int) -> None:
        """One poll of one inbox's mailbox; failures are logged (and noted on the inbox's
        state for admins), the next poll tries again."""
        async with self.db.read() as session:
            inbox = await session.get(Inbox, inbox_id)
            if inbox is None:
                return
            state = dict(inbox.channel_state or {})
            try:
                channel = load_channel(inbox, SecretBox(self.settings.effective_secret_key))
            except KefuError as exc:
                log.warning("email inbox %s cannot be polled: %s", inbox_id, exc.message)
                return
        config: EmailConfig = channel.config
        secrets: EmailSecrets = channel.secrets
        account = ImapAccount(
            host=config.imap_host,
            port=config.imap_port,
            tls=config.imap_tls,
            username=config.imap_username or config.address,
            password=secrets.imap_password,
            folder=config.imap_folder,
            mark_seen=config.imap_mark_seen,
        )

        async def deliver(raw: bytes, cursor: ImapCursor) -> None:
            try:
                await deliver_mail(
                    db=self.db,
                    storage=self.storage,
                    settings=self.settings,
                    inbox_id=inbox_id,
                    raw=raw,
                )
            except PayloadInvalid as exc:  # never readable: skipped, not retried forever
                log.warning("email inbox %s: a mail was not imported: %s", inbox_id, exc)
            async with self.db.write() as session:
                await do_save_mailbox_cursor(session, inbox_id=inbox_id, cursor=cursor)

        try:
            final = await poll_mailbox(account, _cursor(state), deliver)
        except ImapPollError as exc:
            log.warning("email inbox %s: %s", inbox_id, exc)
            async with self.db.write() as session:
                await do_note_mailbox_poll(session, inbox_id=inbox_id, error=str(exc)[:500])
            return
        except Exception:  # the database, mostly: what was committed stays, the rest waits
            log.exception("email inbox %s: polling failed", inbox_id)
            return
        async with self.db.write() as session:
            await do_save_mailbox_cursor(session, inbox_id=inbox_id, cursor=final)
