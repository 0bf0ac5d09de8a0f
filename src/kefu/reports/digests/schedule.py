"""When digests fall due: pure functions of (frequency, timezone, instants).

A daily digest covers the previous local day and falls due at 08:00 local time; a weekly one
covers the previous Monday-to-Sunday week and falls due on Monday at 08:00. 08:00 is read on the
local clock, so it moves with daylight-saving time (it is never a skipped or repeated hour).

The worker keeps one `next_due_at` per subscription. When it has passed, `step` gives the
latest period due (a node that was down for days sends the last digest, not a backlog) and the
next due time after now: so each due time yields at most one digest, and the unique row per
(user, frequency, period start) settles any race between nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEND_AT = time(8, 0)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class DigestPeriod:
    frequency: str  # "daily" | "weekly"
    start: date  # first local day covered
    end: date  # last local day covered (inclusive)
    due_at: datetime  # the 08:00 it fell due (UTC)


def due_instant(day: date, tz: ZoneInfo) -> datetime:
    """08:00 on `day` in `tz`, as a UTC instant."""
    return datetime.combine(day, SEND_AT, tzinfo=tz).astimezone(UTC)


def _step_of(frequency: str) -> timedelta:
    if frequency == "daily":
        return DAY
    if frequency == "weekly":
        return WEEK
    raise ValueError(f"no schedule for {frequency!r}")


def _first_send_day(frequency: str, day: date) -> date:
    """`day` itself for daily digests; the Monday of `day`'s week for weekly ones."""
    return day - timedelta(days=day.weekday()) if frequency == "weekly" else day


def next_due_after(frequency: str, tz: ZoneInfo, after: datetime) -> datetime | None:
    """The first due time strictly after `after`; None when off."""
    if frequency == "off":
        return None
    step = _step_of(frequency)
    day = _first_send_day(frequency, after.astimezone(tz).date())
    while due_instant(day, tz) <= after:
        day += step
    return due_instant(day, tz)


def period_due_on(frequency: str, day: date, tz: ZoneInfo) -> DigestPeriod:
    """The period whose digest falls due at 08:00 on `day` (a Monday for weekly digests)."""
    step = _step_of(frequency)
    return DigestPeriod(frequency, day - step, day - DAY, due_instant(day, tz))


def latest_due(frequency: str, tz: ZoneInfo, now: datetime) -> DigestPeriod | None:
    """The latest period whose due time is at or before `now`; None when off."""
    if frequency == "off":
        return None
    step = _step_of(frequency)
    day = _first_send_day(frequency, now.astimezone(tz).date())
    if due_instant(day, tz) > now:
        day -= step
    return period_due_on(frequency, day, tz)


def step(
    frequency: str, tz: ZoneInfo, next_due_at: datetime | None, now: datetime
) -> tuple[DigestPeriod | None, datetime | None]:
    """One worker round for one subscription: (the digest to send now or None, the new
    next_due_at)."""
    if frequency == "off":
        return None, None
    if next_due_at is None or next_due_at > now:
        return None, next_due_at or next_due_after(frequency, tz, now)
    return latest_due(frequency, tz, now), next_due_after(frequency, tz, now)
