"""The runner: claims due jobs, runs their handlers, records the outcome.

Claiming is one conditional UPDATE ... RETURNING over a sub-select of due jobs: on PostgreSQL the
sub-select locks with FOR UPDATE SKIP LOCKED, so runners on several nodes take disjoint jobs
without waiting for each other; on SQLite the write transaction holds the database's one writer
(BEGIN IMMEDIATE), which serialises claims. A claimed job is `running` until `next_attempt_at`,
its lease; handlers run outside any transaction (they may talk to SMTP servers or APIs) with a
timeout shorter than the lease, and the outcome is recorded only if the job is still the one
this runner claimed (same attempt), so a runner that lost its lease cannot overwrite a newer one.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.config import Settings
from kefu.db import Database, utcnow
from kefu.outbox.models import OutboxJob
from kefu.outbox.registry import REGISTRY, HandlerRegistry, JobContext, RetryLater
from kefu.storage import Storage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 30.0
MAX_DELAY_SECONDS = 3600.0
LEASE_SECONDS = 300.0
HANDLER_TIMEOUT_SECONDS = 120.0  # well inside the lease: a job never runs twice at once
BATCH_SIZE = 20
MAX_BATCHES_PER_RUN = 5
DONE_RETENTION = timedelta(days=7)  # dead jobs are kept until someone looks at them
CLEANUP_EVERY_SECONDS = 3600.0


def backoff_seconds(attempt: int, *, base: float, cap: float, jitter: float = 0.1) -> float:
    """The wait after failed attempt number `attempt` (1, 2, ...): base, 2 base, 4 base, ...
    capped, spread by up to ±`jitter` so that jobs failing together do not retry together."""
    delay: float = min(cap, base * 2.0 ** max(0, attempt - 1))
    return delay * (1 + random.uniform(-jitter, jitter))  # jitter, not security


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


class OutboxRunner:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        registry: HandlerRegistry = REGISTRY,
        max_attempts: int = MAX_ATTEMPTS,
        base_delay: float = BASE_DELAY_SECONDS,
        max_delay: float = MAX_DELAY_SECONDS,
        lease_seconds: float = LEASE_SECONDS,
        handler_timeout: float = HANDLER_TIMEOUT_SECONDS,
        batch_size: int = BATCH_SIZE,
        http: httpx.AsyncClient | None = None,
        storage: Storage | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.http = http
        self.storage = storage
        self.registry = registry
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.lease = timedelta(seconds=lease_seconds)
        self.handler_timeout = min(handler_timeout, lease_seconds * 0.8)
        self.batch_size = batch_size
        self._cleaned_at = 0.0

    async def run_due(self) -> int:
        """Run every job due now (a few batches at most); returns how many ran."""
        ran = 0
        for _ in range(MAX_BATCHES_PER_RUN):
            jobs = await self.claim()
            for job in jobs:
                await self.run(job)
            ran += len(jobs)
            if len(jobs) < self.batch_size:
                break
        if time.monotonic() - self._cleaned_at > CLEANUP_EVERY_SECONDS:
            self._cleaned_at = time.monotonic()
            await self.delete_old_done_jobs()
        return ran

    async def claim(self) -> list[ClaimedJob]:
        now = utcnow()
        due = OutboxJob.status.in_(("pending", "running")), OutboxJob.next_attempt_at <= now
        # Read first: on SQLite a write transaction holds the node's one writer, and chat
        # messages should not queue behind an empty claim every few seconds.
        async with self.db.read() as session:
            if await session.scalar(select(OutboxJob.id).where(*due).limit(1)) is None:
                return []
        async with self.db.write() as session:
            picked = (
                select(OutboxJob.id)
                .where(*due)
                .order_by(OutboxJob.next_attempt_at, OutboxJob.id)
                .limit(self.batch_size)
            )
            if _is_postgres(session):
                picked = picked.with_for_update(skip_locked=True)
            rows = await session.execute(
                update(OutboxJob)
                .where(OutboxJob.id.in_(picked.scalar_subquery()), *due)
                .values(
                    status="running",
                    attempts=OutboxJob.attempts + 1,
                    next_attempt_at=now + self.lease,
                    updated_at=now,
                )
                .returning(OutboxJob.id, OutboxJob.kind, OutboxJob.payload, OutboxJob.attempts)
                .execution_options(synchronize_session=False)
            )
            jobs = [ClaimedJob(r.id, r.kind, dict(r.payload or {}), r.attempts) for r in rows]
        return sorted(jobs, key=lambda j: j.id)

    async def run(self, job: ClaimedJob) -> None:
        registration = self.registry.get(job.kind)
        error: str | None = None
        delay: float | None = None
        if job.attempts > self.max_attempts:
            # Claimed again after its runner died, more often than a job may be tried.
            error = "abandoned by its runner too many times"
        elif registration is None:
            error = f"no handler for job kind {job.kind!r}"  # a node with newer code may know it
        else:
            ctx = self._context(job)
            try:
                await asyncio.wait_for(registration.handler(ctx, job.payload), self.handler_timeout)
            except RetryLater as exc:
                error, delay = (str(exc) or "retry later")[:2000], exc.delay
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:2000] or type(exc).__name__
                log.warning(
                    "outbox job %s (%s) attempt %d failed: %s",
                    job.id,
                    job.kind,
                    job.attempts,
                    error,
                )
        dead = await self._record(job, error, delay)
        if dead and registration is not None and registration.on_dead is not None:
            try:
                await registration.on_dead(self._context(job), job.payload, error or "")
            except Exception:
                log.exception("on_dead of outbox job %s (%s) failed", job.id, job.kind)

    def _context(self, job: ClaimedJob) -> JobContext:
        return JobContext(
            settings=self.settings,
            db=self.db,
            job_id=job.id,
            kind=job.kind,
            attempt=job.attempts,
            http=self.http,
            storage=self.storage,
        )

    async def _record(self, job: ClaimedJob, error: str | None, delay: float | None = None) -> bool:
        """Store the outcome; True when the job was dead-lettered just now. `delay`: the
        handler's own wait before the next try (capped like backoff)."""
        now = utcnow()
        values: dict[str, Any] = {"updated_at": now, "last_error": error}
        dead = False
        if error is None:
            values["status"] = "done"
        elif job.attempts >= self.max_attempts:
            values["status"] = "dead"
            dead = True
        else:
            if delay is None:
                delay = backoff_seconds(job.attempts, base=self.base_delay, cap=self.max_delay)
            delay = min(max(delay, 1.0), self.max_delay)
            values["status"] = "pending"
            values["next_attempt_at"] = now + timedelta(seconds=delay)
        async with self.db.write() as session:
            result = await session.execute(
                update(OutboxJob)
                .where(
                    OutboxJob.id == job.id,
                    OutboxJob.status == "running",
                    OutboxJob.attempts == job.attempts,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        recorded = result.rowcount == 1  # type: ignore[attr-defined]
        if not recorded:
            log.warning("outbox job %s: lease lost before its outcome was recorded", job.id)
        if dead and recorded:
            log.error(
                "outbox job %s (%s) is dead after %d attempts: %s",
                job.id,
                job.kind,
                job.attempts,
                error,
            )
        return dead and recorded

    async def delete_old_done_jobs(self) -> None:
        cutoff = utcnow() - DONE_RETENTION
        async with self.db.read() as session:
            old = await session.scalar(
                select(OutboxJob.id)
                .where(OutboxJob.status == "done", OutboxJob.next_attempt_at < cutoff)
                .limit(1)
            )
        if old is None:
            return
        async with self.db.write() as session:
            await session.execute(
                delete(OutboxJob).where(
                    OutboxJob.status == "done", OutboxJob.next_attempt_at < cutoff
                )
            )


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"
