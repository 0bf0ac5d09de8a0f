"""SLA policies: per-priority targets for the first response, the next response and resolution,
counted in calendar time or in the inbox's business hours. Pure functions, UTC in and out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from kefu.routing.hours import (
    BusinessHours,
    add_business_seconds,
    as_utc,
    business_seconds_between,
)

SlaKind = Literal["first_response", "next_response", "resolution"]
Priority = Literal["urgent", "high", "normal", "low"]
SLA_KINDS: tuple[SlaKind, ...] = ("first_response", "next_response", "resolution")
PRIORITIES: tuple[Priority, ...] = ("urgent", "high", "normal", "low")

MAX_TARGET_MINUTES = 525_600  # one year
TargetMinutes = Annotated[int, Field(ge=1, le=MAX_TARGET_MINUTES)]


class SlaTargetsSettings(BaseModel):
    """The targets of one priority, in minutes; None means no target of that kind."""

    model_config = ConfigDict(extra="forbid")

    first_response_minutes: TargetMinutes | None = None
    next_response_minutes: TargetMinutes | None = None
    resolution_minutes: TargetMinutes | None = None

    def minutes(self, kind: SlaKind) -> int | None:
        match kind:
            case "first_response":
                return self.first_response_minutes
            case "next_response":
                return self.next_response_minutes
            case "resolution":
                return self.resolution_minutes


class SlaSettings(BaseModel):
    """An inbox's SLA policy. With ``business_hours`` the clocks run only while the inbox is
    open (and in calendar time if the inbox's business hours are disabled)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    business_hours: bool = False
    targets: dict[Priority, SlaTargetsSettings] = Field(default_factory=dict)


def _kind(kind: str) -> SlaKind:
    for known in SLA_KINDS:
        if kind == known:
            return known
    raise ValueError(f"unknown SLA kind {kind!r}: expected one of {', '.join(SLA_KINDS)}")


def target_minutes(sla: SlaSettings, *, priority: str, kind: str) -> int | None:
    """The target for this priority and kind, None if the SLA is off or sets none. An unknown
    priority has no target; an unknown kind is a programming error (ValueError)."""
    checked = _kind(kind)
    if not sla.enabled:
        return None
    targets = sla.targets.get(cast(Priority, priority))
    return None if targets is None else targets.minutes(checked)


def due_at(
    sla: SlaSettings, hours: BusinessHours, *, priority: str, kind: str, start: datetime
) -> datetime | None:
    """When the clock of ``kind`` started at ``start`` is due; None without a target.

    In business time a clock started while closed begins at the next opening. None also if the
    inbox is never open (business time never passes)."""
    minutes = target_minutes(sla, priority=priority, kind=kind)
    if minutes is None:
        return None
    if sla.business_hours:
        return add_business_seconds(hours, start, minutes * 60)
    return as_utc(start, "start") + timedelta(minutes=minutes)


def elapsed(sla: SlaSettings, hours: BusinessHours, start: datetime, end: datetime) -> float:
    """Seconds on the SLA clock in [start, end), counted as ``due_at`` counts them."""
    if sla.business_hours:
        return business_seconds_between(hours, start, end)
    return max((as_utc(end, "end") - as_utc(start, "start")).total_seconds(), 0.0)
