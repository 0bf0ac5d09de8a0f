"""Reports: sums over rollup rows (or, for filters on two dimensions at once, over facts).

A range's totals read day rows ("d" grain) for the whole UTC days inside it and 15-minute rows
("q") for the partial days at its ends, so a year costs ~365 rows per dimension value. Series
and the heatmap read 15-minute rows, grouped into local hours/days/weeks. Filters on more than
one dimension (a supervisor looking at one agent, an inbox and a tag...) sum the contributions
of the matching facts instead: the same definitions, computed on the fly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.inboxes.models import Inbox
from kefu.reports import histogram
from kefu.reports.facts import Fact
from kefu.reports.filters import ReportFilters, ReportPeriod, Span, Window
from kefu.reports.models import COUNTERS, ConversationFact, report_rollups
from kefu.reports.refresh import fact_of_row
from kefu.reports.rollups import Tally, bucket_of, contributions, dimensions, parse_cube_key
from kefu.surveys.models import SurveyResponse

T = report_rollups.c


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a report's numbers come from: one rollup dimension (with allowed keys, None for
    any), or the facts."""

    dim: str | None  # None: the facts
    keys: frozenset[str] | None


def plan(filters: ReportFilters, group_by: str | None = None) -> Plan:
    constraints = filters.constraints()
    others = {d: k for d, k in constraints.items() if d != group_by}
    if others and (group_by is not None or len(others) > 1):
        return Plan(None, None)
    if group_by is not None:
        return Plan(group_by, constraints.get(group_by))
    if not others:
        return Plan("all", frozenset({""}))
    ((dim, keys),) = others.items()
    return Plan(dim, keys)


def segments(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """[start, end) as 15-minute pieces at the ends and whole UTC days between."""
    first_day = bucket_of(start, "d")
    if first_day < start:
        first_day += timedelta(days=1)
    last_day = bucket_of(end, "d")
    if first_day >= last_day:
        return [("q", start, end)]
    pieces = [("d", first_day, last_day)]
    if start < first_day:
        pieces.insert(0, ("q", start, first_day))
    if last_day < end:
        pieces.append(("q", last_day, end))
    return pieces


async def _rollup_rows(
    session: AsyncSession,
    plan: Plan,
    pieces: Iterable[tuple[str, datetime, datetime]],
    columns: Sequence[str],
) -> list[Any]:
    assert plan.dim is not None
    if plan.keys is not None and not plan.keys:
        return []
    where: list[ColumnElement[bool]] = [T.dim == plan.dim]
    if plan.keys is not None:
        where.append(T.key.in_(sorted(plan.keys)))
    where.append(or_(*(and_(T.grain == g, T.bucket >= a, T.bucket < b) for g, a, b in pieces)))
    statement = select(T.key, T.bucket, *(T[name] for name in columns)).where(*where)
    return list((await session.execute(statement)).all())


def _tally(row: Any, columns: Sequence[str]) -> Tally:
    tally = Tally()
    for name in columns:
        value = getattr(row, name)
        if not value:
            continue
        if name.startswith("h_"):
            tally.hists[name] = histogram.loads(value)
        else:
            tally.counters[name] = int(value)
    return tally


def fact_conditions(filters: ReportFilters, dialect: str) -> list[ColumnElement[bool]]:
    """The filters as conditions on `conversation_facts`."""
    F = ConversationFact
    where: list[ColumnElement[bool]] = []
    if filters.tag is not None:
        where.append(_has_tag(filters.tag, dialect))
    if filters.inbox_id is not None:
        where.append(F.inbox_id == filters.inbox_id)
    if filters.channel is not None:
        where.append(F.channel == filters.channel)
    if filters.team_id is not None:
        where.append(F.team_id == filters.team_id)
    if filters.team_ids is not None:
        where.append(F.team_id.in_(sorted(filters.team_ids)))
    if filters.agent_id is not None:
        where.append(F.agent_id == filters.agent_id)
    return where


def _has_tag(tag: str, dialect: str) -> ColumnElement[bool]:
    """The fact's tag list (JSON) holds `tag`."""
    tags = ConversationFact.tags
    if dialect == "postgresql":
        wanted = func.jsonb_build_array(literal(tag, String))
        return cast(tags, JSONB).contains(wanted)
    each = func.json_each(tags).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == tag))


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def _facts(session: AsyncSession, period: Window, filters: ReportFilters) -> list[Fact]:
    F = ConversationFact
    where = [F.created_at < period.end_at, F.last_event_at >= period.start_at]
    where += fact_conditions(filters, _dialect(session))
    return [fact_of_row(row) for row in await session.scalars(select(F).where(*where))]


