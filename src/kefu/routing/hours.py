"""Business hours of an inbox: a weekly schedule and holidays, evaluated in the inbox's IANA
timezone. Pure functions over timezone-aware datetimes; every result is in UTC.

How local times become instants. Each interval is converted per local date with `zoneinfo`, so a
day on which the clocks change is as long as it really is (New York, 2026-03-08, 00:00-12:00 is
11 hours; 2026-11-01, 00:00-12:00 is 13 hours). Local times are always read with ``fold=0``:

- an ambiguous time (the repeated hour when clocks go back) is its *first* occurrence;
- a time that does not exist (the hour skipped when clocks go forward) is read with the offset in
  force *before* the change, i.e. it lands as far after the change as it is after the gap's start
  (New York, 2026-03-08 02:30 is 03:30 EDT). An interval that begins in the gap therefore starts
  late, one that ends in it ends late, and one that lies wholly inside it is empty.

Intervals are half-open: open at the start minute, closed at the end minute. "24:00" is the next
local midnight, so mon 18:00-24:00 and tue 00:00-02:00 form one continuous open stretch. A
holiday closes its whole local date. With ``enabled`` False the inbox is open around the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

MAX_INTERVALS_PER_DAY = 10
# Open time is searched for until this many consecutive local days without any (once past the
# last holiday): a weekly schedule that is not empty always opens again, so this is a safety stop.
SEARCH_DAYS = 400
_DAY_MINUTES = 24 * 60
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")

Interval = tuple[datetime, datetime]


def _default_weekly() -> dict[Weekday, list[tuple[str, str]]]:
    return {day: [("09:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")}


def _minutes(text: str, *, end: bool) -> int:
    if end and text == "24:00":
        return _DAY_MINUTES
    if not _HHMM.match(text):
        allowed = '"HH:MM" (00:00-23:59, or "24:00" as an end)' if end else '"HH:MM" (00:00-23:59)'
        raise ValueError(f"invalid time {text!r}: expected {allowed}")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class BusinessHoursSettings(BaseModel):
    """The stored form of an inbox's business hours. A weekday left out is closed all day."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    timezone: str = Field(default="Asia/Taipei", max_length=64)
    weekly: dict[Weekday, list[tuple[str, str]]] = Field(default_factory=_default_weekly)
    holidays: list[date] = Field(default_factory=list, max_length=366)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"unknown timezone {value!r}: use an IANA name such as 'Asia/Taipei'"
            ) from None
        return value

    @field_validator("weekly")
    @classmethod
    def _valid_intervals(
        cls, value: dict[Weekday, list[tuple[str, str]]]
    ) -> dict[Weekday, list[tuple[str, str]]]:
        """Each day's intervals: well-formed, start < end, at most 10, sorted, no overlaps
        (touching intervals such as 09:00-12:00 and 12:00-18:00 are allowed)."""
        result: dict[Weekday, list[tuple[str, str]]] = {}
        for day, intervals in value.items():
            if len(intervals) > MAX_INTERVALS_PER_DAY:
                raise ValueError(f"{day}: at most {MAX_INTERVALS_PER_DAY} intervals per day")
            parsed: list[tuple[int, int, tuple[str, str]]] = []
            for start, end in intervals:
                first, last = _minutes(start, end=False), _minutes(end, end=True)
                if first >= last:
                    raise ValueError(f"{day}: interval {start}-{end} must start before it ends")
                parsed.append((first, last, (start, end)))
            parsed.sort()
            for (_, prev_end, prev), (start_min, _, cur) in zip(parsed, parsed[1:], strict=False):
                if start_min < prev_end:
                    raise ValueError(
                        f"{day}: intervals {prev[0]}-{prev[1]} and {cur[0]}-{cur[1]} overlap"
                    )
            result[day] = [interval for _, _, interval in parsed]
        return result


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Business hours ready for computation.

    ``weekly[i]`` holds weekday ``i``'s (Monday = 0) sorted, non-overlapping intervals as minutes
    from local midnight, the end up to 1440. ``always_open`` (business hours disabled) wins
    over the schedule; ``zone`` is still the inbox's timezone (used for local dates)."""

    zone: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    @classmethod
    def from_settings(cls, settings: BusinessHoursSettings) -> BusinessHours:
        weekly = tuple(
            tuple(
                (_minutes(start, end=False), _minutes(end, end=True))
                for start, end in settings.weekly.get(day, [])
            )
            for day in WEEKDAYS
        )
        return cls(
            zone=ZoneInfo(settings.timezone),
            weekly=weekly,
            holidays=frozenset(settings.holidays),
            always_open=not settings.enabled,
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> BusinessHours:
        """Validate a stored settings dict (pydantic ValidationError, a ValueError, if invalid)."""
        return cls.from_settings(BusinessHoursSettings.model_validate(raw))

    @property
    def has_open_time(self) -> bool:
        return self.always_open or any(self.weekly)


def as_utc(value: datetime, name: str = "at") -> datetime:
    """``value`` in UTC; ValueError if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value.astimezone(UTC)


def _local_instant(zone: ZoneInfo, day: date, minute: int) -> datetime:
    """Local ``day`` + ``minute`` (up to 1440, the next midnight) as UTC, read with fold=0."""
    if minute >= _DAY_MINUTES:
        day, minute = day + timedelta(days=1), minute - _DAY_MINUTES
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def _day_intervals(hours: BusinessHours, day: date) -> list[Interval]:
    if day in hours.holidays:
        return []
    out: list[Interval] = []
    for start, end in hours.weekly[day.weekday()]:
        first, last = _local_instant(hours.zone, day, start), _local_instant(hours.zone, day, end)
        if first < last:  # empty when the interval lies inside a spring-forward gap
            out.append((first, last))
    return out


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _open_pieces(hours: BusinessHours, at: datetime) -> Iterator[Interval]:
    """Open time from (a little before) ``at`` on, as ordered, disjoint UTC pieces.

    Consecutive pieces may touch (one open stretch cut into days), so ``current_close`` joins
    them. Local dates are processed in order; because fold=0 readings of a spring-forward gap
    are not monotonic, open time is released only up to the earliest instant any later local
    date can map to (its midnight less a day, beyond the widest possible UTC offset).
    Ends only after ``SEARCH_DAYS`` local dates in a row without open time, past the last
    holiday (never, for a non-empty weekly schedule). Not for ``always_open``."""
    if not any(hours.weekly):
        return
    day = at.astimezone(hours.zone).date() - timedelta(days=3)
    pending: list[Interval] = []
    empty_days = 0
    last_holiday = max(hours.holidays, default=day)
    while empty_days < SEARCH_DAYS:
        todays = _day_intervals(hours, day)
        if todays:
            empty_days = 0
        elif day > last_holiday:
            empty_days += 1
        pending = _merge(pending + todays)
        day += timedelta(days=1)
        watermark = datetime.combine(day, time(), tzinfo=UTC) - timedelta(days=1)
        kept: list[Interval] = []
        for start, end in pending:
            if start < watermark:
                yield start, min(end, watermark)
            if end > watermark:
                kept.append((max(start, watermark), end))
        pending = kept
    yield from pending


def is_open(hours: BusinessHours, at: datetime) -> bool:
    at = as_utc(at)
    if hours.always_open:
        return True
    for start, end in _open_pieces(hours, at):
        if end > at:
            return start <= at
    return False


def next_open(hours: BusinessHours, at: datetime) -> datetime | None:
    """``at`` if open, else the start of the next open interval; None if never open."""
    at = as_utc(at)
    if hours.always_open:
        return at
    for start, end in _open_pieces(hours, at):
        if end > at:
            return max(start, at)
    return None


def current_close(hours: BusinessHours, at: datetime) -> datetime | None:
    """When the open stretch containing ``at`` ends (back-to-back intervals, across midnight
    too, are one stretch). None if closed at ``at``, if always open, or if the stretch does not
    end within ``SEARCH_DAYS`` days (a 24/7 schedule)."""
    at = as_utc(at)
    if hours.always_open:
        return None
    horizon = at + timedelta(days=SEARCH_DAYS)
    close: datetime | None = None
    for start, end in _open_pieces(hours, at):
        if close is None:
            if end <= at:
                continue
            if start > at:
                return None
            close = end
        elif start == close:
            close = end
        else:
            return close
        if close > horizon:
            return None
    return close


def business_seconds_between(hours: BusinessHours, start: datetime, end: datetime) -> float:
    """Open seconds in [start, end); 0 if end <= start."""
    start, end = as_utc(start, "start"), as_utc(end, "end")
    if end <= start:
        return 0.0
    if hours.always_open:
        return (end - start).total_seconds()
    total = timedelta()
    for first, last in _open_pieces(hours, start):
        if first >= end:
            break
        first, last = max(first, start), min(last, end)
        if first < last:
            total += last - first
    return total.total_seconds()


def add_business_seconds(hours: BusinessHours, start: datetime, seconds: float) -> datetime | None:
    """The instant at which ``seconds`` of open time have passed since ``start``. From a closed
    period the clock starts at the next opening (so 0 seconds gives ``next_open``); a result
    that lands exactly on a closing time is that closing time. None if never reached."""
    start = as_utc(start, "start")
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    remaining = timedelta(seconds=seconds)
    if hours.always_open:
        return start + remaining
    for first, last in _open_pieces(hours, start):
        if last <= start:
            continue
        first = max(first, start)
        if remaining <= last - first:
            return first + remaining
        remaining -= last - first
    return None
