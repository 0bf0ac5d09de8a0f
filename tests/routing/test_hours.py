"""Business hours: hand-computed expectations in Asia/Taipei (UTC+8, no DST), America/New_York
and Europe/London across the 2026 clock changes, plus property tests."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from kefu.routing.hours import (
    BusinessHours,
    BusinessHoursSettings,
    add_business_seconds,
    business_seconds_between,
    current_close,
    is_open,
    next_open,
)

HOUR = 3600.0
ALL_DAY = [("00:00", "24:00")]
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def hours(**raw: Any) -> BusinessHours:
    return BusinessHours.from_dict({"enabled": True, **raw})


# 2026-03-02 is a Monday. Taipei 09:00-18:00 is 01:00-10:00 UTC.
TAIPEI = hours()


def test_default_settings_are_disabled_weekdays_nine_to_six_in_taipei() -> None:
    s = BusinessHoursSettings()
    assert s.enabled is False
    assert s.timezone == "Asia/Taipei"
    assert s.weekly == {d: [("09:00", "18:00")] for d in ("mon", "tue", "wed", "thu", "fri")}
    h = BusinessHours.from_settings(s)
    assert h.always_open is True
    assert h.zone == ZoneInfo("Asia/Taipei")
    assert h.weekly[0] == ((540, 1080),)
    assert h.weekly[5] == ()


def test_taipei_weekday_boundaries_start_inclusive_end_exclusive() -> None:
    assert not is_open(TAIPEI, utc(2026, 3, 2, 0, 59))
    assert is_open(TAIPEI, utc(2026, 3, 2, 1, 0))
    assert is_open(TAIPEI, utc(2026, 3, 2, 9, 59, 59))
    assert not is_open(TAIPEI, utc(2026, 3, 2, 10, 0))
    assert not is_open(TAIPEI, utc(2026, 3, 7, 3, 0))  # Saturday 11:00 local
    assert not is_open(TAIPEI, utc(2026, 3, 8, 3, 0))  # Sunday


def test_other_timezones_in_the_input_are_accepted() -> None:
    local = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Taipei"))
    assert is_open(TAIPEI, local)
    assert next_open(TAIPEI, local) == utc(2026, 3, 2, 1, 0)
    assert next_open(TAIPEI, local).tzinfo is UTC  # type: ignore[union-attr]


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001
    for call in (
        lambda: is_open(TAIPEI, naive),
        lambda: next_open(TAIPEI, naive),
        lambda: current_close(TAIPEI, naive),
        lambda: business_seconds_between(TAIPEI, naive, utc(2026, 3, 3)),
        lambda: add_business_seconds(TAIPEI, naive, 60),
    ):
        with pytest.raises(ValueError, match="naive"):
            call()


def test_a_holiday_closes_the_local_date_which_starts_at_16_utc_the_day_before() -> None:
    h = hours(weekly=dict.fromkeys(EVERY_DAY, ALL_DAY), holidays=["2026-03-03"])
    assert is_open(h, utc(2026, 3, 2, 15, 59, 59))
    assert not is_open(h, utc(2026, 3, 2, 16, 0))
    assert not is_open(h, utc(2026, 3, 3, 15, 59, 59))
    assert is_open(h, utc(2026, 3, 3, 16, 0))
    # The round-the-clock stretch before it ends at the holiday's local midnight.
    assert current_close(h, utc(2026, 3, 1, 0, 0)) == utc(2026, 3, 2, 16, 0)
    assert next_open(h, utc(2026, 3, 2, 20, 0)) == utc(2026, 3, 3, 16, 0)
    assert business_seconds_between(h, utc(2026, 3, 2, 0), utc(2026, 3, 4, 0)) == 24 * HOUR


def test_next_open_is_now_when_open() -> None:
    at = utc(2026, 3, 2, 3, 17, 5)
    assert next_open(TAIPEI, at) == at


def test_next_open_over_a_weekend() -> None:
    friday_close = utc(2026, 3, 6, 10, 0)  # Friday 18:00 local
    assert next_open(TAIPEI, friday_close) == utc(2026, 3, 9, 1, 0)  # Monday 09:00 local
    assert next_open(TAIPEI, utc(2026, 3, 7, 12, 0)) == utc(2026, 3, 9, 1, 0)
    # Early Monday local time is still Sunday in UTC.
    assert next_open(TAIPEI, utc(2026, 3, 8, 17, 0)) == utc(2026, 3, 9, 1, 0)


def test_next_open_over_a_holiday() -> None:
    h = hours(holidays=["2026-03-09"])  # Monday
    assert next_open(h, utc(2026, 3, 6, 10, 0)) == utc(2026, 3, 10, 1, 0)


def test_next_open_never_when_no_intervals() -> None:
    h = hours(weekly={})
    at = utc(2026, 3, 2, 3, 0)
    assert not is_open(h, at)
    assert next_open(h, at) is None
    assert current_close(h, at) is None
    assert business_seconds_between(h, at, at + timedelta(days=30)) == 0
    assert add_business_seconds(h, at, 60) is None


def test_next_open_skips_more_than_a_year_of_holidays() -> None:
    first = date(2026, 1, 4)  # a Sunday
    sundays = [first + timedelta(weeks=w) for w in range(60)]
    h = hours(weekly={"sun": [("10:00", "11:00")]}, holidays=sundays)
    assert next_open(h, utc(2026, 1, 1)) == utc(2027, 2, 28, 2, 0)  # the 61st Sunday
    h2 = hours(weekly={"sun": [("10:00", "11:00")]}, holidays=sundays[:1])
    assert next_open(h2, utc(2026, 1, 1)) == utc(2026, 1, 11, 2, 0)


def test_current_close() -> None:
    assert current_close(TAIPEI, utc(2026, 3, 2, 3, 0)) == utc(2026, 3, 2, 10, 0)
    assert current_close(TAIPEI, utc(2026, 3, 2, 1, 0)) == utc(2026, 3, 2, 10, 0)
    assert current_close(TAIPEI, utc(2026, 3, 2, 10, 0)) is None
    assert current_close(TAIPEI, utc(2026, 3, 7, 3, 0)) is None


def test_current_close_joins_intervals_across_midnight() -> None:
    h = hours(weekly={"mon": [("18:00", "24:00")], "tue": [("00:00", "02:00"), ("09:00", "10:00")]})
    # Monday 20:00 local -> Tuesday 02:00 local, i.e. Monday 18:00 UTC.
    assert current_close(h, utc(2026, 3, 2, 12, 0)) == utc(2026, 3, 2, 18, 0)
    assert current_close(h, utc(2026, 3, 2, 17, 0)) == utc(2026, 3, 2, 18, 0)
    assert current_close(h, utc(2026, 3, 3, 1, 30)) == utc(2026, 3, 3, 2, 0)


def test_current_close_joins_touching_intervals_within_a_day() -> None:
    h = hours(weekly={"mon": [("12:00", "18:00"), ("09:00", "12:00")]})
    assert current_close(h, utc(2026, 3, 2, 1, 0)) == utc(2026, 3, 2, 10, 0)


def test_current_close_none_for_an_endless_schedule() -> None:
    h = hours(weekly=dict.fromkeys(EVERY_DAY, ALL_DAY))
    assert is_open(h, utc(2026, 3, 2, 3, 0))
    assert current_close(h, utc(2026, 3, 2, 3, 0)) is None


def test_business_seconds_across_a_night_and_a_weekend() -> None:
    # Monday 17:00 -> Tuesday 10:00 local: 1 h + 1 h.
    assert business_seconds_between(TAIPEI, utc(2026, 3, 2, 9), utc(2026, 3, 3, 2)) == 2 * HOUR
    # Friday 17:00 -> Monday 10:00 local: 1 h + 1 h.
    assert business_seconds_between(TAIPEI, utc(2026, 3, 6, 9), utc(2026, 3, 9, 2)) == 2 * HOUR
    # A whole week: 5 x 9 h.
    assert business_seconds_between(TAIPEI, utc(2026, 3, 2), utc(2026, 3, 9)) == 45 * HOUR
    # Fifty-two weeks in one call.
    assert business_seconds_between(TAIPEI, utc(2026, 3, 2), utc(2027, 3, 1)) == 52 * 45 * HOUR


def test_business_seconds_empty_or_reversed_range() -> None:
    at = utc(2026, 3, 2, 3)
    assert business_seconds_between(TAIPEI, at, at) == 0
    assert business_seconds_between(TAIPEI, at, at - timedelta(hours=5)) == 0


def test_add_business_seconds() -> None:
    # Friday 17:00 local + 8 h: 1 h on Friday, 7 h on Monday -> Monday 16:00 local.
    assert add_business_seconds(TAIPEI, utc(2026, 3, 6, 9), 8 * HOUR) == utc(2026, 3, 9, 8)
    # From Saturday, the clock starts on Monday 09:00.
    assert add_business_seconds(TAIPEI, utc(2026, 3, 7, 3), HOUR) == utc(2026, 3, 9, 2)
    assert add_business_seconds(TAIPEI, utc(2026, 3, 7, 3), 0) == utc(2026, 3, 9, 1)
    # Landing exactly on a closing time gives the closing time, not the next opening.
    assert add_business_seconds(TAIPEI, utc(2026, 3, 2, 1), 9 * HOUR) == utc(2026, 3, 2, 10)
    assert add_business_seconds(TAIPEI, utc(2026, 3, 2, 1), 9 * HOUR + 1) == utc(
        2026, 3, 3, 1, 0, 1
    )
    with pytest.raises(ValueError, match="negative"):
        add_business_seconds(TAIPEI, utc(2026, 3, 2, 1), -1)


def test_add_business_seconds_over_thirty_days_of_hours_is_fast() -> None:
    started = clock.perf_counter()
    for _ in range(20):
        due = add_business_seconds(TAIPEI, utc(2026, 3, 2, 1), 30 * 9 * HOUR)
    assert due == utc(2026, 4, 10, 10)  # 6 weeks of 5 days, Friday 18:00 local
    assert (clock.perf_counter() - started) / 20 < 0.05


def test_always_open_when_disabled() -> None:
    h = BusinessHours.from_dict({"enabled": False, "weekly": {}})
    at = utc(2026, 3, 7, 3, 0)  # Saturday
    assert h.always_open
    assert is_open(h, at)
    assert next_open(h, at) == at
    assert current_close(h, at) is None
    assert business_seconds_between(h, at, at + timedelta(days=2)) == 48 * HOUR
    assert add_business_seconds(h, at, 90) == at + timedelta(seconds=90)


@pytest.mark.parametrize(
    ("zone", "day", "opens", "closes", "length"),
    [
        # New York: 00:00 EST = 05:00 UTC, 12:00 EDT = 16:00 UTC.
        ("America/New_York", date(2026, 3, 8), utc(2026, 3, 8, 5), utc(2026, 3, 8, 16), 11),
        # New York: 00:00 EDT = 04:00 UTC, 12:00 EST = 17:00 UTC.
        ("America/New_York", date(2026, 11, 1), utc(2026, 11, 1, 4), utc(2026, 11, 1, 17), 13),
        # London: 00:00 GMT = 00:00 UTC, 12:00 BST = 11:00 UTC.
        ("Europe/London", date(2026, 3, 29), utc(2026, 3, 29, 0), utc(2026, 3, 29, 11), 11),
        # London: 00:00 BST = 23:00 UTC the day before, 12:00 GMT = 12:00 UTC.
        ("Europe/London", date(2026, 10, 25), utc(2026, 10, 24, 23), utc(2026, 10, 25, 12), 13),
    ],
)
def test_an_interval_spanning_a_clock_change_is_as_long_as_it_really_is(
    zone: str, day: date, opens: datetime, closes: datetime, length: int
) -> None:
    h = hours(timezone=zone, weekly={"sun": [("00:00", "12:00")]})
    around = (opens - timedelta(days=2), closes + timedelta(days=2))
    assert business_seconds_between(h, *around) == length * HOUR
    assert next_open(h, around[0]) == opens
    assert not is_open(h, opens - timedelta(seconds=1))
    assert is_open(h, opens)
    assert current_close(h, opens) == closes
    assert is_open(h, closes - timedelta(seconds=1))
    assert not is_open(h, closes)
    assert add_business_seconds(h, opens, length * HOUR) == closes
    # The week before and after, the same interval is 12 hours long.
    week = timedelta(days=7)
    assert business_seconds_between(h, around[0] - week, around[1] - week) == 12 * HOUR
    assert business_seconds_between(h, around[0] + week, around[1] + week) == 12 * HOUR


def test_spring_forward_gap_times_are_read_with_fold_0() -> None:
    # New York skips 02:00-03:00 on 2026-03-08. With fold=0, 02:30 is read as EST (07:30 UTC),
    # i.e. 03:30 EDT; 04:00 EDT is 08:00 UTC.
    h = hours(timezone="America/New_York", weekly={"sun": [("02:30", "04:00")]})
    assert next_open(h, utc(2026, 3, 8)) == utc(2026, 3, 8, 7, 30)
    assert current_close(h, utc(2026, 3, 8, 7, 30)) == utc(2026, 3, 8, 8)
    # An interval lying wholly in the gap is empty that day: the next opening is a week later.
    gap = hours(timezone="America/New_York", weekly={"sun": [("02:00", "03:00")]})
    assert next_open(gap, utc(2026, 3, 8)) == utc(2026, 3, 15, 6)
    assert business_seconds_between(gap, utc(2026, 3, 8), utc(2026, 3, 9)) == 0


def test_ambiguous_times_are_the_first_occurrence() -> None:
    # New York repeats 01:00-02:00 on 2026-11-01: first as EDT (05:00 UTC), then EST (06:00 UTC).
    h = hours(timezone="America/New_York", weekly={"sun": [("01:00", "01:30")]})
    assert next_open(h, utc(2026, 11, 1)) == utc(2026, 11, 1, 5)
    assert current_close(h, utc(2026, 11, 1, 5)) == utc(2026, 11, 1, 5, 30)
    assert not is_open(h, utc(2026, 11, 1, 6, 15))


def test_from_dict_sorts_intervals() -> None:
    s = BusinessHoursSettings.model_validate(
        {"weekly": {"mon": [["13:00", "18:00"], ["09:00", "12:00"]]}}
    )
    assert s.weekly == {"mon": [("09:00", "12:00"), ("13:00", "18:00")]}
    assert BusinessHours.from_settings(s).weekly[0] == ((540, 720), (780, 1080))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "unknown timezone"),
        ({"timezone": "../etc/passwd"}, "unknown timezone"),
        ({"timezone": ""}, "unknown timezone"),
        ({"weekly": {"mon": [("09:00", "25:00")]}}, "invalid time '25:00'"),
        ({"weekly": {"mon": [("9:00", "18:00")]}}, "invalid time '9:00'"),
        ({"weekly": {"mon": [("24:00", "24:00")]}}, "invalid time '24:00'"),
        ({"weekly": {"mon": [("09:60", "18:00")]}}, "invalid time"),
        ({"weekly": {"mon": [("18:00", "09:00")]}}, "must start before it ends"),
        ({"weekly": {"mon": [("09:00", "09:00")]}}, "must start before it ends"),
        ({"weekly": {"mon": [("09:00", "12:00"), ("11:00", "13:00")]}}, "overlap"),
        ({"weekly": {"mon": [("13:00", "18:00"), ("09:00", "14:00")]}}, "overlap"),
        ({"weekly": {"mon": [(f"{h:02}:00", f"{h:02}:30") for h in range(11)]}}, "at most 10"),
        ({"weekly": {"monday": [("09:00", "18:00")]}}, "mon"),
        ({"holidays": [date(2026, 1, 1)] * 367}, "at most 366"),
        ({"holidays": ["not a date"]}, "date"),
        ({"opens": "09:00"}, "Extra inputs are not permitted"),
    ],
)
def test_validation_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessHoursSettings.model_validate(raw)


def test_validation_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Nowhere/Town'"):
        BusinessHours.from_dict({"timezone": "Nowhere/Town"})


def test_settings_round_trip_through_json() -> None:
    s = BusinessHoursSettings(enabled=True, holidays=[date(2026, 1, 1)])
    assert BusinessHoursSettings.model_validate_json(s.model_dump_json()) == s


# Property tests --------------------------------------------------------------------------

SCHEDULES: list[dict[str, Any]] = [
    {},
    {
        "weekly": {
            "mon": [("00:00", "02:00"), ("09:00", "12:00"), ("13:00", "18:00"), ("22:00", "24:00")],
            "tue": [("00:00", "03:00")],
            "sat": [("10:00", "14:00")],
        },
    },
    {"holidays": ["2026-03-09", "2026-03-30", "2026-11-02", "2026-10-26", "2026-12-25"]},
    {"weekly": dict.fromkeys(EVERY_DAY, ALL_DAY), "holidays": ["2026-03-08", "2026-11-01"]},
]
ZONES = ["Asia/Taipei", "America/New_York", "Europe/London"]

schedules = st.builds(
    lambda zone, raw: hours(timezone=zone, **raw),
    st.sampled_from(ZONES),
    st.sampled_from(SCHEDULES),
)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 1, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=300, deadline=None)
@given(h=schedules, start=instants, seconds=st.floats(min_value=0, max_value=40 * 86400))
def test_add_then_measure_gives_back_the_seconds(
    h: BusinessHours, start: datetime, seconds: float
) -> None:
    due = add_business_seconds(h, start, seconds)
    assert due is not None
    assert due >= start
    assert abs(business_seconds_between(h, start, due) - seconds) <= 1e-6
    assert is_open(h, due) or is_open(h, due - timedelta(microseconds=1))


def _wall_clock_open(h: BusinessHours, at: datetime) -> bool:
    """An independent oracle: read the local wall clock. It agrees with the library whenever no
    interval boundary falls inside a clock change, true of every schedule above."""
    local = at.astimezone(h.zone)
    if local.date() in h.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in h.weekly[local.weekday()])


@settings(max_examples=500, deadline=None)
@given(h=schedules, at=instants)
def test_is_open_agrees_with_the_local_wall_clock(h: BusinessHours, at: datetime) -> None:
    assert is_open(h, at) == _wall_clock_open(h, at)
    opens = next_open(h, at)
    assert opens is not None and opens >= at and is_open(h, opens)
    if opens > at:
        assert business_seconds_between(h, at, opens) == 0
    close = current_close(h, opens)
    if close is not None:
        assert not is_open(h, close)
        assert business_seconds_between(h, opens, close) == (close - opens).total_seconds()
