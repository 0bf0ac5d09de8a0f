"""The staffing advice API (supervisors and admins; supervisors within their teams):
GET /api/v1/reports/staffing (next week's forecast and recommended agents per hour) and
POST /api/v1/reports/staffing/evaluate (a roster's expected service level and wait).
The method is in kefu/reports/staffing.py and docs/staffing.md."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.principals import AgentPrincipal
from kefu.bounds import Id
from kefu.db import utcnow
from kefu.errors import InvalidInput, PermissionDenied
from kefu.i18n import pick_locale
from kefu.reports import staffing
from kefu.reports.filters import ReportFilters, scoped_filters
from kefu.reports.queries import created_per_local_hour, handling_average
from kefu.reports.staffing_capacity import CapacitySource, ScopeCapacity, scope_capacity

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
T = TypeVar("T")

Channel = Literal["web", "email", "line", "whatsapp", "messenger", "telegram"]
LEADS = ("admin", "supervisor")


class StaffingParams(BaseModel):
    weeks: int = Field(default=4, ge=1, le=staffing.MAX_WEEKS, description="weeks of history")
    target: float = Field(default=0.8, gt=0, lt=1, description="share answered in time, 0..1")
    answer_within_s: float = Field(default=60, ge=0, le=3600)
    tz: str = Field(default="UTC", max_length=64, description="IANA zone of the local hours")
    inbox_id: Id | None = None
    team_id: Id | None = None
    channel: Channel | None = None
    capacity: int | None = Field(default=None, ge=1, le=100, description="chats per agent")
    aht_s: float | None = Field(default=None, gt=0, le=86_400, description="handling time")
    # Below 10 % the advice would be absurd (and the arithmetic overflows near 0).
    max_occupancy: float | None = Field(default=None, ge=0.1, le=1)


RosterRow = Annotated[
    list[Annotated[int, Field(ge=0, le=staffing.MAX_AGENTS_PER_HOUR)]],
    Field(min_length=staffing.HOURS, max_length=staffing.HOURS),
]


class EvaluateIn(StaffingParams):
    model_config = ConfigDict(extra="forbid")

    roster: Annotated[
        list[RosterRow], Field(min_length=staffing.DAYS, max_length=staffing.DAYS)
    ] = Field(description="agents per hour: 7 days (Monday first) of 24 local hours")


class PeriodOut(BaseModel):
    start: date
    end: date  # included


class HistoryOut(PeriodOut):
    weeks: int
    days_used: int  # days from the first with a conversation (a young inbox has fewer)
    conversations: int


class HandlingOut(BaseModel):
    measured_s: float | None  # average assignment -> resolution in the history period
    conversations: int  # resolved conversations it is based on
    used_s: float | None  # what the advice uses (None: nothing measured, none given)
    source: Literal["measured", "override"] | None


class CapacityOut(BaseModel):
    used: int
    average: float | None
    agents: int
    inbox_default: int
    source: CapacitySource


class HourOut(BaseModel):
    hour: int
    start: datetime | None  # local start with its offset; None: skipped by a DST change
    arrivals: float
    agents: int
    service_level: float
    average_wait_s: float | None  # None: the queue grows without bound (overloaded)
    occupancy: float
    overloaded: bool


class EvaluatedHourOut(HourOut):
    below_target: bool  # an hour with conversations under the target


class DayOut(BaseModel):
    date: date
    weekday: int  # 0 = Monday
    hours: list[HourOut]


class EvaluatedDayOut(BaseModel):
    date: date
    weekday: int
    hours: list[EvaluatedHourOut]


class PeakOut(BaseModel):
    days: list[int]
    start_hour: int
    end_hour: int  # exclusive
    agents: int
    text: str


class RecommendationOut(BaseModel):
    days: list[DayOut]
    agent_hours: int
    peaks: list[PeakOut]
    summary: list[str]  # the lines a supervisor reads first (peaks, then agent-hours)


class StaffingOut(BaseModel):
    tz: str
    target: float
    answer_within_s: float
    max_occupancy: float | None
    history: HistoryOut
    week: PeriodOut  # the week advised: next Monday to Sunday
    handling: HandlingOut
    capacity: CapacityOut
    forecast: list[list[float]]  # 7 × 24 conversations per hour, Monday first
    recommendation: RecommendationOut | None  # None without a handling time


class EvaluationOut(BaseModel):
    tz: str
    target: float
    answer_within_s: float
    week: PeriodOut
    handling: HandlingOut
    capacity: CapacityOut
    days: list[EvaluatedDayOut]
    service_level: float | None  # over the week, weighted by conversations
    average_wait_s: float | None  # None: no conversations, or some hour is overloaded
    overloaded_hours: int
    below_target: int
    agent_hours: int


# --- shared preparation ---------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(f"Unknown time zone {name[:64]!r}.", code="bad_timezone") from exc


@dataclass(frozen=True)
class Basis:
    tz: ZoneInfo
    history: HistoryOut
    monday: date
    lengths: staffing.IntGrid
    forecast: staffing.Grid
    handling: HandlingOut
    aht_s: float | None  # handling.used_s unrounded: what the model computes with
    capacity: ScopeCapacity


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


async def _basis(session: AsyncSession, actor: AgentPrincipal, params: StaffingParams) -> Basis:
    if actor.user.role not in LEADS:
        raise PermissionDenied("Only supervisors and admins see staffing advice.")
    tz = _zone(params.tz)
    filters = await scoped_filters(
        session=session,
        actor=actor,
        requested=ReportFilters(
            inbox_id=params.inbox_id, channel=params.channel, team_id=params.team_id
        ),
    )
    today = utcnow().astimezone(tz).date()
    first = today - timedelta(weeks=params.weeks)
    start, end = _midnight(first, tz), _midnight(today, tz)
    history = await created_per_local_hour(
        session=session, start=start, end=end, tz=tz, filters=filters
    )
    handled, average = await handling_average(
        session=session, start=start, end=end, filters=filters
    )
    capacity = await scope_capacity(session=session, filters=filters, override=params.capacity)
    began = staffing.history_start(history, tz=tz, start=first, end=today)
    used = params.aht_s if params.aht_s is not None else average
    monday = today + timedelta(days=staffing.DAYS - today.weekday())
    return Basis(
        tz=tz,
        history=HistoryOut(
            start=first,
            end=today - timedelta(days=1),
            weeks=params.weeks,
            days_used=(today - began).days if began else 0,
            conversations=sum(history.values()),
        ),
        monday=monday,
        lengths=staffing.week_lengths(monday, tz),
        forecast=staffing.forecast_week(history, weeks=params.weeks, tz=tz, end=today),
        handling=HandlingOut(
            measured_s=_round(average, 1),
            conversations=handled,
            used_s=_round(used, 1),
            source=None if used is None else "override" if params.aht_s is not None else "measured",
        ),
        aht_s=used,
        capacity=capacity,
    )


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _capacity_out(capacity: ScopeCapacity) -> CapacityOut:
    return CapacityOut(
        used=capacity.used,
        average=_round(capacity.average, 2),
        agents=capacity.agents,
        inbox_default=capacity.inbox_default,
        source=capacity.source,
    )


def _week(basis: Basis) -> PeriodOut:
    return PeriodOut(start=basis.monday, end=basis.monday + timedelta(days=staffing.DAYS - 1))


def _hour_fields(basis: Basis, day: int, hour: int, plan: staffing.HourPlan) -> dict[str, object]:
    when = basis.monday + timedelta(days=day)
    skipped = basis.lengths[day][hour] == 0
    return {
        "hour": hour,
        "start": None if skipped else datetime.combine(when, time(hour), tzinfo=basis.tz),
        "arrivals": round(plan.arrivals, 3),
        "agents": plan.agents,
        "service_level": round(plan.service_level, 4),
        "average_wait_s": _round(plan.average_wait_s, 1),
        "occupancy": round(plan.occupancy, 4),
        "overloaded": plan.overloaded,
    }


async def _compute(work: Callable[[], T]) -> T:
    """Run the Erlang work off the event loop (up to 168 hours × 10,000 servers), and turn the
    model's refusals (more than 10,000 servers for an hour) into a 422."""
    try:
        return await asyncio.to_thread(work)
    except ValueError as exc:
        raise InvalidInput(
            f"The staffing model cannot be computed for these inputs: {exc}.",
            code="staffing_out_of_range",
            reason=str(exc),
        ) from exc


