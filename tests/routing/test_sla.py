"""SLA clocks: due times in calendar and business time, across the 2026 clock changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from kefu.routing.hours import BusinessHours
from kefu.routing.sla import (
    PRIORITIES,
    SLA_KINDS,
    SlaSettings,
    SlaTargetsSettings,
    due_at,
    elapsed,
    target_minutes,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def hours(**raw: Any) -> BusinessHours:
    return BusinessHours.from_dict({"enabled": True, **raw})


def sla(*, business_hours: bool, **targets: int) -> SlaSettings:
    return SlaSettings.model_validate(
        {"enabled": True, "business_hours": business_hours, "targets": {"normal": targets}}
    )


TAIPEI = hours()  # Mon-Fri 09:00-18:00 local = 01:00-10:00 UTC
FRIDAY_5PM_TAIPEI = utc(2026, 3, 6, 9)


def test_constants() -> None:
    assert SLA_KINDS == ("first_response", "next_response", "resolution")
    assert PRIORITIES == ("urgent", "high", "normal", "low")


def test_no_due_time_when_disabled_or_without_a_target() -> None:
    policy = sla(business_hours=False, first_response_minutes=30)
    off = policy.model_copy(update={"enabled": False})
    start = FRIDAY_5PM_TAIPEI
    assert due_at(off, TAIPEI, priority="normal", kind="first_response", start=start) is None
    assert due_at(policy, TAIPEI, priority="normal", kind="resolution", start=start) is None
    assert due_at(policy, TAIPEI, priority="urgent", kind="first_response", start=start) is None
    assert due_at(policy, TAIPEI, priority="unheard-of", kind="first_response", start=start) is None
    assert due_at(SlaSettings(), TAIPEI, priority="normal", kind="resolution", start=start) is None


def test_unknown_kind_is_an_error() -> None:
    policy = sla(business_hours=False, first_response_minutes=30)
    with pytest.raises(ValueError, match="unknown SLA kind 'first_reply'"):
        due_at(policy, TAIPEI, priority="normal", kind="first_reply", start=FRIDAY_5PM_TAIPEI)
    with pytest.raises(ValueError, match="unknown SLA kind"):
        target_minutes(SlaSettings(), priority="normal", kind="")


def test_target_per_kind() -> None:
    policy = sla(
        business_hours=False,
        first_response_minutes=5,
        next_response_minutes=10,
        resolution_minutes=60,
    )
    assert [target_minutes(policy, priority="normal", kind=k) for k in SLA_KINDS] == [5, 10, 60]


def test_due_in_calendar_time() -> None:
    policy = sla(business_hours=False, first_response_minutes=30, resolution_minutes=480)
    start = FRIDAY_5PM_TAIPEI
    assert due_at(policy, TAIPEI, priority="normal", kind="first_response", start=start) == utc(
        2026, 3, 6, 9, 30
    )
    assert due_at(policy, TAIPEI, priority="normal", kind="resolution", start=start) == utc(
        2026, 3, 6, 17
    )
    assert elapsed(policy, TAIPEI, start, utc(2026, 3, 9, 9)) == 72 * 3600
    assert elapsed(policy, TAIPEI, utc(2026, 3, 9, 9), start) == 0


def test_due_in_business_time() -> None:
    policy = sla(business_hours=True, first_response_minutes=30, resolution_minutes=480)
    start = FRIDAY_5PM_TAIPEI
    # 30 minutes before Friday's 18:00 close.
    assert due_at(policy, TAIPEI, priority="normal", kind="first_response", start=start) == utc(
        2026, 3, 6, 9, 30
    )
    # 1 h on Friday, 7 h on Monday: Monday 16:00 local.
    due = due_at(policy, TAIPEI, priority="normal", kind="resolution", start=start)
    assert due == utc(2026, 3, 9, 8)
    assert elapsed(policy, TAIPEI, start, due) == 8 * 3600
    # Started on Saturday: the clock starts on Monday 09:00 local.
    saturday = utc(2026, 3, 7, 3)
    assert due_at(policy, TAIPEI, priority="normal", kind="first_response", start=saturday) == (
        utc(2026, 3, 9, 1, 30)
    )
    assert elapsed(policy, TAIPEI, saturday, utc(2026, 3, 9, 1, 30)) == 1800


def test_business_time_is_calendar_time_when_the_inbox_has_no_business_hours() -> None:
    policy = sla(business_hours=True, resolution_minutes=480)
    always = BusinessHours.from_dict({"enabled": False})
    due = due_at(policy, always, priority="normal", kind="resolution", start=FRIDAY_5PM_TAIPEI)
    assert due == utc(2026, 3, 6, 17)
    assert elapsed(policy, always, FRIDAY_5PM_TAIPEI, due) == 8 * 3600


def test_business_time_never_passes_in_an_inbox_that_never_opens() -> None:
    policy = sla(business_hours=True, resolution_minutes=480)
    never = hours(weekly={})
    start = FRIDAY_5PM_TAIPEI
    assert due_at(policy, never, priority="normal", kind="resolution", start=start) is None


@pytest.mark.parametrize(
    ("zone", "friday_5pm", "business_due", "calendar_due"),
    [
        # Fri 17:00 EST = 22:00 UTC; clocks go forward Sun 2026-03-08; Mon 16:00 EDT = 20:00 UTC.
        ("America/New_York", utc(2026, 3, 6, 22), utc(2026, 3, 9, 20), utc(2026, 3, 7, 6)),
        # Fri 17:00 EDT = 21:00 UTC; clocks go back Sun 2026-11-01; Mon 16:00 EST = 21:00 UTC.
        ("America/New_York", utc(2026, 10, 30, 21), utc(2026, 11, 2, 21), utc(2026, 10, 31, 5)),
        # Fri 17:00 GMT = 17:00 UTC; clocks go forward Sun 2026-03-29; Mon 16:00 BST = 15:00 UTC.
        ("Europe/London", utc(2026, 3, 27, 17), utc(2026, 3, 30, 15), utc(2026, 3, 28, 1)),
        # Fri 17:00 BST = 16:00 UTC; clocks go back Sun 2026-10-25; Mon 16:00 GMT = 16:00 UTC.
        ("Europe/London", utc(2026, 10, 23, 16), utc(2026, 10, 26, 16), utc(2026, 10, 24, 0)),
    ],
)
def test_eight_business_hours_from_friday_5pm_over_a_clock_change(
    zone: str, friday_5pm: datetime, business_due: datetime, calendar_due: datetime
) -> None:
    inbox = hours(timezone=zone)  # Mon-Fri 09:00-18:00 local
    for business_hours, expected in ((True, business_due), (False, calendar_due)):
        policy = sla(business_hours=business_hours, resolution_minutes=480)
        due = due_at(policy, inbox, priority="normal", kind="resolution", start=friday_5pm)
        assert due == expected
        assert elapsed(policy, inbox, friday_5pm, expected) == 8 * 3600


def test_naive_start_is_rejected() -> None:
    naive = datetime(2026, 3, 6, 17)  # noqa: DTZ001
    for business_hours in (True, False):
        policy = sla(business_hours=business_hours, resolution_minutes=480)
        with pytest.raises(ValueError, match="naive"):
            due_at(policy, TAIPEI, priority="normal", kind="resolution", start=naive)
        with pytest.raises(ValueError, match="naive"):
            elapsed(policy, TAIPEI, naive, FRIDAY_5PM_TAIPEI)


def test_target_bounds() -> None:
    assert SlaTargetsSettings(resolution_minutes=525_600).resolution_minutes == 525_600
    assert SlaTargetsSettings(first_response_minutes=1).first_response_minutes == 1
    assert SlaTargetsSettings().next_response_minutes is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"targets": {"normal": {"first_response_minutes": 0}}}, "greater than or equal to 1"),
        ({"targets": {"normal": {"resolution_minutes": 525_601}}}, "less than or equal to 525600"),
        ({"targets": {"normal": {"resolution_hours": 8}}}, "Extra inputs are not permitted"),
        ({"targets": {"critical": {"resolution_minutes": 8}}}, "urgent"),
        ({"pause_when_closed": True}, "Extra inputs are not permitted"),
    ],
)
def test_validation_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SlaSettings.model_validate(raw)


def test_settings_round_trip_through_json() -> None:
    policy = sla(business_hours=True, first_response_minutes=15, resolution_minutes=1440)
    assert SlaSettings.model_validate_json(policy.model_dump_json()) == policy
