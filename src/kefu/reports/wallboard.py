"""The live wallboard: who is waiting and for how long, open work, agents' presence and load,
and SLA breaches since local midnight, over the inboxes the viewer belongs to (admins: all).

Every figure comes from an indexed query, so the board answers at once on a database of
millions of conversations (docs/reports.md, "Live wallboard"):
- waiting: the queue's partial index (`queued_at IS NOT NULL`, on inbox_id and queued_at);
- open / unassigned: (inbox_id, status, ...) and (assignee_id, status), with the unresolved
  statuses listed (an IN, which is a range on the index; a NOT IN would read every row);
- breaches today: the index on breached_at (a day's breaches, then their inbox);
- agents: the routing domain's own status query (loads through the assignee index).
Inboxes are always named in the query (admins: every inbox), so the planner can use the
indexes that lead with inbox_id instead of reading the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.conversations.models import Conversation
from kefu.conversations.queries import conversation_scope
from kefu.conversations.visibility import LEAD_ROLES, load_viewer
from kefu.db import utcnow
from kefu.inboxes.models import Inbox, InboxMember
from kefu.reports.filters import local_midnight
from kefu.routing.models import SlaBreach
from kefu.routing.queries import agent_statuses
from kefu.routing.schemas import Presence
from kefu.routing.settings import routing_settings

# Every status but "resolved" (kefu.conversations.models.STATUSES), spelled out for the index.
UNRESOLVED = ("open", "pending", "snoozed")


class AgentCounts(BaseModel):
    """`online` = `available` + `at_capacity`: online agents with room for another conversation,
    and online agents at or over their capacity. `busy`, `away`, `offline` are the presences the
    agents chose (busy and away keep their conversations and take no new ones)."""

    online: int = 0
    available: int = 0
    at_capacity: int = 0
    busy: int = 0
    away: int = 0
    offline: int = 0


class WallboardInbox(BaseModel):
    inbox_id: int
    name: str
    waiting: int
    longest_wait_s: float | None  # None: nobody waiting
    open: int
    unassigned_open: int
    sla_breaches_today: int
    agents_online: int


class WallboardAgent(BaseModel):
    """Load and capacity are shown to supervisors and admins, and to agents for themselves
    (as on /agents/status); None otherwise."""

    user_id: int
    name: str
    role: str
    presence: Presence
    load: int | None
    # The agent's own limit, else the largest default of the board's inboxes they belong to.
    capacity: int | None
    at_capacity: bool | None
    inbox_ids: list[int]


class WallboardOut(BaseModel):
    generated_at: datetime
    tz: str
    day_start: datetime  # local midnight of today in `tz` (breaches are counted since then)
    waiting: int
    longest_wait_s: float | None
    open: int
    open_by_status: dict[str, int]
    unassigned_open: int
    sla_breaches_today: int
    agents: AgentCounts
    inboxes: list[WallboardInbox]
    agent_list: list[WallboardAgent]


def local_day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Today's local midnight in `tz`, as an aware UTC datetime (the reports' own day bound:
    where a DST change skips midnight, the instant zoneinfo gives 00:00)."""
    return local_midnight(now.astimezone(tz).date(), tz)


def _seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())


@dataclass
class _Scope:
    inboxes: list[Inbox]
    # Set for agents in an `own`-visibility inbox: what they may see of open conversations.
    restricted: ColumnElement[bool] | None

    @property
    def ids(self) -> list[int]:
        return [inbox.id for inbox in self.inboxes]


async def _scope(session: AsyncSession, actor: AgentPrincipal) -> _Scope:
    viewer = await load_viewer(session=session, actor=actor)
    query = select(Inbox).order_by(Inbox.id)
    if viewer.inbox_ids is not None:
        query = query.where(Inbox.id.in_(sorted(viewer.inbox_ids)))
    inboxes = list(await session.scalars(query))
    restricted = None
    if viewer.restricted_inbox_ids:
        restricted = await conversation_scope(session=session, actor=actor)
    return _Scope(inboxes=inboxes, restricted=restricted)


async def _queue(session: AsyncSession, ids: list[int]) -> dict[int, tuple[int, datetime]]:
    rows = await session.execute(
        select(Conversation.inbox_id, func.count(), func.min(Conversation.queued_at))
        .where(
            Conversation.inbox_id.in_(ids),
            Conversation.queued_at.is_not(None),
            Conversation.assignee_id.is_(None),
            Conversation.status != "resolved",
        )
        .group_by(Conversation.inbox_id)
    )
    return {inbox_id: (count, oldest) for inbox_id, count, oldest in rows if oldest is not None}


async def _open(
    session: AsyncSession, ids: list[int], restricted: ColumnElement[bool] | None
) -> dict[tuple[int, str], int]:
    query = select(Conversation.inbox_id, Conversation.status, func.count()).where(
        Conversation.inbox_id.in_(ids), Conversation.status.in_(UNRESOLVED)
    )
    if restricted is not None:
        query = query.where(restricted)
    rows = await session.execute(query.group_by(Conversation.inbox_id, Conversation.status))
    return {(inbox_id, status): count for inbox_id, status, count in rows}


