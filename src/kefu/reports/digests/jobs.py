"""The digest's two pieces of background work: the worker's round that creates due digests,
and the outbox handler that computes one digest's figures and emails it (retried with backoff
by the outbox; a digest already sent or skipped is never sent again)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.config import Settings
from kefu.conversations.visibility import LEAD_ROLES
from kefu.db import Database, utcnow
from kefu.outbox.registry import JobContext, job_handler
from kefu.reports.digests.actions import (
    DIGEST_JOB,
    do_enqueue_due_digests,
    do_finish_digest,
    due_digests_pending,
)
from kefu.reports.digests.figures import period_figures
from kefu.reports.digests.models import DigestSubscription, ReportDigest
from kefu.reports.digests.render import DigestContext, render_digest
from kefu.teams.models import Team, TeamMember
from kefu.transcripts.mail import build_email, send_email
from kefu.users.models import User

log = logging.getLogger(__name__)


async def run_due_digests(db: Database, settings: Settings, *, now: datetime | None = None) -> int:
    """Create the digests due now (the worker calls this every round). Nothing happens while
    no SMTP server is configured: the settings wait, and the latest digest goes out once one
    is."""
    if not settings.email_enabled:
        return 0
    now = now or utcnow()
    async with db.read() as session:
        if not await due_digests_pending(session, now):
            return 0
    async with db.write() as session:
        return len(await do_enqueue_due_digests(session, now=now))


async def _team_names(session: AsyncSession, user: User) -> list[str] | None:
    """The teams a supervisor's figures cover (None: an admin's cover everything)."""
    if user.role == "admin":
        return None
    rows = await session.scalars(
        select(Team.name)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user.id)
        .order_by(Team.name)
    )
    return list(rows)


async def _give_up(ctx: JobContext, payload: dict[str, Any], error: str) -> None:
    async with ctx.db.write() as session:
        await do_finish_digest(session, digest_id=int(payload["digest_id"]), status="failed")


@job_handler(DIGEST_JOB, on_dead=_give_up)
async def send_digest(ctx: JobContext, payload: dict[str, Any]) -> None:
    digest_id = int(payload["digest_id"])
    async with ctx.db.read() as session:
        digest = await session.get(ReportDigest, digest_id)
        if digest is None or digest.status != "pending":
            return  # done before (a runner that died after recording, or a duplicate job)
        user = await session.get(User, digest.user_id)
        subscription = await session.get(DigestSubscription, digest.user_id)
        still_wanted = (
            user is not None
            and user.is_active
            and user.role in LEAD_ROLES
            and subscription is not None
            and subscription.frequency == digest.frequency
        )
        if still_wanted:
            assert user is not None
            actor = AgentPrincipal(user=user, via="digest")
            current, previous = await period_figures(
                session=session,
                actor=actor,
                start=digest.period_start,
                end=digest.period_end,
                tz=digest.timezone,
            )
            teams = await _team_names(session, user)
    if not still_wanted:
        async with ctx.db.write() as session:
            await do_finish_digest(session, digest_id=digest_id, status="skipped")
        log.info("report digest %s skipped: no longer wanted", digest_id)
        return
    assert user is not None
    content = render_digest(
        DigestContext(
            locale=user.locale,
            name=user.name,
            frequency=digest.frequency,
            start=digest.period_start,
            end=digest.period_end,
            timezone=digest.timezone,
            team_names=teams,
            base_url=ctx.settings.base_url(),
        ),
        current,
        previous,
    )
    message = build_email(
        ctx.settings, to=user.email, subject=content.subject, text=content.text, html=content.html
    )
    await send_email(ctx.settings, message)  # raises: the outbox retries
    async with ctx.db.write() as session:
        await do_finish_digest(session, digest_id=digest_id, status="sent")