# --- endpoints --------------------------------------------------------------------------------


@router.get("/staffing", response_model=StaffingOut)
async def staffing_advice(
    request: Request,
    actor: Agent,
    runtime: RuntimeDep,
    params: Annotated[StaffingParams, Query()],
) -> StaffingOut:
    """Next week's expected conversations per local weekday-hour (from the past `weeks` weeks,
    recent weeks weighted more) and the agents each hour needs to answer `target` of them
    within `answer_within_s` (Erlang C, an agent counting as `capacity` servers)."""
    async with runtime.db.read() as session:
        basis = await _basis(session, actor, params)
    recommendation = None
    aht_s = basis.aht_s
    if aht_s is not None:
        plans = await _compute(
            lambda: staffing.recommend(
                basis.forecast,
                aht_s=aht_s,
                capacity=basis.capacity.used,
                target_level=params.target,
                answer_within_s=params.answer_within_s,
                max_occupancy=params.max_occupancy,
            )
        )
        recommendation = _recommendation(
            basis, plans, pick_locale(request.headers.get("accept-language"))
        )
    return StaffingOut(
        tz=params.tz,
        target=params.target,
        answer_within_s=params.answer_within_s,
        max_occupancy=params.max_occupancy,
        history=basis.history,
        week=_week(basis),
        handling=basis.handling,
        capacity=_capacity_out(basis.capacity),
        forecast=[[round(value, 3) for value in row] for row in basis.forecast],
        recommendation=recommendation,
    )


