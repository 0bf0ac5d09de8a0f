"""Every KPI against hand-computed fixtures (docs/reports.md, "KPI definitions"): the facts of
hand-written conversations, summed as the rollups sum them, read as the API reads them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kefu.reports import histogram
from kefu.reports.facts import ConversationRow, Fact, MessageRow, SurveyRow, compute_fact
from kefu.reports.filters import ReportPeriod
from kefu.reports.queries import (
    figures,
    heatmap_cells,
    series_points,
    sum_facts,
    sum_facts_by_quarter,
)
from kefu.reports.rollups import Tally
from kefu.routing.hours import BusinessHours, BusinessHoursSettings

ALWAYS = BusinessHours.from_settings(BusinessHoursSettings(enabled=False))
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Taipei
AGENT, AGENT2 = 7, 8


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def incoming(t: datetime) -> MessageRow:
    return MessageRow("incoming", "c:1", None, t)


def reply(t: datetime, user: int = AGENT) -> MessageRow:
    return MessageRow("outgoing", f"u:{user}", user, t)


def bot(t: datetime) -> MessageRow:
    return MessageRow("outgoing", "b:0", None, t)


def activity(t: datetime, **payload: Any) -> MessageRow:
    return MessageRow("activity", "s:0", None, t, payload)


def assigned(t: datetime, to: str | None = "Mei", frm: str | None = None) -> MessageRow:
    return activity(t, type="assigned", to=to, **{"from": frm}, how="auto")


def status(t: datetime, frm: str, to: str) -> MessageRow:
    return activity(t, type="status_changed", to=to, **{"from": frm}, by="Mei")


def fact(
    messages: Sequence[MessageRow],
    *,
    created: datetime = T0,
    resolved: datetime | None = None,
    status_now: str | None = None,
    surveys: Sequence[SurveyRow] = (),
    breaches: int = 0,
    hours: BusinessHours = ALWAYS,
    agent: int | None = AGENT,
    cid: int = 1,
    sla: bool = False,
) -> Fact:
    row = ConversationRow(
        id=cid,
        inbox_id=1,
        team_id=2,
        assignee_id=agent,
        status=status_now or ("resolved" if resolved else "open"),
        created_at=created,
        resolved_at=resolved,
        tags=["退款"],
        first_response_due_at=created + timedelta(minutes=5) if sla else None,
    )
    return compute_fact(
        row, channel="web", hours=hours, messages=messages, surveys=surveys, breaches=breaches
    )


def summary_of(facts: Sequence[Fact], hours: str = "calendar") -> dict[str, Any]:
    everything = sum_facts(facts, T0 - timedelta(days=400), T0 + timedelta(days=400))
    return figures(everything.get("", Tally()), hours)


def test_a_plain_chat() -> None:
    f = fact(
        [
            incoming(at(0)),
            assigned(at(0.5)),
            reply(at(2)),  # first response: 120 s after the first message
            incoming(at(5)),
            reply(at(6) + timedelta(seconds=40)),  # next response: 100 s
            status(at(20), "open", "resolved"),
        ],
        resolved=at(20),
    )
    assert (f.frt_s, f.wait_s, f.responses[0][1]) == (120, 30, 100)
    assert (f.resolution_s, f.handling_s) == (1200, 1170)  # handling: assigned -> resolved
    s = summary_of([f])
    assert s["conversations"] == {"created": 1, "resolved": 1}
    assert s["first_response"]["average_s"] == 120
    assert s["first_response"]["median_s"] == pytest.approx(120, rel=0.05)
    assert s["next_response"]["count"] == 1
    assert s["fcr"] == {"eligible": 1, "count": 1, "rate": 1.0}
    assert s["reopen"]["rate"] == 0.0
    assert s["queue"]["queued"] == 1 and s["queue"]["abandoned"] == 0
    assert s["queue"]["wait_median_s"] == pytest.approx(30, rel=0.05)
    assert s["handling"]["average_s"] == 1170


def test_medians_are_the_lower_median_and_exact_below_ten_seconds() -> None:
    facts = [
        fact([incoming(at(0)), reply(at(0) + timedelta(seconds=s))], cid=i)
        for i, s in enumerate((5, 7, 3, 100), start=1)
    ]
    s = summary_of(facts)
    assert s["first_response"]["median_s"] == 5  # sorted 3, 5, 7, 100: rank ceil(4 / 2) = 2
    assert s["first_response"]["p90_s"] == pytest.approx(100, rel=0.05)  # rank ceil(3.6) = 4
    assert s["first_response"]["average_s"] == 28.8  # (5 + 7 + 3 + 100) / 4
    assert histogram.percentile({}, 0.5) is None


def test_a_reopened_conversation_counts_once_at_its_last_resolution() -> None:
    f = fact(
        [
            incoming(at(0)),
            assigned(at(1)),
            reply(at(2)),
            status(at(10), "open", "resolved"),
            status(at(60), "resolved", "open"),  # the customer came back
            status(at(70), "open", "resolved"),
        ],
        resolved=at(70),
    )
    assert f.reopens == 1
    assert f.resolution_s == 70 * 60
    assert f.handling_s == (9 + 10) * 60  # 1..10 and 60..70: open and held
    s = summary_of([f])
    assert s["conversations"]["resolved"] == 1
    assert s["reopen"] == {"resolved": 1, "reopened": 1, "rate": 1.0}
    assert s["fcr"]["rate"] == 0.0


def test_a_bot_only_conversation_is_contained_and_never_queued() -> None:
    f = fact(
        [incoming(at(0)), bot(at(0.1)), incoming(at(1)), bot(at(1.1))],
        resolved=at(30),
        agent=None,
    )
    s = summary_of([f])
    assert s["bot"] == {
        "conversations": 1,
        "contained": 1,
        "handed_off": 0,
        "containment_rate": 1.0,
        "handoff_rate": 0.0,
    }
    assert s["first_response"]["count"] == 0
    assert s["queue"]["queued"] == 0 and s["queue"]["abandoned"] == 0
    assert s["fcr"]["eligible"] == 0  # no person answered: not a human first contact


def test_a_bot_handoff_starts_the_first_response_clock() -> None:
    f = fact(
        [
            incoming(at(0)),
            bot(at(0.1)),
            incoming(at(2)),
            activity(at(3), type="bot_handoff", reason="asked_for_human", summary=""),
            assigned(at(3) + timedelta(seconds=20)),
            reply(at(4)),
        ]
    )
    assert (f.frt_s, f.wait_s) == (60, 20)
    s = summary_of([f])
    assert s["bot"]["handed_off"] == 1 and s["bot"]["contained"] == 0


def test_transfers_count_and_break_first_contact_resolution() -> None:
    f = fact(
        [
            incoming(at(0)),
            assigned(at(1)),
            reply(at(2)),
            activity(at(5), type="transferred", by="Mei", team="Billing", note=None),
            assigned(at(6), to="Alex"),
            assigned(at(7), to="Mei", frm="Alex"),  # handed from one agent to another
            status(at(9), "open", "resolved"),
        ],
        resolved=at(9),
    )
    assert f.transfers == 2
    assert f.handling_s == (5 - 1 + 9 - 6) * 60  # not held between the transfer and Alex
    assert summary_of([f])["fcr"] == {"eligible": 1, "count": 0, "rate": 0.0}


def test_a_conversation_closed_by_a_contact_merge_is_not_a_resolution() -> None:
    f = fact(
        [
            incoming(at(0)),
            activity(at(3), type="merge_resolved", by="Mei", continued_in=9),
        ],
        resolved=at(3),
    )
    s = summary_of([f])
    assert s["conversations"] == {"created": 1, "resolved": 0}
    assert s["queue"]["abandoned"] == 0


def test_a_customer_who_leaves_before_anyone_answers_abandoned() -> None:
    f = fact([incoming(at(0)), status(at(15), "open", "resolved")], resolved=at(15), agent=None)
    s = summary_of([f])
    assert s["queue"] == {
        "queued": 1,
        "wait_median_s": None,
        "wait_p90_s": None,
        "abandoned": 1,
        "abandonment_rate": 1.0,
    }
    # Still waiting: neither answered nor abandoned yet.
    assert summary_of([fact([incoming(at(0))], agent=None)])["queue"]["queued"] == 0


def test_csat_and_nps() -> None:
    surveys = [
        SurveyRow("csat", 5, at(30)),
        SurveyRow("csat", 4, at(31)),
        SurveyRow("csat", 2, at(32)),
        SurveyRow("nps", 10, at(33)),
        SurveyRow("nps", 8, at(34)),
        SurveyRow("nps", 3, at(35)),
    ]
    s = summary_of([fact([incoming(at(0))], surveys=surveys)])
    assert s["csat"] == {
        "responses": 3,
        "average": 3.67,
        "satisfied": 2,
        "satisfied_rate": 0.6667,
        "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1},
    }
    assert s["nps"] == {
        "responses": 3,
        "promoters": 1,
        "passives": 1,
        "detractors": 1,
        "score": 0.0,
    }


def test_sla_attainment() -> None:
    met = fact([incoming(at(0)), reply(at(1))], sla=True, cid=1)
    missed = fact([incoming(at(0)), reply(at(9))], sla=True, breaches=1, cid=2)
    none = fact([incoming(at(0))], cid=3)
    assert summary_of([met, missed, none])["sla"] == {
        "conversations": 2,
        "breached": 1,
        "attainment": 0.5,
    }


def test_business_hours_skip_the_weekend() -> None:
    hours = BusinessHours.from_settings(
        BusinessHoursSettings(
            enabled=True,
            timezone="Asia/Taipei",
            weekly={day: [("09:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")},
        )
    )
    friday = datetime(2026, 11, 6, 9, 50, tzinfo=UTC)  # 17:50 in Taipei
    monday = datetime(2026, 11, 9, 1, 10, tzinfo=UTC)  # 09:10
    f = fact([incoming(friday), reply(monday)], created=friday, hours=hours)
    assert f.frt_bh_s == 20 * 60
    assert f.frt_s == int((monday - friday).total_seconds())
    s = summary_of([f], hours="business")
    assert s["first_response"]["average_s"] == 1200


def test_a_conversation_across_midnight_counts_created_and_resolved_on_different_days() -> None:
    taipei = ZoneInfo("Asia/Taipei")
    created = datetime(2026, 11, 3, 23, 50, tzinfo=taipei).astimezone(UTC)
    resolved = created + timedelta(minutes=20)  # 00:10 on the 4th
    f = fact(
        [incoming(created), reply(created + timedelta(minutes=2))],
        created=created,
        resolved=resolved,
    )
    for day, expected in ((3, (1, 0)), (4, (0, 1))):
        period = ReportPeriod.from_local_dates(
            date(2026, 11, day), date(2026, 11, day), "Asia/Taipei"
        )
        tally = sum_facts([f], period.start_at, period.end_at).get("", Tally())
        assert (tally.get("created"), tally.get("resolved")) == expected
    # In UTC both happen on the 3rd.
    utc = ReportPeriod.from_local_dates(date(2026, 11, 3), date(2026, 11, 3), "UTC")
    tally = sum_facts([f], utc.start_at, utc.end_at)[""]
    assert (tally.get("created"), tally.get("resolved")) == (1, 1)


def test_daylight_saving_days_have_23_and_25_hours() -> None:
    zone = "America/New_York"
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT. 01:30 EST = 06:30 UTC; 03:30 EDT = 07:30 UTC.
    spring = [
        fact([incoming(t)], created=t, cid=i)
        for i, t in enumerate(
            (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
            start=1,
        )
    ]
    period = ReportPeriod.from_local_dates(date(2026, 3, 8), date(2026, 3, 8), zone)
    assert period.end_at - period.start_at == timedelta(hours=23)
    buckets = sum_facts_by_quarter(spring, period.start_at, period.end_at)
    points = series_points(buckets, period, interval="hour", hours="calendar")
    assert len(points) == 23
    busy = [(p["start"], p["created"]) for p in points if p["created"]]
    assert busy == [("2026-03-08T01:00:00-05:00", 1), ("2026-03-08T03:00:00-04:00", 1)]
    cells = heatmap_cells(buckets, period.tz)
    assert cells[6][1] == 1 and cells[6][3] == 1 and cells[6][2] == 0  # a Sunday
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice (05:30 and 06:30 UTC).
    autumn = [
        fact([incoming(t)], created=t, cid=i)
        for i, t in enumerate(
            (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
            start=1,
        )
    ]
    period = ReportPeriod.from_local_dates(date(2026, 11, 1), date(2026, 11, 1), zone)
    buckets = sum_facts_by_quarter(autumn, period.start_at, period.end_at)
    points = series_points(buckets, period, interval="hour", hours="calendar")
    assert len(points) == 25
    busy = [(p["start"], p["created"]) for p in points if p["created"]]
    assert busy == [("2026-11-01T01:00:00-04:00", 1), ("2026-11-01T01:00:00-05:00", 1)]
    daily = series_points(buckets, period, interval="day", hours="calendar")
    assert [(p["start"], p["created"]) for p in daily] == [("2026-11-01T00:00:00-04:00", 2)]


def test_a_timezone_with_a_45_minute_offset() -> None:
    # Kathmandu is UTC+5:45: its midnight is 18:15 UTC, on the 15-minute grid.
    t = datetime(2026, 11, 2, 18, 20, tzinfo=UTC)  # 00:05 on the 3rd in Kathmandu
    f = fact([incoming(t)], created=t)
    day3 = ReportPeriod.from_local_dates(date(2026, 11, 3), date(2026, 11, 3), "Asia/Kathmandu")
    assert sum_facts([f], day3.start_at, day3.end_at)[""].get("created") == 1
    day2 = ReportPeriod.from_local_dates(date(2026, 11, 2), date(2026, 11, 2), "Asia/Kathmandu")
    assert sum_facts([f], day2.start_at, day2.end_at) == {}