# What series and the heatmap read; under filters on several dimensions they come from the
# facts' own columns (no JSON decoded) and from the survey answers.
SERIES_COLUMNS = frozenset(
    {"created", "resolved", "csat_n", "csat_sum", "h_frt", "h_frt_bh", "h_res", "h_res_bh"}
)


async def _series_from_facts(
    session: AsyncSession, period: Window, filters: ReportFilters
) -> dict[datetime, Tally]:
    """Per 15-minute bucket: created, resolved, first response and resolution histograms (both
    clocks), CSAT; the same contributions the rollups hold (kefu/reports/rollups.py)."""
    F = ConversationFact
    start, end = period.start_at, period.end_at
    conditions = fact_conditions(filters, _dialect(session))
    rows = await session.execute(
        select(
            F.created_at,
            F.first_response_at,
            F.frt_s,
            F.frt_bh_s,
            F.resolved_at,
            F.resolution_s,
            F.resolution_bh_s,
        ).where(F.created_at < end, F.last_event_at >= start, *conditions)
    )
    result: dict[datetime, Tally] = {}

    def tally(at: datetime) -> Tally:
        bucket = bucket_of(at, "q")
        found = result.get(bucket)
        if found is None:
            found = result[bucket] = Tally()
        return found

    one = histogram.bin_of
    for row in rows:
        if start <= row.created_at < end:
            tally(row.created_at).add({"created": 1}, {})
        if row.first_response_at is not None and start <= row.first_response_at < end:
            bh = row.frt_bh_s if row.frt_bh_s is not None else row.frt_s
            tally(row.first_response_at).add(
                {}, {"h_frt": {one(row.frt_s): 1}, "h_frt_bh": {one(bh): 1}}
            )
        if row.resolved_at is not None and start <= row.resolved_at < end:
            bh = row.resolution_bh_s if row.resolution_bh_s is not None else row.resolution_s
            tally(row.resolved_at).add(
                {"resolved": 1}, {"h_res": {one(row.resolution_s): 1}, "h_res_bh": {one(bh): 1}}
            )
    answers = await session.execute(
        select(SurveyResponse.answered_at, SurveyResponse.score)
        .join(F, F.conversation_id == SurveyResponse.conversation_id)
        .where(
            SurveyResponse.kind == "csat",
            SurveyResponse.answered_at >= start,
            SurveyResponse.answered_at < end,
            *conditions,
        )
    )
    for answer in answers:
        tally(answer.answered_at).add({"csat_n": 1, "csat_sum": answer.score}, {})
    return result


def sum_facts(
    facts: Iterable[Fact], start: datetime, end: datetime, *, group_by: str | None = None
) -> dict[str, Tally]:
    """What the rollups hold, summed straight from facts: contributions anchored in
    [start, end), in total ("") or per key of the `group_by` dimension."""
    result: dict[str, Tally] = {}
    for fact in facts:
        keys = [""]
        if group_by is not None:
            keys = [k for d, k in dimensions(fact) if d == group_by]
        for at, counters, hists in contributions(fact):
            if start <= at < end:
                for key in keys:
                    result.setdefault(key, Tally()).add(counters, hists)
    return result


def sum_facts_by_quarter(
    facts: Iterable[Fact], start: datetime, end: datetime
) -> dict[datetime, Tally]:
    result: dict[datetime, Tally] = {}
    for fact in facts:
        for at, counters, hists in contributions(fact):
            if start <= at < end:
                result.setdefault(bucket_of(at, "q"), Tally()).add(counters, hists)
    return result


