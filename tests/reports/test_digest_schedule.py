"""When report digests fall due: 08:00 local, daily (the day before) or on Mondays (the week
before), across daylight-saving changes, and never twice for one period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from kefu.reports.digests.schedule import (
    DigestPeriod,
    latest_due,
    next_due_after,
    period_due_on,
    step,
)

TAIPEI = ZoneInfo("Asia/Taipei")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_daily_falls_due_at_eight_local_for_the_day_before() -> None:
    # 08:30 in Taipei on Wednesday 25 November 2026.
    now = utc(2026, 11, 25, 0, 30)
    assert latest_due("daily", TAIPEI, now) == DigestPeriod(
        "daily", date(2026, 11, 24), date(2026, 11, 24), utc(2026, 11, 25, 0, 0)
    )
    assert next_due_after("daily", TAIPEI, now) == utc(2026, 11, 26, 0, 0)
    # 07:59 in Taipei: today's is not due yet; the latest is yesterday's.
    early = utc(2026, 11, 24, 23, 59)
    assert latest_due("daily", TAIPEI, early) == period_due_on("daily", date(2026, 11, 24), TAIPEI)
    assert next_due_after("daily", TAIPEI, early) == utc(2026, 11, 25, 0, 0)
    # Exactly 08:00: due now, and the next one is tomorrow's.
    assert next_due_after("daily", TAIPEI, utc(2026, 11, 25, 0, 0)) == utc(2026, 11, 26, 0, 0)


def test_weekly_falls_due_on_monday_for_monday_to_sunday() -> None:
    wednesday = utc(2026, 11, 25, 12)
    assert latest_due("weekly", TAIPEI, wednesday) == DigestPeriod(
        "weekly", date(2026, 11, 16), date(2026, 11, 22), utc(2026, 11, 23, 0, 0)
    )
    assert next_due_after("weekly", TAIPEI, wednesday) == utc(2026, 11, 30, 0, 0)
    # Monday 07:00 in Taipei: the week just ended is not due for another hour.
    monday_early = utc(2026, 11, 29, 23, 0)
    assert latest_due("weekly", TAIPEI, monday_early).start == date(2026, 11, 16)  # type: ignore[union-attr]
    assert next_due_after("weekly", TAIPEI, monday_early) == utc(2026, 11, 30, 0, 0)


def test_eight_local_moves_with_daylight_saving_time() -> None:
    # New York springs forward on Sunday 8 March 2026: 08:00 is 13:00 UTC before, 12:00 after.
    assert next_due_after("daily", NEW_YORK, utc(2026, 3, 7, 13, 0)) == utc(2026, 3, 8, 12, 0)
    assert latest_due("daily", NEW_YORK, utc(2026, 3, 8, 12, 30)) == DigestPeriod(
        "daily", date(2026, 3, 7), date(2026, 3, 7), utc(2026, 3, 8, 12, 0)
    )
    # ... and falls back on Sunday 1 November 2026: a 25-hour gap between two digests.
    assert next_due_after("daily", NEW_YORK, utc(2026, 10, 31, 12, 0)) == utc(2026, 11, 1, 13, 0)
    # Weekly: the Mondays either side of the change.
    assert next_due_after("weekly", NEW_YORK, utc(2026, 3, 2, 13, 0)) == utc(2026, 3, 9, 12, 0)


def test_off_has_no_schedule_and_step_waits_for_the_due_time() -> None:
    assert next_due_after("off", TAIPEI, utc(2026, 1, 1)) is None
    assert latest_due("off", TAIPEI, utc(2026, 1, 1)) is None
    assert step("off", TAIPEI, utc(2026, 1, 1), utc(2026, 1, 2)) == (None, None)
    due = utc(2026, 11, 26, 0, 0)
    assert step("daily", TAIPEI, due, due - timedelta(seconds=1)) == (None, due)
    period, following = step("daily", TAIPEI, due, due)
    assert period is not None and period.start == date(2026, 11, 25)
    assert following == utc(2026, 11, 27, 0, 0)
    # A node down for three days sends only the latest day's digest, then carries on.
    period, following = step("daily", TAIPEI, due, due + timedelta(days=3, hours=2))
    assert period is not None and period.start == date(2026, 11, 28)
    assert following == utc(2026, 11, 30, 0, 0)


ZONES = ["UTC", "Asia/Taipei", "America/New_York", "Europe/London", "Australia/Lord_Howe"]


@given(
    frequency=st.sampled_from(["daily", "weekly"]),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3),
    start=st.datetimes(
        min_value=datetime(2025, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive)
        max_value=datetime(2027, 12, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    gaps=st.lists(st.integers(min_value=1, max_value=60 * 60 * 30), min_size=1, max_size=120),
)
def test_a_period_is_never_sent_twice_and_none_is_missed_by_a_running_worker(
    frequency: str, zones: list[str], start: datetime, gaps: list[int]
) -> None:
    """Worker rounds at random intervals: the schedule itself never yields a period twice,
    only after its due time, and with rounds at most an hour apart it skips none. When the
    user changes timezone (the next due time restarts from now), the new zone's next period
    may be one already sent: the unique row per period start (modelled by `keys`) drops it,
    and the periods still go forward."""
    now = start
    tz = ZoneInfo(zones[0])
    next_due = next_due_after(frequency, tz, now)
    sent: list[DigestPeriod] = []
    keys: set[date] = set()
    for n, gap in enumerate(gaps):
        now += timedelta(seconds=gap)
        if len(zones) > 1 and n % 40 == 39:  # a change of timezone
            tz = ZoneInfo(zones[(n // 40) % len(zones)])
            next_due = next_due_after(frequency, tz, now)
            continue
        period, next_due = step(frequency, tz, next_due, now)
        assert next_due is not None and next_due > now
        if period is None:
            continue
        if len(zones) == 1:
            assert period.start not in keys, "the schedule itself repeated a period"
        if period.start in keys:
            continue  # the unique (user, frequency, period_start) row refuses it
        assert period.due_at <= now
        assert (period.end - period.start).days == (0 if frequency == "daily" else 6)
        keys.add(period.start)
        sent.append(period)
    starts = [p.start for p in sent]
    assert starts == sorted(starts)
    if len(zones) == 1 and all(gap <= 3600 for gap in gaps):
        step_days = 1 if frequency == "daily" else 7
        assert all((b - a).days == step_days for a, b in zip(starts, starts[1:], strict=False))
