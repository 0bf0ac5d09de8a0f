"""Writing jobs: `enqueue_job` is called by actions inside their own write transaction, so the
job exists if and only if the change that caused it committed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.db import utcnow
from kefu.outbox.models import OutboxJob


async def enqueue_job(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    key: str | None = None,
    run_at: datetime | None = None,
) -> OutboxJob:
    """Add a job for the handler registered as `kind`, due now or at `run_at` (aware).

    The payload must be JSON (ids and small values: handlers re-read the rows they need, so a
    job run later sees current data)."""
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    orjson.dumps(payload)  # fail in the action, not in the worker hours later
    now = utcnow()
    job = OutboxJob(
        kind=kind,
        key=key,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=run_at or now,
        last_error=None,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    await session.flush()
    return job


async def count_recent_jobs(
    session: AsyncSession, *, kind: str, key: str, within: timedelta
) -> int:
    """How many `kind` jobs about `key` were enqueued within the last `within` (rate limits)."""
    since = utcnow() - within
    count = await session.scalar(
        select(func.count(OutboxJob.id)).where(
            OutboxJob.kind == kind, OutboxJob.key == key, OutboxJob.created_at >= since
        )
    )
    return int(count or 0)