async def totals(
    *,
    session: AsyncSession,
    period: Window,
    filters: ReportFilters,
    columns: Sequence[str],
    group_by: str | None = None,
) -> dict[str, Tally]:
    """Sums over the period: {"": total}, or per key of the `group_by` dimension."""
    source = plan(filters, group_by)
    if source.dim is None:
        return await _cube_totals(session, period, filters, columns, group_by)
    result: dict[str, Tally] = {}
    pieces = segments(period.start_at, period.end_at)
    for row in await _rollup_rows(session, source, pieces, columns):
        key = "" if group_by is None else row.key
        result.setdefault(key, Tally()).merge(_tally(row, columns))
    return result


async def _cube_totals(
    session: AsyncSession,
    period: Window,
    filters: ReportFilters,
    columns: Sequence[str],
    group_by: str | None,
) -> dict[str, Tally]:
    """Totals under filters on several dimensions: the cube's day rows for the whole UTC days,
    the facts for the partial days at the ends."""
    constraints = filters.constraints()
    dim = "cubetag" if "tag" in constraints or group_by == "tag" else "cube"
    channels = dict((await session.execute(select(Inbox.id, Inbox.channel_type))).all())
    result: dict[str, Tally] = {}
    for grain, start, end in segments(period.start_at, period.end_at):
        if grain == "q":
            window = Span(start, end, period.tz)
            facts = await _facts(session, window, filters)
            for key, tally in sum_facts(facts, start, end, group_by=group_by).items():
                if group_by is None or key in constraints.get(group_by, (key,)):
                    result.setdefault(key, Tally()).merge(tally)
            continue
        rows = await session.execute(
            select(T.key, *(T[name] for name in columns)).where(
                T.dim == dim, T.grain == "d", T.bucket >= start, T.bucket < end
            )
        )
        for row in rows:
            cell = parse_cube_key(row.key)
            values: dict[str, str | None] = {
                "inbox": cell.inbox,
                "channel": channels.get(int(cell.inbox), ""),
                "team": cell.team,
                "agent": cell.agent,
                "tag": cell.tag,
            }
            if any(values[d] not in keys for d, keys in constraints.items()):
                continue
            group = "" if group_by is None else values[group_by]
            if group is None:
                continue  # no team / agent: not in a per-team or per-agent table
            result.setdefault(group, Tally()).merge(_tally(row, columns))
    return result


async def quarter_hours(
    *,
    session: AsyncSession,
    period: Window,
    filters: ReportFilters,
    columns: Sequence[str],
) -> dict[datetime, Tally]:
    """Sums per 15-minute bucket (UTC) of the period."""
    source = plan(filters)
    if source.dim is None:
        assert SERIES_COLUMNS.issuperset(columns), columns
        return await _series_from_facts(session, period, filters)
    result: dict[datetime, Tally] = {}
    pieces = [("q", period.start_at, period.end_at)]
    for row in await _rollup_rows(session, source, pieces, columns):
        bucket = row.bucket.astimezone(UTC)
        result.setdefault(bucket, Tally()).merge(_tally(row, columns))
    return result


# ---- the figures -------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _durations(hist: dict[int, int], total: int, count: int) -> dict[str, Any]:
    return {
        "count": count,
        "average_s": round(total / count, 1) if count else None,
        "median_s": histogram.percentile(hist, 0.5),
        "p90_s": histogram.percentile(hist, 0.9),
    }


