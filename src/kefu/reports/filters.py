"""What a report covers: the period (local dates in the viewer's timezone) and the filters,
narrowed to what the viewer may see (agents: their own figures; supervisors: their teams';
admins: everything)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.errors import InvalidInput, PermissionDenied
from kefu.teams.models import TeamMember

MAX_DAYS = 731
CHANNELS = ("web", "email", "line", "whatsapp", "messenger", "telegram")
DIMENSIONS = ("inbox", "channel", "team", "agent", "tag")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a directory name
        raise InvalidInput(f"Unknown timezone {name!r}.", code="bad_timezone") from exc


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Local days `start`..`end` (inclusive) in `tz`; `start_at`/`end_at` are the UTC instants
    of their bounds (end exclusive). DST days are 23 or 25 hours long, as they were lived."""

    start: date
    end: date
    tz: ZoneInfo

    @classmethod
    def from_local_dates(cls, start: date, end: date, tz: str) -> ReportPeriod:
        if end < start:
            raise InvalidInput("The end date is before the start date.", code="bad_range")
        if (end - start).days >= MAX_DAYS:
            raise InvalidInput(f"A report covers at most {MAX_DAYS} days.", code="range_too_long")
        return cls(start, end, zone(tz))

    @property
    def start_at(self) -> datetime:
        return local_midnight(self.start, self.tz)

    @property
    def end_at(self) -> datetime:
        return local_midnight(self.end + timedelta(days=1), self.tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportPeriod:
        """The period of the same length just before (for comparisons)."""
        length = timedelta(days=self.days)
        return ReportPeriod(self.start - length, self.end - length, self.tz)


@dataclass(frozen=True, slots=True)
class Span:
    """Any interval [start_at, end_at) (aware datetimes), read in `tz`."""

    start_at: datetime
    end_at: datetime
    tz: ZoneInfo


Window = ReportPeriod | Span


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ReportFilters:
    inbox_id: int | None = None
    channel: str | None = None
    team_id: int | None = None
    agent_id: int | None = None
    tag: str | None = None
    team_ids: frozenset[int] | None = None  # a supervisor's teams (None: no such limit)

    def constraints(self) -> dict[str, frozenset[str]]:
        """Dimension -> the keys allowed (kefu/reports/rollups.py keys)."""
        result: dict[str, frozenset[str]] = {}
        if self.inbox_id is not None:
            result["inbox"] = frozenset({str(self.inbox_id)})
        if self.channel is not None:
            result["channel"] = frozenset({self.channel})
        if self.team_ids is not None:
            teams = self.team_ids
            if self.team_id is not None:
                teams = teams & {self.team_id}
            result["team"] = frozenset(str(t) for t in teams)
        elif self.team_id is not None:
            result["team"] = frozenset({str(self.team_id)})
        if self.agent_id is not None:
            result["agent"] = frozenset({str(self.agent_id)})
        if self.tag is not None:
            result["tag"] = frozenset({self.tag})
        return result


async def scoped_filters(
    *, session: AsyncSession, actor: AgentPrincipal, requested: ReportFilters
) -> ReportFilters:
    """`requested` narrowed to the viewer's figures; PermissionDenied for a filter outside
    them (another agent's figures, another team's)."""
    if requested.channel is not None and requested.channel not in CHANNELS:
        raise InvalidInput("Unknown channel.", code="bad_channel")
    role = actor.user.role
    if role == "admin":
        return replace(requested, team_ids=None)
    if role == "supervisor":
        teams = frozenset(
            await session.scalars(
                select(TeamMember.team_id).where(TeamMember.user_id == actor.user_id)
            )
        )
        if requested.team_id is not None and requested.team_id not in teams:
            raise PermissionDenied(
                "Supervisors see the figures of their own teams.", code="not_your_team"
            )
        if requested.agent_id is not None and requested.agent_id != actor.user_id:
            members = set(
                await session.scalars(
                    select(TeamMember.user_id).where(TeamMember.team_id.in_(sorted(teams)))
                )
            )
            if requested.agent_id not in members:
                raise PermissionDenied(
                    "Supervisors see the figures of their own teams' agents.",
                    code="not_your_team",
                )
        return replace(requested, team_ids=teams)
    if requested.agent_id is not None and requested.agent_id != actor.user_id:
        raise PermissionDenied("Agents see their own figures.", code="not_your_figures")
    return replace(requested, agent_id=actor.user_id, team_ids=None)
