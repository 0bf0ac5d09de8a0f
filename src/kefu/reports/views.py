"""Reports API: /api/v1/reports/{summary,timeseries,heatmap,breakdown} as JSON, the same with
.csv, and /api/v1/reports/conversations.csv (one row per conversation). Every figure is scoped
to the viewer (kefu/reports/filters.py): agents their own, supervisors their teams', admins all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.principals import AgentPrincipal
from kefu.bounds import IdQuery
from kefu.errors import InvalidInput
from kefu.inboxes.models import Inbox
from kefu.reports import csv_export, queries
from kefu.reports.filters import ReportFilters, ReportPeriod, scoped_filters, zone
from kefu.reports.models import ConversationFact
from kefu.reports.refresh import fact_of_row
from kefu.reports.schemas import (
    BreakdownOut,
    BreakdownRowOut,
    HeatmapOut,
    RangeOut,
    SummaryOut,
    TimeseriesOut,
)
from kefu.runtime import Runtime
from kefu.teams.models import Team
from kefu.users.models import User

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Hours = Literal["calendar", "business"]
Dimension = Literal["agent", "channel", "inbox", "team", "tag"]
Interval = Literal["hour", "day", "week"]
MAX_HOURLY_DAYS = 31


@dataclass(frozen=True)
class ReportQuery:
    period: ReportPeriod
    requested: ReportFilters
    hours: str

    def range_out(self) -> RangeOut:
        p = self.period
        return RangeOut(start=p.start.isoformat(), end=p.end.isoformat(), tz=p.tz.key)


def report_query(
    start: date | None = None,
    end: date | None = None,
    tz: Annotated[str, Query(max_length=64)] = "UTC",
    inbox_id: IdQuery = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    team_id: IdQuery = None,
    agent_id: IdQuery = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    hours: Hours = "calendar",
) -> ReportQuery:
    """The common parameters. Without dates: the last 7 days up to today, in `tz`."""
    today = datetime.now(zone(tz)).date()
    end = end or today
    start = start or end - timedelta(days=6)
    period = ReportPeriod.from_local_dates(start, end, tz)
    filters = ReportFilters(
        inbox_id=inbox_id, channel=channel, team_id=team_id, agent_id=agent_id, tag=tag
    )
    return ReportQuery(period, filters, hours)


Params = Annotated[ReportQuery, Depends(report_query)]


async def _scoped(
    session: AsyncSession, actor: AgentPrincipal, params: ReportQuery
) -> ReportFilters:
    return await scoped_filters(session=session, actor=actor, requested=params.requested)


@router.get("/summary", response_model=SummaryOut)
async def summary(actor: Agent, runtime: RuntimeDep, params: Params) -> SummaryOut:
    """The KPIs of the period (docs/reports.md, "KPI definitions")."""
    async with runtime.db.read() as session:
        filters = await _scoped(session, actor, params)
        figures = await queries.summary(
            session=session, period=params.period, filters=filters, hours=params.hours
        )
    return SummaryOut(range=params.range_out(), hours=params.hours, **figures)


@router.get("/timeseries", response_model=TimeseriesOut)
async def timeseries(
    actor: Agent, runtime: RuntimeDep, params: Params, interval: Interval = "day"
) -> TimeseriesOut:
    if interval == "hour" and params.period.days > MAX_HOURLY_DAYS:
        raise InvalidInput(
            f"Hourly series cover at most {MAX_HOURLY_DAYS} days.", code="range_too_long"
        )
    async with runtime.db.read() as session:
        filters = await _scoped(session, actor, params)
        points = await queries.timeseries(
            session=session,
            period=params.period,
            filters=filters,
            hours=params.hours,
            interval=interval,
        )
    return TimeseriesOut(range=params.range_out(), interval=interval, points=points)


@router.get("/heatmap", response_model=HeatmapOut)
async def heatmap(actor: Agent, runtime: RuntimeDep, params: Params) -> HeatmapOut:
    async with runtime.db.read() as session:
        filters = await _scoped(session, actor, params)
        cells = await queries.heatmap(session=session, period=params.period, filters=filters)
    return HeatmapOut(range=params.range_out(), cells=cells)


async def _labels(session: AsyncSession, by: str) -> dict[str, str]:
    if by == "agent":
        rows = await session.execute(select(User.id, User.name))
    elif by == "inbox":
        rows = await session.execute(select(Inbox.id, Inbox.name))
    elif by == "team":
        rows = await session.execute(select(Team.id, Team.name))
    else:
        return {}
    return {str(row[0]): row[1] for row in rows}


async def _breakdown(
    runtime: Runtime, actor: AgentPrincipal, params: ReportQuery, by: str
) -> BreakdownOut:
    async with runtime.db.read() as session:
        filters = await _scoped(session, actor, params)
        rows = await queries.breakdown(
            session=session, period=params.period, filters=filters, hours=params.hours, by=by
        )
        labels = await _labels(session, by)
    for row in rows:
        row["label"] = labels.get(row["key"], row["key"])
    return BreakdownOut(range=params.range_out(), by=by, rows=rows)


@router.get("/breakdown", response_model=BreakdownOut)
async def breakdown(
    actor: Agent, runtime: RuntimeDep, params: Params, by: Dimension = "agent"
) -> BreakdownOut:
    return await _breakdown(runtime, actor, params, by)


# ---- CSV ----------------------------------------------------------------------------------


def _filename(name: str, params: ReportQuery) -> str:
    return f"kefu-{name}-{params.period.start.isoformat()}-{params.period.end.isoformat()}.csv"


@router.get("/summary.csv", response_class=StreamingResponse)
async def summary_csv(actor: Agent, runtime: RuntimeDep, params: Params) -> StreamingResponse:
    out = await summary(actor, runtime, params)
    data = out.model_dump(exclude={"range"})
    rows: list[list[Any]] = [["metric", "value"]]
    rows += [[name, value] for name, value in csv_export.flatten(data)]
    return csv_export.download(_filename("summary", params), csv_export.one_chunk(rows))


@router.get("/timeseries.csv", response_class=StreamingResponse)
async def timeseries_csv(
    actor: Agent, runtime: RuntimeDep, params: Params, interval: Interval = "day"
) -> StreamingResponse:
    out = await timeseries(actor, runtime, params, interval)
    fields = list(out.points[0].model_fields) if out.points else ["start"]
    rows: list[list[Any]] = [fields]
    rows += [[getattr(point, name) for name in fields] for point in out.points]
    return csv_export.download(_filename("timeseries", params), csv_export.one_chunk(rows))


@router.get("/heatmap.csv", response_class=StreamingResponse)
async def heatmap_csv(actor: Agent, runtime: RuntimeDep, params: Params) -> StreamingResponse:
    out = await heatmap(actor, runtime, params)
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    rows: list[list[Any]] = [["weekday", *(f"{hour:02d}:00" for hour in range(24))]]
    rows += [[names[day], *cells] for day, cells in enumerate(out.cells)]
    return csv_export.download(_filename("heatmap", params), csv_export.one_chunk(rows))


@router.get("/breakdown.csv", response_class=StreamingResponse)
async def breakdown_csv(
    actor: Agent, runtime: RuntimeDep, params: Params, by: Dimension = "agent"
) -> StreamingResponse:
    out = await _breakdown(runtime, actor, params, by)
    fields = list(BreakdownRowOut.model_fields)
    rows: list[list[Any]] = [fields]
    rows += [[getattr(row, name) for name in fields] for row in out.rows]
    return csv_export.download(_filename(f"by-{by}", params), csv_export.one_chunk(rows))


DETAIL_COLUMNS = (
    "conversation_id",
    "created_at",
    "status",
    "inbox",
    "channel",
    "team",
    "agent",
    "tags",
    "first_response_s",
    "first_response_business_s",
    "resolved_at",
    "resolution_s",
    "resolution_business_s",
    "handling_s",
    "queue_wait_s",
    "abandoned",
    "reopens",
    "transfers",
    "bot",
    "bot_handoff",
    "sla_breached",
    "csat",
    "nps",
)
DETAIL_CHUNK = 2000


@router.get("/conversations.csv", response_class=StreamingResponse)
async def conversations_csv(actor: Agent, runtime: RuntimeDep, params: Params) -> StreamingResponse:
    """One row per conversation created in the period, with its times, assignee, team, tags and
    survey scores; local times in `tz`."""
    async with runtime.db.read() as session:
        filters = await _scoped(session, actor, params)
        names = {by: await _labels(session, by) for by in ("agent", "inbox", "team")}
        conditions = queries.fact_conditions(filters, session.get_bind().dialect.name)
    period = params.period

    def local(at: datetime | None) -> str:
        return at.astimezone(period.tz).isoformat(timespec="seconds") if at else ""

    async def chunks() -> AsyncIterator[str]:
        yield csv_export.render([DETAIL_COLUMNS])
        last_id = 0
        F = ConversationFact
        while True:
            where = [
                F.conversation_id > last_id,
                F.created_at >= period.start_at,
                F.created_at < period.end_at,
                *conditions,
            ]
            async with runtime.db.read() as session:
                rows = list(
                    await session.scalars(
                        select(F).where(*where).order_by(F.conversation_id).limit(DETAIL_CHUNK)
                    )
                )
            if not rows:
                return
            last_id = rows[-1].conversation_id
            lines = []
            for row in rows:
                fact = fact_of_row(row)
                scores = {kind: score for _, kind, score in fact.surveys}  # the latest wins
                lines.append(
                    [
                        fact.conversation_id,
                        local(fact.created_at),
                        fact.status,
                        names["inbox"].get(str(fact.inbox_id), ""),
                        fact.channel,
                        names["team"].get(str(fact.team_id), ""),
                        names["agent"].get(str(fact.agent_id), ""),
                        ", ".join(fact.tags),
                        fact.frt_s,
                        fact.frt_bh_s,
                        local(fact.resolved_at),
                        fact.resolution_s,
                        fact.resolution_bh_s,
                        fact.handling_s,
                        fact.wait_s,
                        fact.abandoned,
                        fact.reopens,
                        fact.transfers,
                        fact.bot,
                        fact.bot_handoff,
                        fact.sla_breached,
                        scores.get("csat"),
                        scores.get("nps"),
                    ]
                )
            yield csv_export.render(lines)

    return csv_export.download(_filename("conversations", params), chunks())
