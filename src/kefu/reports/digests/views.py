"""GET / PUT /api/v1/reports/digest: the caller's own report-summary email setting
(supervisors and admins; agents get 403)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.principals import AgentPrincipal
from kefu.reports.digests.actions import do_update_digest_setting, require_lead
from kefu.reports.digests.models import DigestSubscription, ReportDigest
from kefu.reports.filters import zone

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Frequency = Literal["off", "daily", "weekly"]


class DigestSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    frequency: Frequency
    timezone: str = Field(min_length=1, max_length=64)  # IANA name, e.g. Asia/Taipei


class DigestSettingOut(BaseModel):
    frequency: Frequency
    timezone: str | None  # None: never saved (the console proposes the browser's)
    locale: str  # the account's language, which the email is written in
    next_due_at: datetime | None
    last_sent_at: datetime | None
    email_enabled: bool  # False: no SMTP server is configured, so nothing is sent


async def _out(
    session: AsyncSession, actor: AgentPrincipal, email_enabled: bool
) -> DigestSettingOut:
    subscription = await session.get(DigestSubscription, actor.user_id)
    last = await session.scalar(
        select(func.max(ReportDigest.sent_at)).where(ReportDigest.user_id == actor.user_id)
    )
    return DigestSettingOut(
        frequency=subscription.frequency if subscription else "off",
        timezone=subscription.timezone if subscription else None,
        locale=actor.user.locale,
        next_due_at=subscription.next_due_at if subscription else None,
        last_sent_at=last,
        email_enabled=email_enabled,
    )


@router.get("/digest", response_model=DigestSettingOut)
async def get_digest(actor: Agent, runtime: RuntimeDep) -> DigestSettingOut:
    """Your report summary by email: off, daily or weekly (Monday), at 08:00 in your timezone."""
    require_lead(actor)
    async with runtime.db.read() as session:
        return await _out(session, actor, runtime.settings.email_enabled)


@router.put("/digest", response_model=DigestSettingOut)
async def put_digest(body: DigestSettingIn, actor: Agent, runtime: RuntimeDep) -> DigestSettingOut:
    require_lead(actor)
    zone(body.timezone)  # a 422 "bad_timezone" for a name zoneinfo does not know
    async with runtime.db.write() as session:
        await do_update_digest_setting(
            session, actor=actor, frequency=body.frequency, timezone=body.timezone
        )
    async with runtime.db.read() as session:
        return await _out(session, actor, runtime.settings.email_enabled)
