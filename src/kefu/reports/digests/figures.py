"""The digest's figures, from the reports core: the summary of the period and of the period
just before, over what the recipient may see (kefu.reports.filters.scoped_filters)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.reports import queries
from kefu.reports.filters import ReportFilters, ReportPeriod, scoped_filters

HOURS = "calendar"


def _as_dict(summary: Any) -> Mapping[str, Any]:
    """The core's summary as a mapping (a dict, or a Pydantic model of the same shape)."""
    dump = getattr(summary, "model_dump", None)
    return dump() if callable(dump) else dict(summary)


async def period_figures(
    *, session: AsyncSession, actor: AgentPrincipal, start: date, end: date, tz: str
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(this period's summary, the previous period's), both in `tz`, calendar hours."""
    period = ReportPeriod.from_local_dates(start, end, tz)
    filters = await scoped_filters(session=session, actor=actor, requested=ReportFilters())
    current = await queries.summary(session=session, period=period, filters=filters, hours=HOURS)
    previous = await queries.summary(
        session=session, period=period.previous(), filters=filters, hours=HOURS
    )
    return _as_dict(current), _as_dict(previous)
