"""Writers of the report digests: a lead's setting, the worker's round that turns due settings
into digests (each with its outbox job), and a digest's outcome.

Never twice: a digest row is unique per (user, frequency, first day of the period) and is
inserted with ON CONFLICT DO NOTHING; only the insert that wins enqueues the email. On
PostgreSQL the due settings are also claimed with FOR UPDATE SKIP LOCKED, so two nodes split
the work instead of both trying; on SQLite the write transaction serialises them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.conversations.visibility import LEAD_ROLES
from kefu.db import dialect_insert, utcnow
from kefu.errors import PermissionDenied
from kefu.outbox.actions import enqueue_job
from kefu.reports.digests.models import DigestSubscription, ReportDigest
from kefu.reports.digests.schedule import next_due_after, step
from kefu.users.models import User

DIGEST_JOB = "report.digest"
BATCH = 200


def require_lead(actor: AgentPrincipal) -> None:
    if actor.user.role not in LEAD_ROLES:
        raise PermissionDenied(
            "Report summaries by email are for supervisors and admins.", code="digest_leads_only"
        )


async def do_update_digest_setting(
    session: AsyncSession, *, actor: AgentPrincipal, frequency: str, timezone: str
) -> DigestSubscription:
    """The caller's own setting; the next due time restarts from now (a digest turned on at
    09:00 first comes the next morning, not at once for yesterday)."""
    require_lead(actor)
    subscription = await session.get(DigestSubscription, actor.user_id)
    if subscription is None:
        subscription = DigestSubscription(user_id=actor.user_id)
        session.add(subscription)
    subscription.frequency = frequency
    subscription.timezone = timezone
    subscription.next_due_at = next_due_after(frequency, ZoneInfo(timezone), utcnow())
    subscription.updated_at = utcnow()
    await session.flush()
    return subscription


async def due_digests_pending(session: AsyncSession, now: datetime) -> bool:
    """Cheap read first (the index on next_due_at): most worker rounds have nothing to do."""
    found = await session.scalar(
        select(DigestSubscription.user_id).where(DigestSubscription.next_due_at <= now).limit(1)
    )
    return found is not None


async def do_enqueue_due_digests(session: AsyncSession, *, now: datetime) -> list[int]:
    """Create the digests that fell due by `now` and their outbox jobs; returns their ids."""
    query = (
        select(DigestSubscription)
        .where(DigestSubscription.next_due_at <= now)
        .order_by(DigestSubscription.next_due_at, DigestSubscription.user_id)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    subscriptions = list(await session.scalars(query))
    users = {
        u.id: u
        for u in await session.scalars(
            select(User).where(User.id.in_([s.user_id for s in subscriptions]))
        )
    }
    created = []
    for subscription in subscriptions:
        tz = ZoneInfo(subscription.timezone)
        period, next_due = step(subscription.frequency, tz, subscription.next_due_at, now)
        subscription.next_due_at = next_due
        user = users.get(subscription.user_id)
        # A lead who became an agent or left keeps the setting, but gets nothing meanwhile.
        if period is None or user is None or not user.is_active or user.role not in LEAD_ROLES:
            continue
        inserted = await session.scalar(
            dialect_insert(session)(ReportDigest)
            .values(
                user_id=user.id,
                frequency=period.frequency,
                period_start=period.start,
                period_end=period.end,
                timezone=subscription.timezone,
                due_at=period.due_at,
                status="pending",
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "frequency", "period_start"])
            .returning(ReportDigest.id)
        )
        if inserted is None:
            continue  # already made (another node, or before a change of timezone)
        await enqueue_job(session, DIGEST_JOB, {"digest_id": inserted}, key=f"user:{user.id}")
        created.append(int(inserted))
    await session.flush()
    return created


async def do_finish_digest(session: AsyncSession, *, digest_id: int, status: str) -> bool:
    """Record a pending digest's outcome (sent, skipped, failed); False if it was not pending
    any more (another run recorded it first)."""
    values: dict[str, object] = {"status": status}
    if status == "sent":
        values["sent_at"] = utcnow()
    result = await session.execute(
        update(ReportDigest)
        .where(ReportDigest.id == digest_id, ReportDigest.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