def figures(tally: Tally, hours: str) -> dict[str, Any]:
    """The summary figures of a tally (docs/reports.md, "KPI definitions")."""
    business = hours == "business"
    g = tally.get
    csat_n, nps_n = g("csat_n"), g("nps_n")
    bot = g("bot_conv")
    return {
        "conversations": {"created": g("created"), "resolved": g("resolved")},
        "first_response": _durations(
            tally.hist("h_frt_bh" if business else "h_frt"),
            g("frt_bh_sum" if business else "frt_sum"),
            g("frt_n"),
        ),
        "next_response": _durations(tally.hist("h_nrt"), g("nrt_sum"), g("nrt_n")),
        "resolution": _durations(
            tally.hist("h_res_bh" if business else "h_res"),
            g("res_bh_sum" if business else "res_sum"),
            g("resolved"),
        ),
        "handling": _durations(tally.hist("h_handling"), g("handling_sum"), g("handling_n")),
        "fcr": {
            "eligible": g("fcr_eligible"),
            "count": g("fcr"),
            "rate": _rate(g("fcr"), g("fcr_eligible")),
        },
        "reopen": {
            "resolved": g("resolved"),
            "reopened": g("reopened"),
            "rate": _rate(g("reopened"), g("resolved")),
        },
        "bot": {
            "conversations": bot,
            "contained": g("bot_contained"),
            "handed_off": g("bot_handoff"),
            "containment_rate": _rate(g("bot_contained"), bot),
            "handoff_rate": _rate(g("bot_handoff"), bot),
        },
        "csat": {
            "responses": csat_n,
            "average": round(g("csat_sum") / csat_n, 2) if csat_n else None,
            "satisfied": g("csat_sat"),
            "satisfied_rate": _rate(g("csat_sat"), csat_n),
            "distribution": {str(score): g(f"csat_{score}") for score in range(1, 6)},
        },
        "nps": {
            "responses": nps_n,
            "promoters": g("nps_pro"),
            "passives": nps_n - g("nps_pro") - g("nps_det"),
            "detractors": g("nps_det"),
            "score": round((g("nps_pro") - g("nps_det")) * 100 / nps_n, 1) if nps_n else None,
        },
        "sla": {
            "conversations": g("sla_n"),
            "breached": g("sla_breached"),
            "attainment": _rate(g("sla_n") - g("sla_breached"), g("sla_n")),
        },
        "queue": {
            "queued": g("queued"),
            "wait_median_s": histogram.percentile(tally.hist("h_wait"), 0.5),
            "wait_p90_s": histogram.percentile(tally.hist("h_wait"), 0.9),
            "abandoned": g("abandoned"),
            "abandonment_rate": _rate(g("abandoned"), g("queued")),
        },
    }


def _hist_columns(hours: str) -> list[str]:
    business = hours == "business"
    return [
        "h_frt_bh" if business else "h_frt",
        "h_res_bh" if business else "h_res",
        "h_nrt",
        "h_handling",
        "h_wait",
    ]


async def summary(
    *, session: AsyncSession, period: ReportPeriod, filters: ReportFilters, hours: str
) -> dict[str, Any]:
    columns = [*COUNTERS, *_hist_columns(hours)]
    tally = (await totals(session=session, period=period, filters=filters, columns=columns)).get(
        "", Tally()
    )
    return figures(tally, hours)


BREAKDOWN_COLUMNS = (
    "created",
    "resolved",
    "frt_n",
    "handling_n",
    "handling_sum",
    "fcr_eligible",
    "fcr",
    "csat_n",
    "csat_sum",
    "csat_sat",
    "nps_n",
    "nps_pro",
    "nps_det",
)


async def breakdown(
    *,
    session: AsyncSession,
    period: ReportPeriod,
    filters: ReportFilters,
    hours: str,
    by: str,
) -> list[dict[str, Any]]:
    business = hours == "business"
    frt, res = ("h_frt_bh", "h_res_bh") if business else ("h_frt", "h_res")
    columns = [*BREAKDOWN_COLUMNS, frt, res]
    groups = await totals(
        session=session, period=period, filters=filters, columns=columns, group_by=by
    )
    rows: list[dict[str, Any]] = []
    for key, tally in groups.items():
        g = tally.get
        rows.append(
            {
                "key": key,
                "created": g("created"),
                "resolved": g("resolved"),
                "first_response_median_s": histogram.percentile(tally.hist(frt), 0.5),
                "first_response_p90_s": histogram.percentile(tally.hist(frt), 0.9),
                "resolution_median_s": histogram.percentile(tally.hist(res), 0.5),
                "handling_average_s": (
                    round(g("handling_sum") / g("handling_n"), 1) if g("handling_n") else None
                ),
                "fcr_rate": _rate(g("fcr"), g("fcr_eligible")),
                "csat_average": round(g("csat_sum") / g("csat_n"), 2) if g("csat_n") else None,
                "csat_responses": g("csat_n"),
                "satisfied_rate": _rate(g("csat_sat"), g("csat_n")),
                "nps_score": (
                    round((g("nps_pro") - g("nps_det")) * 100 / g("nps_n"), 1)
                    if g("nps_n")
                    else None
                ),
            }
        )
    rows.sort(key=lambda row: (-row["created"], -row["resolved"], row["key"]))
    return rows


INTERVALS = ("hour", "day", "week")


