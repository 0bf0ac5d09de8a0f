"""Staffing advice (issue 8): next week's arrivals per weekday-hour, forecast from past weeks,
and the agents each hour needs for a service-level target (Erlang C for multi-chat agents,
kefu.reports.erlang). Pure: no database, no clock; docs/staffing.md explains the method.

Grids are 7 × 24, Monday first, in local wall-clock hours of the viewer's timezone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kefu.i18n import translate
from kefu.reports import erlang

DAYS = 7
HOURS = 24
MAX_WEEKS = 26
MAX_AGENTS_PER_HOUR = 1000  # a roster cell above this is a typo, not a plan

Grid = list[list[float]]
IntGrid = list[list[int]]


# --- local days and their hours -------------------------------------------------------------


def hour_lengths(day: date, tz: ZoneInfo) -> list[int]:
    """How many real hours each wall-clock hour of `day` lasts in `tz`: 1 normally, 0 for the
    hour skipped when the clocks go forward, 2 for the hour lived twice when they go back."""
    start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    lengths = [0] * HOURS
    moment = start
    while moment < end:
        local = moment.astimezone(tz)
        if local.date() == day:
            lengths[local.hour] += 1
        moment += timedelta(hours=1)
    return lengths


def week_lengths(monday: date, tz: ZoneInfo) -> IntGrid:
    """hour_lengths for the seven days from `monday` (what a dated week's totals count)."""
    return [hour_lengths(monday + timedelta(days=d), tz) for d in range(DAYS)]


def _local_hour(moment: datetime, tz: ZoneInfo) -> tuple[date, int]:
    if moment.tzinfo is None:
        raise ValueError("history keys must be timezone-aware")
    local = moment.astimezone(tz)
    return local.date(), local.hour


# --- the forecast -----------------------------------------------------------------------------


def history_start(
    history: Mapping[datetime, int], *, tz: ZoneInfo, start: date, end: date
) -> date | None:
    """The first local day in [start, end) with any arrival: before it the scope was not in use
    yet (a new inbox, a new workspace), so those days are no evidence of a quiet hour."""
    days = [
        day
        for moment, count in history.items()
        if count > 0 and start <= (day := _local_hour(moment, tz)[0]) < end
    ]
    return min(days) if days else None


def week_weight(week_index: int, weeks: int) -> int:
    """The weight of the week `week_index` weeks back (0 = the most recent): weeks, weeks − 1,
    …, 1. Recent weeks count more, so a change (a campaign, a new channel) shows within a week
    or two, while older weeks still damp the noise of any single one."""
    return weeks - week_index


def forecast_week(history: Mapping[datetime, int], *, weeks: int, tz: ZoneInfo, end: date) -> Grid:
    """Expected conversations per hour for each weekday-hour (Monday first, local time).

    `history` maps local hour starts (aware datetimes; absent hours had none) to arrivals over
    the `weeks` × 7 local days before `end`. Each weekday-hour is the weighted average of its
    `weeks` samples (week_weight), per real hour: on the day the clocks go back, the repeated
    hour's arrivals are split over its two hours; the skipped hour of the day they go forward
    has no sample at all (it is not a zero). Days before history_start are left out too.
    """
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}")
    first = end - timedelta(days=weeks * DAYS)
    counts: dict[tuple[date, int], int] = {}
    for moment, count in history.items():
        key = _local_hour(moment, tz)
        counts[key] = counts.get(key, 0) + count
    begin = history_start(history, tz=tz, start=first, end=end)
    sums = [[0.0] * HOURS for _ in range(DAYS)]
    weights = [[0] * HOURS for _ in range(DAYS)]
    if begin is None:
        return sums
    for offset in range(1, weeks * DAYS + 1):
        day = end - timedelta(days=offset)
        if day < begin:
            continue
        weight = week_weight((offset - 1) // DAYS, weeks)
        row, row_weights = sums[day.weekday()], weights[day.weekday()]
        for hour, length in enumerate(hour_lengths(day, tz)):
            if length == 0:
                continue
            row[hour] += weight * counts.get((day, hour), 0) / length
            row_weights[hour] += weight
    return [
        [s / w if w else 0.0 for s, w in zip(row, row_weights, strict=True)]
        for row, row_weights in zip(sums, weights, strict=True)
    ]


# --- advice per hour --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HourPlan:
    arrivals: float  # expected conversations in the hour
    agents: int
    service_level: float  # expected share answered within the target time, 0..1
    average_wait_s: float | None  # mean wait of all conversations; None: grows without bound
    occupancy: float  # traffic / (agents × capacity); above 1 the agents cannot keep up

    @property
    def overloaded(self) -> bool:
        return self.average_wait_s is None


def _plan(result: erlang.Forecast, arrivals: float) -> HourPlan:
    wait = result.average_wait_seconds
    return HourPlan(
        arrivals=arrivals,
        agents=result.agents,
        service_level=result.service_level,
        average_wait_s=None if math.isinf(wait) else wait,
        occupancy=result.occupancy,
    )


def _check_grid(grid: Sequence[Sequence[float]], name: str) -> None:
    if len(grid) != DAYS or any(len(row) != HOURS for row in grid):
        raise ValueError(f"{name} must be 7 rows of 24 hours")
    if any(value < 0 or not math.isfinite(value) for row in grid for value in row):
        raise ValueError(f"{name} must not be negative")


def _check_model(aht_s: float, capacity: int, answer_within_s: float) -> None:
    if not (aht_s > 0 and math.isfinite(aht_s)):
        raise ValueError("the handling time must be positive")
    if capacity < 1:
        raise ValueError("capacity must be at least one conversation")
    if answer_within_s < 0:
        raise ValueError("the answer time must not be negative")


def hour_plan(
    arrivals: float,
    *,
    aht_s: float,
    capacity: int,
    agents: int,
    answer_within_s: float,
) -> HourPlan:
    """Expected service level, wait and occupancy of `agents` for one hour."""
    result = erlang.forecast(
        arrivals_per_hour=arrivals,
        handle_seconds=aht_s,
        agents=agents,
        per_agent=capacity,
        target_seconds=answer_within_s,
    )
    return _plan(result, arrivals)


def recommend(
    forecast: Sequence[Sequence[float]],
    *,
    aht_s: float,
    capacity: int,
    target_level: float,
    answer_within_s: float,
    max_occupancy: float | None = None,
) -> list[list[HourPlan]]:
    """The fewest agents for each hour that reach `target_level` (0..1) answered within
    `answer_within_s`; each agent counts as `capacity` servers, so agents = ⌈servers /
    capacity⌉. With `max_occupancy` (0..1] an hour also gets enough agents to stay at or below
    it (a target met at 98 % occupancy burns people out). An hour without arrivals needs none.
    """
    _check_grid(forecast, "forecast")
    _check_model(aht_s, capacity, answer_within_s)
    if not 0 < target_level < 1:
        raise ValueError("the target must be between 0 and 1 (exclusive)")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError("the maximum occupancy must be in (0, 1]")
    cache: dict[float, HourPlan] = {}  # quiet hours repeat the same few values
    plans: list[list[HourPlan]] = []
    for row in forecast:
        plan_row: list[HourPlan] = []
        for arrivals in row:
            if arrivals not in cache:
                cache[arrivals] = _needed(
                    arrivals, aht_s, capacity, target_level, answer_within_s, max_occupancy
                )
            plan_row.append(cache[arrivals])
        plans.append(plan_row)
    return plans


def _needed(
    arrivals: float,
    aht_s: float,
    capacity: int,
    target_level: float,
    answer_within_s: float,
    max_occupancy: float | None,
) -> HourPlan:
    if arrivals == 0:
        return HourPlan(0.0, 0, 1.0, 0.0, 0.0)
    result = erlang.agents_needed(
        arrivals_per_hour=arrivals,
        handle_seconds=aht_s,
        per_agent=capacity,
        target_seconds=answer_within_s,
        service_level=target_level,
    )
    if max_occupancy is not None:
        # The 1e-9 keeps a traffic of exactly k × capacity × max_occupancy at k agents.
        floor = math.ceil(result.traffic / (capacity * max_occupancy) - 1e-9)
        if floor > result.agents:
            return hour_plan(
                arrivals,
                aht_s=aht_s,
                capacity=capacity,
                agents=floor,
                answer_within_s=answer_within_s,
            )
    return _plan(result, arrivals)


# --- a roster's expected result ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RosterEvaluation:
    hours: list[list[HourPlan]]
    # Over the week, weighted by each hour's expected conversations (the share of all of the
    # week's conversations answered in time; their mean wait). None: no arrivals expected.
    service_level: float | None
    average_wait_s: float | None  # also None when some busy hour's queue grows unbounded
    overloaded_hours: int  # hours with arrivals where agents × capacity ≤ traffic
    below_target: int  # hours with arrivals under target_level (0 when no target is given)
    agent_hours: int


def check_roster(roster: Sequence[Sequence[int]]) -> None:
    _check_grid(roster, "roster")
    if any(value > MAX_AGENTS_PER_HOUR for row in roster for value in row):
        raise ValueError(f"at most {MAX_AGENTS_PER_HOUR} agents an hour")


def evaluate(
    forecast: Sequence[Sequence[float]],
    roster: Sequence[Sequence[int]],
    *,
    aht_s: float,
    capacity: int,
    answer_within_s: float,
    target_level: float | None = None,
    lengths: Sequence[Sequence[int]] | None = None,
) -> RosterEvaluation:
    """Expected service level and wait per hour, and over the week, for `roster` (agents per
    weekday-hour). `lengths` (week_lengths) counts a dated week's skipped and repeated hours."""
    _check_grid(forecast, "forecast")
    check_roster(roster)
    _check_model(aht_s, capacity, answer_within_s)
    if any(agents * capacity > erlang.MAX_SERVERS for row in roster for agents in row):
        # Erlang C costs one step per server: bound the work a request can ask for.
        raise ValueError(f"at most {erlang.MAX_SERVERS} chat slots (agents × capacity) an hour")
    hours = [
        [
            hour_plan(
                arrivals,
                aht_s=aht_s,
                capacity=capacity,
                agents=agents,
                answer_within_s=answer_within_s,
            )
            for arrivals, agents in zip(f_row, r_row, strict=True)
        ]
        for f_row, r_row in zip(forecast, roster, strict=True)
    ]
    span = lengths or [[1] * HOURS for _ in range(DAYS)]
    volume = level = wait = 0.0
    overloaded = below = 0
    for plan_row, span_row in zip(hours, span, strict=True):
        for plan, length in zip(plan_row, span_row, strict=True):
            if plan.arrivals == 0 or length == 0:
                continue
            weight = plan.arrivals * length
            volume += weight
            level += weight * plan.service_level
            if plan.average_wait_s is None:
                overloaded += 1
            else:
                wait += weight * plan.average_wait_s
            if target_level is not None and plan.service_level < target_level:
                below += 1
    return RosterEvaluation(
        hours=hours,
        service_level=level / volume if volume else None,
        average_wait_s=wait / volume if volume and not overloaded else None,
        overloaded_hours=overloaded,
        below_target=below,
        agent_hours=agent_hours(roster, lengths),
    )


# --- what a supervisor reads ------------------------------------------------------------------


def agent_hours(
    agents: Sequence[Sequence[int]], lengths: Sequence[Sequence[int]] | None = None
) -> int:
    """Agent-hours of the week: the sum of every hour's agents (a repeated hour twice, the
    skipped hour not at all, given `lengths`)."""
    span = lengths or [[1] * HOURS for _ in range(DAYS)]
    return sum(
        n * length
        for row, span_row in zip(agents, span, strict=True)
        for n, length in zip(row, span_row, strict=True)
    )


@dataclass(frozen=True, slots=True)
class Peak:
    days: tuple[int, ...]  # 0 = Monday
    start_hour: int
    end_hour: int  # exclusive: 22 means until 22:00
    agents: int


def peaks(agents: Sequence[Sequence[int]], *, limit: int = 3) -> list[Peak]:
    """Each day's busiest stretch (the hours at that day's maximum), days with the same stretch
    and number together, the biggest first ("Weekdays 20:00–22:00: 6 agents")."""
    groups: dict[tuple[int, int, int], list[int]] = {}
    for day, row in enumerate(agents):
        top = max(row, default=0)
        if top <= 0:
            continue
        hour = 0
        while hour < len(row):
            if row[hour] != top:
                hour += 1
                continue
            start = hour
            while hour < len(row) and row[hour] == top:
                hour += 1
            groups.setdefault((top, start, hour), []).append(day)
    ordered = sorted(groups.items(), key=lambda item: (-item[0][0], -len(item[1]), item[1][0]))
    return [
        Peak(days=tuple(days), start_hour=start, end_hour=end, agents=top)
        for (top, start, end), days in ordered[:limit]
    ]


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def describe_days(days: Sequence[int], locale: str) -> str:
    """ "Every day", "Weekdays", "Weekends", "Mon–Thu" or "Mon, Wed", in `locale`."""
    named = {
        (0, 1, 2, 3, 4, 5, 6): ("staffing.everyDay", "Every day"),
        (0, 1, 2, 3, 4): ("staffing.weekdays", "Weekdays"),
        (5, 6): ("staffing.weekends", "Weekends"),
    }
    key = tuple(days)
    if key in named:
        code, english = named[key]
        return translate(code, locale, english)
    names = [translate(f"staffing.day{d}", locale, _DAY_NAMES[d]) for d in days]
    if len(days) >= 3 and list(days) == list(range(days[0], days[-1] + 1)):
        return translate(
            "staffing.dayRange", locale, f"{names[0]}–{names[-1]}", first=names[0], last=names[-1]
        )
    return translate("staffing.daySep", locale, ", ").join(names)


def describe_peak(peak: Peak, locale: str) -> str:
    days = describe_days(peak.days, locale)
    hours = f"{peak.start_hour:02d}:00–{peak.end_hour:02d}:00"
    noun = "agent" if peak.agents == 1 else "agents"
    return translate(
        "staffing.peak",
        locale,
        f"{days} {hours}: {peak.agents} {noun}",
        days=days,
        hours=hours,
        n=peak.agents,
    )


def describe_agent_hours(total: int, locale: str) -> str:
    unit = "agent-hour" if total == 1 else "agent-hours"
    return translate("staffing.agentHours", locale, f"{total} {unit} in the week", n=total)