def _recommendation(
    basis: Basis, plans: list[list[staffing.HourPlan]], locale: str
) -> RecommendationOut:
    agents = [[plan.agents for plan in row] for row in plans]
    total = staffing.agent_hours(agents, basis.lengths)
    peaks = staffing.peaks(agents)
    texts = [staffing.describe_peak(peak, locale) for peak in peaks]
    return RecommendationOut(
        days=[
            DayOut(
                date=basis.monday + timedelta(days=day),
                weekday=day,
                hours=[
                    HourOut.model_validate(_hour_fields(basis, day, hour, plan))
                    for hour, plan in enumerate(row)
                ],
            )
            for day, row in enumerate(plans)
        ],
        agent_hours=total,
        peaks=[
            PeakOut(
                days=list(peak.days),
                start_hour=peak.start_hour,
                end_hour=peak.end_hour,
                agents=peak.agents,
                text=text,
            )
            for peak, text in zip(peaks, texts, strict=True)
        ],
        summary=[*texts, staffing.describe_agent_hours(total, locale)],
    )


@router.post("/staffing/evaluate", response_model=EvaluationOut)
async def evaluate_roster(body: EvaluateIn, actor: Agent, runtime: RuntimeDep) -> EvaluationOut:
    """The expected service level and average wait, per hour and over the week, of `roster`
    (agents per local weekday-hour of next week) against the same forecast as GET /staffing."""
    async with runtime.db.read() as session:
        basis = await _basis(session, actor, body)
    aht_s = basis.aht_s
    if aht_s is None:
        raise InvalidInput(
            "No conversation was resolved in the history period: give aht_s.",
            code="no_handling_time",
        )
    result = await _compute(
        lambda: staffing.evaluate(
            basis.forecast,
            body.roster,
            aht_s=aht_s,
            capacity=basis.capacity.used,
            answer_within_s=body.answer_within_s,
            target_level=body.target,
            lengths=basis.lengths,
        )
    )
    return EvaluationOut(
        tz=body.tz,
        target=body.target,
        answer_within_s=body.answer_within_s,
        week=_week(basis),
        handling=basis.handling,
        capacity=_capacity_out(basis.capacity),
        days=[
            EvaluatedDayOut(
                date=basis.monday + timedelta(days=day),
                weekday=day,
                hours=[
                    EvaluatedHourOut.model_validate(
                        _hour_fields(basis, day, hour, plan)
                        | {
                            "below_target": plan.arrivals > 0
                            and basis.lengths[day][hour] > 0
                            and plan.service_level < body.target
                        }
                    )
                    for hour, plan in enumerate(row)
                ],
            )
            for day, row in enumerate(result.hours)
        ],
        service_level=_round(result.service_level, 4),
        average_wait_s=_round(result.average_wait_s, 1),
        overloaded_hours=result.overloaded_hours,
        below_target=result.below_target,
        agent_hours=result.agent_hours,
    )