def local_start(at: datetime, tz: ZoneInfo, interval: str) -> datetime:
    """The local start of the hour, day or ISO week (Monday) holding `at`."""
    local = at.astimezone(tz)
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.date()
    if interval == "week":
        day -= timedelta(days=day.weekday())
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _steps(period: Window, interval: str) -> list[datetime]:
    """Every point's local start, as a UTC instant, in order. A DST change gives 23 or 25
    hourly points that day (the repeated hour twice, told apart by its offset)."""
    points: list[datetime] = []
    at = period.start_at
    while at < period.end_at:
        start = local_start(at, period.tz, interval).astimezone(UTC)
        if not points or points[-1] != start:
            points.append(start)
        at += timedelta(minutes=15) if interval == "hour" else timedelta(hours=1)
    return points


def series_points(
    buckets: dict[datetime, Tally], period: Window, *, interval: str, hours: str
) -> list[dict[str, Any]]:
    """15-minute sums grouped into local hours, days or weeks, every point present."""
    frt, res = ("h_frt_bh", "h_res_bh") if hours == "business" else ("h_frt", "h_res")
    points: dict[datetime, Tally] = {start: Tally() for start in _steps(period, interval)}
    for bucket, tally in buckets.items():
        start = local_start(bucket, period.tz, interval).astimezone(UTC)
        points.setdefault(start, Tally()).merge(tally)
    result = []
    for start in sorted(points):
        tally = points[start]
        g = tally.get
        result.append(
            {
                "start": start.astimezone(period.tz).isoformat(),
                "created": g("created"),
                "resolved": g("resolved"),
                "first_response_median_s": histogram.percentile(tally.hist(frt), 0.5),
                "first_response_p90_s": histogram.percentile(tally.hist(frt), 0.9),
                "resolution_median_s": histogram.percentile(tally.hist(res), 0.5),
                "csat_average": round(g("csat_sum") / g("csat_n"), 2) if g("csat_n") else None,
                "csat_responses": g("csat_n"),
            }
        )
    return result


async def timeseries(
    *,
    session: AsyncSession,
    period: ReportPeriod,
    filters: ReportFilters,
    hours: str,
    interval: str,
) -> list[dict[str, Any]]:
    business = hours == "business"
    frt, res = ("h_frt_bh", "h_res_bh") if business else ("h_frt", "h_res")
    columns = ["created", "resolved", "csat_n", "csat_sum", frt, res]
    buckets = await quarter_hours(session=session, period=period, filters=filters, columns=columns)
    return series_points(buckets, period, interval=interval, hours=hours)


def heatmap_cells(buckets: dict[datetime, Tally], tz: ZoneInfo) -> list[list[int]]:
    cells = [[0] * 24 for _ in range(7)]
    for bucket, tally in buckets.items():
        local = bucket.astimezone(tz)
        cells[local.weekday()][local.hour] += tally.get("created")
    return cells


async def heatmap(
    *, session: AsyncSession, period: ReportPeriod, filters: ReportFilters
) -> list[list[int]]:
    """Conversations created per local weekday (Monday first) and hour."""
    buckets = await quarter_hours(
        session=session, period=period, filters=filters, columns=["created"]
    )
    return heatmap_cells(buckets, period.tz)


async def created_per_local_hour(
    *,
    session: AsyncSession,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    filters: ReportFilters,
) -> dict[datetime, int]:
    """Conversations created per local hour in [start, end) (hours with none are absent)."""
    buckets = await quarter_hours(
        session=session, period=Span(start, end, tz), filters=filters, columns=["created"]
    )
    result: dict[datetime, int] = {}
    for bucket, tally in buckets.items():
        if tally.get("created"):
            hour = local_start(bucket, tz, "hour")
            result[hour] = result.get(hour, 0) + tally.get("created")
    return result


async def handling_average(
    *, session: AsyncSession, start: datetime, end: datetime, filters: ReportFilters
) -> tuple[int, float | None]:
    """(resolved conversations with a handling time, their average handling seconds)."""
    tally = (
        await totals(
            session=session,
            period=Span(start, end, ZoneInfo("UTC")),
            filters=filters,
            columns=["handling_n", "handling_sum"],
        )
    ).get("", Tally())
    count = tally.get("handling_n")
    return count, (tally.get("handling_sum") / count if count else None)