async def _unassigned(session: AsyncSession, ids: list[int]) -> dict[int, int]:
    # Unassigned conversations are visible to every member, in `own` inboxes too.
    rows = await session.execute(
        select(Conversation.inbox_id, func.count())
        .where(
            Conversation.assignee_id.is_(None),
            Conversation.status.in_(UNRESOLVED),
            Conversation.inbox_id.in_(ids),
        )
        .group_by(Conversation.inbox_id)
    )
    return {key: count for key, count in rows}


async def _breaches(
    session: AsyncSession, ids: list[int], since: datetime, restricted: ColumnElement[bool] | None
) -> dict[int, int]:
    query = select(SlaBreach.inbox_id, func.count()).where(
        SlaBreach.breached_at >= since, SlaBreach.inbox_id.in_(ids)
    )
    if restricted is not None:
        query = query.join(Conversation, Conversation.id == SlaBreach.conversation_id).where(
            restricted
        )
    rows = await session.execute(query.group_by(SlaBreach.inbox_id))
    return {key: count for key, count in rows}


def _capacity(own: int | None, inbox_ids: Iterable[int], defaults: dict[int, int]) -> int:
    if own is not None:
        return own
    return max((defaults[i] for i in inbox_ids), default=0)


@dataclass(frozen=True)
class _AgentFigures:
    shown: WallboardAgent  # what the viewer sees
    load: int  # the full figures, for the counts
    capacity: int

    @property
    def at_capacity(self) -> bool:
        return self.load >= self.capacity


async def _agents(
    session: AsyncSession, actor: AgentPrincipal, inboxes: list[Inbox]
) -> list[_AgentFigures]:
    """Members of the board's inboxes, from the routing domain's status query (which loads
    everyone's figures for the counts; what the viewer may not see is blanked here)."""
    members: dict[int, list[int]] = {}
    for user_id, inbox_id in await session.execute(
        select(InboxMember.user_id, InboxMember.inbox_id)
        .where(InboxMember.inbox_id.in_([i.id for i in inboxes]))
        .order_by(InboxMember.inbox_id)
    ):
        members.setdefault(user_id, []).append(inbox_id)
    if not members:
        return []
    defaults = {i.id: routing_settings(i).max_conversations_per_agent for i in inboxes}
    statuses = await agent_statuses(
        session=session, viewer_id=actor.user_id, lead=True, user_ids=members.keys()
    )
    lead = actor.user.role in LEAD_ROLES
    out = []
    for status in statuses:
        shown = lead or status.user_id == actor.user_id
        capacity = _capacity(status.max_conversations, members[status.user_id], defaults)
        load = status.load or 0
        shown_agent = WallboardAgent(
            user_id=status.user_id,
            name=status.name,
            role=status.role,
            presence=status.presence,
            load=load if shown else None,
            capacity=capacity if shown else None,
            at_capacity=(load >= capacity) if shown else None,
            inbox_ids=members[status.user_id],
        )
        out.append(_AgentFigures(shown=shown_agent, load=load, capacity=capacity))
    return out


def _count_agents(agents: list[_AgentFigures]) -> AgentCounts:
    counts = AgentCounts()
    for agent in agents:
        presence = agent.shown.presence
        if presence == "online":
            counts.online += 1
            if agent.at_capacity:
                counts.at_capacity += 1
            else:
                counts.available += 1
        elif presence == "busy":
            counts.busy += 1
        elif presence == "away":
            counts.away += 1
        else:
            counts.offline += 1
    return counts


async def wallboard(
    *, session: AsyncSession, actor: AgentPrincipal, tz: ZoneInfo, now: datetime | None = None
) -> WallboardOut:
    """The board as the viewer may see it, at `now` (default: the current time)."""
    now = now or utcnow()
    day_start = local_day_start(now, tz)
    scope = await _scope(session, actor)
    ids = scope.ids
    queue = await _queue(session, ids) if ids else {}
    opened = await _open(session, ids, scope.restricted) if ids else {}
    unassigned = await _unassigned(session, ids) if ids else {}
    breaches = await _breaches(session, ids, day_start, scope.restricted) if ids else {}
    agents = await _agents(session, actor, scope.inboxes) if ids else []
    rows = []
    for inbox in scope.inboxes:
        waiting, oldest = queue.get(inbox.id, (0, None))
        rows.append(
            WallboardInbox(
                inbox_id=inbox.id,
                name=inbox.name,
                waiting=waiting,
                longest_wait_s=_seconds_since(oldest, now),
                open=sum(opened.get((inbox.id, s), 0) for s in UNRESOLVED),
                unassigned_open=unassigned.get(inbox.id, 0),
                sla_breaches_today=breaches.get(inbox.id, 0),
                agents_online=sum(
                    1
                    for a in agents
                    if a.shown.presence == "online" and inbox.id in a.shown.inbox_ids
                ),
            )
        )
    oldest_all = min((oldest for _, oldest in queue.values()), default=None)
    return WallboardOut(
        generated_at=now,
        tz=tz.key,
        day_start=day_start,
        waiting=sum(r.waiting for r in rows),
        longest_wait_s=_seconds_since(oldest_all, now),
        open=sum(r.open for r in rows),
        open_by_status={s: sum(opened.get((i, s), 0) for i in ids) for s in UNRESOLVED},
        unassigned_open=sum(r.unassigned_open for r in rows),
        sla_breaches_today=sum(r.sla_breaches_today for r in rows),
        agents=_count_agents(agents),
        inboxes=rows,
        agent_list=[a.shown for a in agents],
    )
