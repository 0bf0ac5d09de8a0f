"""The node's periodic jobs. Every node runs them; each is safe to run on several nodes at once
(unique rows, conditional updates, SKIP LOCKED), so no leader election is needed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import httpx

from kefu.bot.runner import BotRunner
from kefu.channels import jobs as channel_jobs
from kefu.channels.email.mailroom import MailPoller
from kefu.config import Settings
from kefu.conversations.snooze import run_snooze_wakeups
from kefu.db import Database
from kefu.outbox.runner import OutboxRunner
from kefu.realtime.hub import Hub
from kefu.reports.digests import jobs as digest_jobs
from kefu.reports.refresh import refresh_for
from kefu.routing.breaches import (
    do_fill_next_response_dues,
    do_record_sla_breaches,
    next_response_dues_pending,
    sla_work_pending,
)
from kefu.routing.dispatcher import Dispatcher
from kefu.routing.presence import HEARTBEAT_SECONDS, do_expire_presence, do_heartbeat_consoles
from kefu.scheduled import jobs as scheduled_jobs
from kefu.search.indexer import index_pending
from kefu.storage import Storage
from kefu.transcripts import jobs as transcript_jobs

log = logging.getLogger(__name__)

# Importing these registers their outbox handlers (kefu/outbox/registry.py) on every node.
OUTBOX_HANDLER_MODULES = (scheduled_jobs, transcript_jobs, channel_jobs, digest_jobs)
CHANNEL_HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Worker:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        hub: Hub,
        dispatcher: Dispatcher,
        storage: Storage,
        *,
        bot: BotRunner | None = None,
    ) -> None:
        self.settings = settings
        self.bot = bot
        self.db = db
        self.hub = hub
        self.dispatcher = dispatcher
        self._task: asyncio.Task[None] | None = None
        self._since_heartbeat = float(HEARTBEAT_SECONDS)
        # Outbound HTTP of channel sends and media downloads: one pooled client per node.
        self.http = httpx.AsyncClient(timeout=CHANNEL_HTTP_TIMEOUT, follow_redirects=False)
        self.outbox = OutboxRunner(
            settings,
            db,
            http=self.http,
            storage=storage,
            max_attempts=settings.outbox_max_attempts,
        )
        self.mail = MailPoller(settings, db, storage)  # email inboxes' IMAP mailboxes

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.mail.stop()
        await self.http.aclose()

    async def _loop(self) -> None:
        interval = self.settings.worker_interval_seconds
        while True:
            await asyncio.sleep(interval)
            self._since_heartbeat += interval
            await self.run_once(heartbeat=self._since_heartbeat >= HEARTBEAT_SECONDS)
            if self._since_heartbeat >= HEARTBEAT_SECONDS:
                self._since_heartbeat = 0.0

    async def run_once(self, *, heartbeat: bool = True) -> None:
        """One round of every job; a failing job is logged and does not stop the others."""
        if heartbeat:
            await self._job("console heartbeat", self._heartbeat)
        await self._job("presence expiry", self._expire_presence)
        await self._job("next-response due times", self._fill_dues)
        await self._job("SLA breaches", self._breaches)
        await self._job("snooze wake-ups", lambda: run_snooze_wakeups(self.db))
        await self._job("routing sweep", self.dispatcher.sweep)
        if self.bot is not None:
            await self._job("bot sweep", self.bot.sweep)
            await self._job("idle bot conversations", self.bot.resolve_idle)
        await self._job("outbox", self.outbox.run_due)
        await self._job("email polling", self.mail.run_due)
        await self._job("search index", lambda: index_pending(self.db))
        await self._job("report facts", lambda: refresh_for(self.db, seconds=2.0))
        await self._job("report digests", self._digests)

    async def _job(self, name: str, job: Callable[[], Awaitable[object]]) -> None:
        try:
            await job()
        except Exception:
            log.exception("worker job %r failed", name)

    async def _digests(self) -> None:
        await digest_jobs.run_due_digests(self.db, self.settings)

    async def _heartbeat(self) -> None:
        user_ids = [uid for uid, conns in self.hub.by_user.items() if conns]
        async with self.db.write() as session:
            await do_heartbeat_consoles(session, node=self.settings.node_name, user_ids=user_ids)

    async def _expire_presence(self) -> None:
        async with self.db.write() as session:
            await do_expire_presence(session, grace_seconds=self.settings.presence_grace_seconds)

    # Read first, write only when there is something to write: on SQLite a write transaction
    # holds the node's one writer, and chat messages should not queue behind empty scans.
    async def _fill_dues(self) -> None:
        async with self.db.read() as session:
            if not await next_response_dues_pending(session):
                return
        async with self.db.write() as session:
            await do_fill_next_response_dues(session)

    async def _breaches(self) -> None:
        async with self.db.read() as session:
            if not await sla_work_pending(session):
                return
        async with self.db.write() as session:
            await do_record_sla_breaches(session)
