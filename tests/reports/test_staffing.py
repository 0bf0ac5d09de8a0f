"""Staffing advice, pure: the forecast from hand-built histories (DST weeks included), the
recommendation and roster evaluation against Erlang C, and the supervisor's summary lines."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.reports import erlang
from kefu.reports.staffing import (
    Peak,
    agent_hours,
    describe_agent_hours,
    describe_days,
    describe_peak,
    evaluate,
    forecast_week,
    history_start,
    hour_lengths,
    peaks,
    recommend,
    week_lengths,
)

UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")  # 2026: clocks forward on 29 March, back on 25 October
TAIPEI = ZoneInfo("Asia/Taipei")
MONDAY = date(2026, 11, 23)


def empty() -> list[list[float]]:
    return [[0.0] * 24 for _ in range(7)]


def at(day: date, hour: int, tz: ZoneInfo = UTC_ZONE, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz, fold=fold)


# --- hours of a local day ---------------------------------------------------------------------


def test_hour_lengths_on_ordinary_and_dst_days() -> None:
    assert hour_lengths(date(2026, 3, 28), BERLIN) == [1] * 24
    spring = hour_lengths(date(2026, 3, 29), BERLIN)
    assert spring[2] == 0 and sum(spring) == 23  # 02:00 never happens
    autumn = hour_lengths(date(2026, 10, 25), BERLIN)
    assert autumn[2] == 2 and sum(autumn) == 25  # 02:00 happens twice
    assert hour_lengths(date(2026, 3, 29), ZoneInfo("Asia/Kolkata")) == [1] * 24  # +05:30
    week = week_lengths(date(2026, 3, 23), BERLIN)
    assert sum(map(sum, week)) == 7 * 24 - 1


# --- the forecast -----------------------------------------------------------------------------


def test_a_steady_history_forecasts_itself() -> None:
    history = {at(MONDAY - timedelta(days=d), h): 3 for d in range(1, 4 * 7 + 1) for h in range(24)}
    grid = forecast_week(history, weeks=4, tz=UTC_ZONE, end=MONDAY)
    assert grid == [[pytest.approx(3.0)] * 24 for _ in range(7)]


def test_recent_weeks_weigh_more() -> None:
    # Monday 10:00 over four weeks, most recent first: 8, 4, 4, 4. Weights 4, 3, 2, 1:
    # (4·8 + 3·4 + 2·4 + 1·4) / 10 = 5.6 (a plain average would say 5).
    history = {at(MONDAY - timedelta(weeks=w + 1), 10): n for w, n in enumerate((8, 4, 4, 4))}
    history[at(MONDAY - timedelta(days=1), 10)] = 1  # a Sunday, so the history begins early
    grid = forecast_week(history, weeks=4, tz=UTC_ZONE, end=MONDAY)
    assert grid[0][10] == pytest.approx(5.6)
    assert grid[0][11] == 0.0
    assert grid[6][10] == pytest.approx(4 * 1 / 10)  # only the latest Sunday had one


def test_days_before_the_first_arrival_are_not_zeros() -> None:
    # A new inbox: four weeks asked for, one week of data. Its Monday is the forecast, not
    # diluted by three weeks when nobody could write.
    history = {at(MONDAY - timedelta(days=7), 10): 7, at(MONDAY - timedelta(days=2), 9): 2}
    grid = forecast_week(history, weeks=4, tz=UTC_ZONE, end=MONDAY)
    assert grid[0][10] == pytest.approx(7.0)
    assert grid[5][9] == pytest.approx(2.0)
    start = MONDAY - timedelta(weeks=4)
    assert history_start(history, tz=UTC_ZONE, start=start, end=MONDAY) == MONDAY - timedelta(7)
    assert forecast_week({}, weeks=4, tz=UTC_ZONE, end=MONDAY) == empty()


def test_hours_outside_the_window_are_ignored() -> None:
    history = {
        at(MONDAY, 10): 50,  # the forecast week itself
        at(MONDAY - timedelta(weeks=3), 10): 50,  # before a 2-week window
        at(MONDAY - timedelta(weeks=1), 10): 4,
    }
    assert forecast_week(history, weeks=2, tz=UTC_ZONE, end=MONDAY)[0][10] == pytest.approx(4.0)


def test_keys_in_any_zone_count_in_local_hours() -> None:
    local = {at(MONDAY - timedelta(days=7), 20, TAIPEI): 5}
    as_utc = {k.astimezone(UTC): v for k, v in local.items()}  # Monday 12:00 UTC
    a = forecast_week(local, weeks=1, tz=TAIPEI, end=MONDAY)
    b = forecast_week(as_utc, weeks=1, tz=TAIPEI, end=MONDAY)
    assert a == b and a[0][20] == 5.0
    with pytest.raises(ValueError):
        forecast_week({datetime(2026, 11, 16, 10): 1}, weeks=1, tz=TAIPEI, end=MONDAY)  # noqa: DTZ001
    with pytest.raises(ValueError):
        forecast_week({}, weeks=0, tz=TAIPEI, end=MONDAY)


def test_the_skipped_hour_has_no_sample() -> None:
    # Berlin, two weeks before Monday 6 April 2026: Sundays 29 March (02:00 skipped) and 5 April.
    end = date(2026, 4, 6)
    history = {
        at(date(2026, 4, 5), 2, BERLIN): 4,
        at(date(2026, 3, 29), 3, BERLIN): 6,  # 03:00 CEST, the hour after the jump
        at(date(2026, 4, 5), 3, BERLIN): 3,
        at(date(2026, 3, 23), 0, BERLIN): 1,  # the history begins on the window's first day
    }
    grid = forecast_week(history, weeks=2, tz=BERLIN, end=end)
    # Sunday 02:00 has one real sample (4), not (2·4 + 1·0) / 3.
    assert grid[6][2] == pytest.approx(4.0)
    # Sunday 03:00: 5 April weighs 2 (latest week), 29 March 1: (2·3 + 1·6) / 3 = 4.
    assert grid[6][3] == pytest.approx(4.0)


def test_the_repeated_hour_is_split_over_its_two_hours() -> None:
    # Berlin, Sunday 25 October 2026: 02:00 CEST (fold 0), then 02:00 CET (fold 1) an hour on.
    end = date(2026, 10, 26)
    first = at(date(2026, 10, 25), 2, BERLIN, fold=0)
    second = at(date(2026, 10, 25), 2, BERLIN, fold=1)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    # Same-zone aware datetimes compare (and hash) by wall time, fold ignored: as dict keys the
    # two hours are one, which then holds both hours' conversations.
    assert first == second
    before = {at(date(2026, 10, 19), 0, BERLIN): 1}
    merged = forecast_week({first: 8} | before, weeks=1, tz=BERLIN, end=end)
    assert merged[6][2] == pytest.approx(4.0)  # 8 conversations over two real hours
    # Keyed by instants (UTC, or each hour's own offset) the hours stay apart: the same answer.
    utc_keys = {first.astimezone(UTC): 5, second.astimezone(UTC): 3} | before
    assert forecast_week(utc_keys, weeks=1, tz=BERLIN, end=end) == merged
    offsets = {first.astimezone(timezone(timedelta(hours=2))): 5}
    offsets[second.astimezone(timezone(timedelta(hours=1)))] = 3
    assert forecast_week(offsets | before, weeks=1, tz=BERLIN, end=end) == merged


# --- recommendation ---------------------------------------------------------------------------


def test_the_published_example_needs_14_agents() -> None:
    # 100 calls per half hour of 3 minutes (10 Erlangs), 80 % within 20 s: 14 agents.
    grid = empty()
    grid[2][9] = 200.0
    plan = recommend(grid, aht_s=180, capacity=1, target_level=0.8, answer_within_s=20)
    hour = plan[2][9]
    assert hour.agents == 14
    assert hour.service_level == pytest.approx(0.888, abs=5e-4)
    assert hour.average_wait_s == pytest.approx(7.8, abs=0.05)
    assert hour.occupancy == pytest.approx(10 / 14)
    assert plan[2][8].agents == 0 and plan[2][8].service_level == 1.0


def test_the_worked_example_of_the_docs() -> None:
    # docs/staffing.md: Monday 20:00 had 30, 24, 24, 18 conversations (newest week first) ->
    # 25.8 an hour; 12-minute handling, 3 chats an agent, 80 % within 60 s.
    history = {
        at(MONDAY - timedelta(weeks=w + 1), 20, TAIPEI): n for w, n in enumerate((30, 24, 24, 18))
    }
    grid = forecast_week(history, weeks=4, tz=TAIPEI, end=MONDAY)
    assert grid[0][20] == pytest.approx(25.8)
    plan = recommend(grid, aht_s=720, capacity=3, target_level=0.8, answer_within_s=60)
    hour = plan[0][20]
    # 5.16 Erlangs: 8 slots reach 84.9 %, so 3 agents (9 slots): 93.1 %, 17.7 s, 57 % busy.
    assert erlang.forecast(
        arrivals_per_hour=25.8, handle_seconds=720, agents=8, target_seconds=60
    ).service_level == pytest.approx(0.8486, abs=5e-5)
    assert erlang.forecast(
        arrivals_per_hour=25.8, handle_seconds=720, agents=7, target_seconds=60
    ).service_level == pytest.approx(0.688, abs=5e-4)
    assert hour.service_level > 0.8 and erlang.erlang_c(5.16, 9) == pytest.approx(0.0945, abs=5e-5)
    assert hour.agents == 3
    assert hour.service_level == pytest.approx(0.9313, abs=5e-5)
    assert hour.average_wait_s == pytest.approx(17.7, abs=0.05)
    assert hour.occupancy == pytest.approx(5.16 / 9)
    two = evaluate(grid, roster_with(0, 20, 2), aht_s=720, capacity=3, answer_within_s=60)
    assert two.hours[0][20].service_level == pytest.approx(0.3972, abs=5e-5)
    assert two.hours[0][20].average_wait_s == pytest.approx(554.1, abs=0.05)


def test_agents_are_whole_servers_divided_by_capacity() -> None:
    grid = empty()
    for hour, arrivals in enumerate((1.0, 6.0, 13.5, 40.0, 95.0, 310.0)):
        grid[1][hour] = arrivals
    plan = recommend(grid, aht_s=600, capacity=3, target_level=0.8, answer_within_s=60)
    for hour, arrivals in enumerate((1.0, 6.0, 13.5, 40.0, 95.0, 310.0)):
        servers = erlang.agents_needed(
            arrivals_per_hour=arrivals, handle_seconds=600, target_seconds=60, service_level=0.8
        ).agents
        assert plan[1][hour].agents == math.ceil(servers / 3)


def test_a_maximum_occupancy_adds_agents() -> None:
    grid = empty()
    grid[0][0] = 200.0  # 10 Erlangs: 14 agents for the target, at 71 % occupancy
    plain = recommend(grid, aht_s=180, capacity=1, target_level=0.8, answer_within_s=20)
    capped = recommend(
        grid, aht_s=180, capacity=1, target_level=0.8, answer_within_s=20, max_occupancy=0.7
    )
    assert plain[0][0].agents == 14
    assert capped[0][0].agents == 15 and capped[0][0].occupancy <= 0.7  # ⌈10 / 0.7⌉
    loose = recommend(
        grid, aht_s=180, capacity=1, target_level=0.8, answer_within_s=20, max_occupancy=0.9
    )
    assert loose[0][0].agents == 14  # the target already keeps it under 90 %


@given(
    low=st.floats(min_value=0, max_value=400, allow_nan=False),
    extra=st.floats(min_value=0, max_value=400, allow_nan=False),
    capacity=st.integers(min_value=1, max_value=6),
    aht=st.floats(min_value=30, max_value=3600),
    target=st.floats(min_value=0.05, max_value=0.99),
)
def test_more_arrivals_never_need_fewer_agents(
    low: float, extra: float, capacity: int, aht: float, target: float
) -> None:
    grid = empty()
    grid[0][0], grid[0][1] = low, low + extra
    plan = recommend(grid, aht_s=aht, capacity=capacity, target_level=target, answer_within_s=60)
    assert plan[0][0].agents <= plan[0][1].agents
    assert plan[0][1].service_level >= target


@pytest.mark.parametrize(
    "kwargs",
    [
        {"aht_s": 0},
        {"capacity": 0},
        {"target_level": 1.0},
        {"target_level": 0.0},
        {"answer_within_s": -1},
        {"max_occupancy": 0.0},
        {"max_occupancy": 1.5},
    ],
)
def test_bad_model_inputs(kwargs: dict[str, float]) -> None:
    args = {"aht_s": 300, "capacity": 2, "target_level": 0.8, "answer_within_s": 60} | kwargs
    with pytest.raises(ValueError):
        recommend(empty(), **args)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        recommend([[0.0] * 24] * 6, aht_s=300, capacity=2, target_level=0.8, answer_within_s=60)


# --- roster evaluation -----------------------------------------------------------------------


def roster_with(day: int, hour: int, agents: int) -> list[list[int]]:
    roster = [[0] * 24 for _ in range(7)]
    roster[day][hour] = agents
    return roster


def test_the_recommended_roster_meets_the_target_and_one_less_does_not() -> None:
    grid = empty()
    grid[2][9] = 200.0
    model = {"aht_s": 180, "capacity": 1, "answer_within_s": 20}
    plan = recommend(grid, target_level=0.8, **model)
    roster = [[h.agents for h in row] for row in plan]
    result = evaluate(grid, roster, target_level=0.8, **model)
    assert result.below_target == 0 and result.overloaded_hours == 0
    assert result.service_level == pytest.approx(0.888, abs=5e-4)  # the only busy hour
    assert result.agent_hours == 14
    short = evaluate(grid, roster_with(2, 9, 13), target_level=0.8, **model)
    assert short.below_target == 1
    assert short.service_level == pytest.approx(0.796, abs=5e-4)
    assert short.hours[2][9].agents == 13


def test_the_week_figures_weigh_hours_by_their_conversations() -> None:
    grid = empty()
    grid[0][9], grid[0][10] = 200.0, 100.0
    roster = roster_with(0, 9, 14)
    roster[0][10] = 6
    roster[3][3] = 2  # staffed but quiet: counts in agent-hours, not in the service level
    result = evaluate(grid, roster, aht_s=180, capacity=1, answer_within_s=20, target_level=0.8)
    busy, quieter = result.hours[0][9], result.hours[0][10]
    assert result.service_level == pytest.approx(
        (200 * busy.service_level + 100 * quieter.service_level) / 300
    )
    assert quieter.average_wait_s is not None and busy.average_wait_s is not None
    assert result.average_wait_s == pytest.approx(
        (200 * busy.average_wait_s + 100 * quieter.average_wait_s) / 300
    )
    assert result.agent_hours == 22
    assert result.hours[3][3].service_level == 1.0 and result.hours[3][3].occupancy == 0.0


def test_an_overloaded_hour_has_no_finite_wait() -> None:
    grid = empty()
    grid[4][12] = 100.0  # 10 Erlangs at 6 minutes
    result = evaluate(grid, roster_with(4, 12, 2), aht_s=360, capacity=5, answer_within_s=60)
    hour = result.hours[4][12]
    assert hour.overloaded and hour.service_level == 0.0 and hour.average_wait_s is None
    assert result.overloaded_hours == 1 and result.average_wait_s is None
    assert result.service_level == 0.0
    nobody = evaluate(empty(), roster_with(0, 0, 0), aht_s=360, capacity=5, answer_within_s=60)
    assert nobody.service_level is None and nobody.average_wait_s is None


def test_bad_rosters() -> None:
    with pytest.raises(ValueError):
        evaluate(empty(), [[1] * 24] * 6, aht_s=300, capacity=2, answer_within_s=60)
    with pytest.raises(ValueError):
        evaluate(empty(), roster_with(0, 0, -1), aht_s=300, capacity=2, answer_within_s=60)
    with pytest.raises(ValueError):
        evaluate(empty(), roster_with(0, 0, 10_000), aht_s=300, capacity=2, answer_within_s=60)
    with pytest.raises(ValueError, match="10000 chat slots"):  # 1,000 agents × 11 chats
        evaluate(empty(), roster_with(0, 0, 1000), aht_s=300, capacity=11, answer_within_s=60)
    assert (
        evaluate(
            empty(), roster_with(0, 0, 1000), aht_s=300, capacity=10, answer_within_s=60
        ).agent_hours
        == 1000
    )


def test_agent_hours_of_a_dst_week() -> None:
    roster = [[2] * 24 for _ in range(7)]
    assert agent_hours(roster) == 2 * 168
    assert agent_hours(roster, week_lengths(date(2026, 3, 23), BERLIN)) == 2 * 167
    assert agent_hours(roster, week_lengths(date(2026, 10, 19), BERLIN)) == 2 * 169


# --- summary lines ----------------------------------------------------------------------------


def test_peaks_group_days_with_the_same_busiest_stretch() -> None:
    agents = [[1] * 24 for _ in range(7)]
    for day in range(5):
        agents[day][19] = 4
        agents[day][20] = agents[day][21] = 6
    agents[5][14] = agents[5][15] = 4
    agents[6][14] = agents[6][15] = 4
    agents[2][10] = 6  # Wednesday has a second stretch at its maximum
    found = peaks(agents)
    assert found == [
        Peak(days=(0, 1, 2, 3, 4), start_hour=20, end_hour=22, agents=6),
        Peak(days=(2,), start_hour=10, end_hour=11, agents=6),
        Peak(days=(5, 6), start_hour=14, end_hour=16, agents=4),
    ]
    assert describe_peak(found[0], "en") == "Weekdays 20:00–22:00: 6 agents"
    assert describe_peak(found[0], "zh-TW") == "平日 20:00–22:00：6 位客服人員"
    assert describe_peak(found[1], "en") == "Wed 10:00–11:00: 6 agents"
    assert peaks([[0] * 24 for _ in range(7)]) == []
    late = peaks([[0] * 23 + [1] for _ in range(7)], limit=1)
    assert late == [Peak(days=tuple(range(7)), start_hour=23, end_hour=24, agents=1)]
    assert describe_peak(late[0], "en") == "Every day 23:00–24:00: 1 agent"


def test_day_sets_read_naturally() -> None:
    assert describe_days((0, 1, 2, 3), "en") == "Mon–Thu"
    assert describe_days((0, 1, 2, 3), "zh-TW") == "週一至週四"
    assert describe_days((0, 2), "en") == "Mon, Wed"
    assert describe_days((0, 2), "zh-TW") == "週一、週三"
    assert describe_days((5, 6), "zh-TW") == "週末"
    assert describe_agent_hours(412, "en") == "412 agent-hours in the week"
    assert describe_agent_hours(412, "zh-TW") == "本週共需 412 人時"
