"""Reads for routing: agent snapshots with their loads, the queue in order, positions and the
recent handling time that wait estimates come from."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kefu.conversations.models import Conversation
from kefu.conversations.schemas import VisitorQueueOut
from kefu.db import utcnow
from kefu.inboxes.models import Inbox, InboxMember
from kefu.routing.models import AgentState, RoutingRule
from kefu.routing.policy import PRIORITY_RANK, AgentSnapshot, WaitingConversation, can_serve
from kefu.routing.rules import Rule, RuleActions, RuleConditions
from kefu.routing.schemas import AgentStatusOut
from kefu.routing.settings import routing_settings
from kefu.routing.waits import describe_wait
from kefu.teams.models import TeamMember
from kefu.users.models import User

DEFAULT_HANDLE_SECONDS = 300.0
HANDLE_SAMPLE = 50  # recent resolved conversations the handling-time average is taken over

priority_rank = case(PRIORITY_RANK, value=Conversation.priority, else_=2)


# What counts toward an agent's capacity: their open and pending conversations. Snoozed ones
# are set aside (as Intercom and Zendesk count them), so snoozing frees a slot.
NOT_LOAD = ("resolved", "snoozed")


def agent_load_query(user_id: int):  # type: ignore[no-untyped-def]
    return select(func.count(Conversation.id)).where(
        Conversation.assignee_id == user_id, Conversation.status.not_in(NOT_LOAD)
    )


async def agent_load(*, session: AsyncSession, user_id: int) -> int:
    return int(await session.scalar(agent_load_query(user_id)) or 0)


async def agent_snapshots(
    *, session: AsyncSession, online_only: bool = True, user_ids: list[int] | None = None
) -> list[AgentSnapshot]:
    """Active agents (online ones only, by default) with their load, inboxes and teams."""
    query = (
        select(AgentState).join(User, User.id == AgentState.user_id).where(User.is_active.is_(True))
    )
    if online_only:
        query = query.where(AgentState.presence == "online")
    if user_ids is not None:
        query = query.where(AgentState.user_id.in_(user_ids))
    states = list(await session.scalars(query))
    if not states:
        return []
    ids = [state.user_id for state in states]
    # Loads of these agents only (the assignee index), not a scan of every conversation.
    loads: dict[int, int] = {}
    for assignee_id, count in await session.execute(
        select(Conversation.assignee_id, func.count())
        .where(Conversation.assignee_id.in_(ids), Conversation.status.not_in(NOT_LOAD))
        .group_by(Conversation.assignee_id)
    ):
        if assignee_id is not None:
            loads[assignee_id] = count
    inboxes: dict[int, set[int]] = {}
    for uid, iid in await session.execute(
        select(InboxMember.user_id, InboxMember.inbox_id).where(InboxMember.user_id.in_(ids))
    ):
        inboxes.setdefault(uid, set()).add(iid)
    teams: dict[int, set[int]] = {}
    for uid, tid in await session.execute(
        select(TeamMember.user_id, TeamMember.team_id).where(TeamMember.user_id.in_(ids))
    ):
        teams.setdefault(uid, set()).add(tid)
    return [
        AgentSnapshot(
            user_id=state.user_id,
            load=loads.get(state.user_id, 0),
            max_conversations=state.max_conversations,
            last_assigned_at=state.last_assigned_at,
            skills=frozenset(state.skills or ()),
            inbox_ids=frozenset(inboxes.get(state.user_id, ())),
            team_ids=frozenset(teams.get(state.user_id, ())),
        )
        for state in states
    ]


async def agent_statuses(
    *,
    session: AsyncSession,
    viewer_id: int,
    lead: bool,
    user_ids: Collection[int] | None = None,
) -> list[AgentStatusOut]:
    """Active users' presence, by name; loads and capacities only to leads (supervisors and
    admins) and to the viewer themselves. `user_ids`: only these users (None: everyone)."""
    users_query = select(User).where(User.is_active.is_(True)).order_by(User.name, User.id)
    states_query = select(AgentState)
    if user_ids is not None:
        ids = sorted(user_ids)
        users_query = users_query.where(User.id.in_(ids))
        states_query = states_query.where(AgentState.user_id.in_(ids))
    users = list(await session.scalars(users_query))
    states = {s.user_id: s for s in await session.scalars(states_query)}
    loads = {
        a.user_id: a.load
        for a in await agent_snapshots(
            session=session,
            online_only=False,
            user_ids=None if user_ids is None else sorted(user_ids),
        )
    }
    out = []
    for user in users:
        state = states.get(user.id)
        shown = lead or user.id == viewer_id
        out.append(
            AgentStatusOut(
                user_id=user.id,
                name=user.name,
                role=user.role,
                presence=state.presence if state else "offline",
                load=loads.get(user.id, 0) if shown else None,
                max_conversations=state.max_conversations if state and shown else None,
                skills=list(state.skills or ()) if state else [],
                last_assigned_at=state.last_assigned_at if state and shown else None,
            )
        )
    return out


@dataclass(frozen=True)
class Reach:
    """Inboxes and teams some free agents share: a conversation in one of the inboxes, with no
    team or one of the teams, may have an agent now (skills are checked afterwards)."""

    inbox_ids: frozenset[int]
    team_ids: frozenset[int]


def reaches(
    agents: list[AgentSnapshot], room: Callable[[AgentSnapshot], frozenset[int]]
) -> set[Reach]:
    """One Reach per distinct (inboxes where the agent has room, teams): usually a handful."""
    found: set[Reach] = set()
    for agent in agents:
        inbox_ids = room(agent)
        if inbox_ids:
            found.add(Reach(inbox_ids, agent.team_ids))
    return found


def _reach_clause(reach: Reach) -> ColumnElement[bool]:
    team: ColumnElement[bool] = Conversation.team_id.is_(None)
    if reach.team_ids:
        team = or_(team, Conversation.team_id.in_(sorted(reach.team_ids)))
    return and_(Conversation.inbox_id.in_(sorted(reach.inbox_ids)), team)


async def waiting_conversations(
    *,
    session: AsyncSession,
    reach: set[Reach],
    limit: int,
    after: WaitingConversation | None = None,
) -> list[WaitingConversation]:
    """The waiting conversations these agents could serve, in queue order (priority, arrival,
    id), from just after `after`: keyset pages, so a long queue is never re-sorted from the top
    and conversations nobody free could serve are never read."""
    if not reach:
        return []
    query = select(Conversation).where(
        or_(*(_reach_clause(r) for r in sorted(reach, key=repr))),
        Conversation.queued_at.is_not(None),
        Conversation.assignee_id.is_(None),
        Conversation.status != "resolved",
    )
    if after is not None:
        rank = PRIORITY_RANK.get(after.priority, 2)
        query = query.where(
            or_(
                priority_rank > rank,
                and_(priority_rank == rank, Conversation.queued_at > after.queued_at),
                and_(
                    priority_rank == rank,
                    Conversation.queued_at == after.queued_at,
                    Conversation.id > after.id,
                ),
            )
        )
    rows = await session.scalars(
        query.order_by(priority_rank, Conversation.queued_at, Conversation.id).limit(limit)
    )
    return [as_waiting(row) for row in rows]


def as_waiting(conversation: Conversation) -> WaitingConversation:
    assert conversation.queued_at is not None
    return WaitingConversation(
        id=conversation.id,
        inbox_id=conversation.inbox_id,
        team_id=conversation.team_id,
        required_skills=frozenset(conversation.required_skills or ()),
        priority=conversation.priority,
        queued_at=conversation.queued_at,
    )


async def count_ahead(session: AsyncSession, conversation: Conversation) -> int:
    """Waiting before this conversation in its queue (same inbox and team)."""
    assert conversation.queued_at is not None
    rank = priority_rank
    own_rank = PRIORITY_RANK.get(conversation.priority, 2)
    team = (
        Conversation.team_id.is_(None)
        if conversation.team_id is None
        else Conversation.team_id == conversation.team_id
    )
    before = or_(
        rank < own_rank,
        and_(rank == own_rank, Conversation.queued_at < conversation.queued_at),
        and_(
            rank == own_rank,
            Conversation.queued_at == conversation.queued_at,
            Conversation.id < conversation.id,
        ),
    )
    count = await session.scalar(
        select(func.count(Conversation.id)).where(
            Conversation.inbox_id == conversation.inbox_id,
            team,
            Conversation.queued_at.is_not(None),
            Conversation.assignee_id.is_(None),
            Conversation.status != "resolved",
            Conversation.id != conversation.id,
            before,
        )
    )
    return int(count or 0)


async def online_slots(session: AsyncSession, conversation: Conversation, default: int) -> int:
    """Total capacity of the online agents who could serve this conversation."""
    waiting = as_waiting(conversation)
    agents = await agent_snapshots(session=session)
    return sum(a.capacity(default) for a in agents if can_serve(a, waiting))


@dataclass(frozen=True)
class QueueEntry:
    conversation_id: int
    public_id: str
    contact_id: int
    team_id: int | None
    required_skills: frozenset[str]
    queue_number: int | None
    priority: str
    queued_at: datetime
    ahead: int  # waiting before this one in the same queue (inbox and team)


async def queue_entries(*, session: AsyncSession, inbox_id: int) -> list[QueueEntry]:
    """Everyone waiting in the inbox, in order, with how many are ahead in their team's queue."""
    rows = (
        await session.execute(
            select(
                Conversation.id,
                Conversation.public_id,
                Conversation.contact_id,
                Conversation.team_id,
                Conversation.required_skills,
                Conversation.queue_number,
                Conversation.priority,
                Conversation.queued_at,
            )
            .where(
                Conversation.inbox_id == inbox_id,
                Conversation.queued_at.is_not(None),
                Conversation.assignee_id.is_(None),
                Conversation.status != "resolved",
            )
            .order_by(priority_rank, Conversation.queued_at, Conversation.id)
        )
    ).all()
    seen: dict[int | None, int] = {}
    entries = []
    for row in rows:
        ahead = seen.get(row.team_id, 0)
        seen[row.team_id] = ahead + 1
        entries.append(
            QueueEntry(
                conversation_id=row.id,
                public_id=row.public_id,
                contact_id=row.contact_id,
                team_id=row.team_id,
                required_skills=frozenset(row.required_skills or ()),
                queue_number=row.queue_number,
                priority=row.priority,
                queued_at=row.queued_at,
                ahead=ahead,
            )
        )
    return entries


async def average_handle_seconds(*, session: AsyncSession, inbox_id: int) -> float:
    """Mean time from assignment to resolution over the inbox's recent resolved conversations
    (last 7 days, up to 50); five minutes when there is no history yet."""
    since = utcnow() - timedelta(days=7)
    rows = (
        await session.execute(
            select(Conversation.assigned_at, Conversation.resolved_at)
            .where(
                Conversation.inbox_id == inbox_id,
                Conversation.status == "resolved",
                Conversation.resolved_at >= since,
                Conversation.assigned_at.is_not(None),
            )
            .order_by(Conversation.resolved_at.desc())
            .limit(HANDLE_SAMPLE)
        )
    ).all()
    spans = [
        (r.resolved_at - r.assigned_at).total_seconds()
        for r in rows
        if r.resolved_at is not None and r.assigned_at is not None and r.resolved_at > r.assigned_at
    ]
    return sum(spans) / len(spans) if spans else DEFAULT_HANDLE_SECONDS


async def enabled_rules(*, session: AsyncSession) -> list[Rule]:
    rows = await session.scalars(
        select(RoutingRule)
        .where(RoutingRule.enabled.is_(True))
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    return [
        Rule(
            id=r.id,
            conditions=RuleConditions.model_validate(r.conditions),
            actions=RuleActions.model_validate(r.actions),
        )
        for r in rows
    ]


async def list_rules(*, session: AsyncSession) -> list[RoutingRule]:
    return list(
        await session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    )


@dataclass(frozen=True)
class QueuePlace:
    conversation_id: int
    contact_id: int
    public_id: str
    queue: VisitorQueueOut


async def queue_places(*, session: AsyncSession, inbox_id: int) -> list[QueuePlace]:
    """Every waiting customer's place in the inbox, with the expected wait: the online agents
    of the conversation's team (or of the inbox) and the inbox's recent handling time."""
    entries = await queue_entries(session=session, inbox_id=inbox_id)
    if not entries:
        return []
    inbox = await session.get(Inbox, inbox_id)
    assert inbox is not None
    default = routing_settings(inbox).max_conversations_per_agent
    agents = [a for a in await agent_snapshots(session=session) if inbox_id in a.inbox_ids]
    handle = await average_handle_seconds(session=session, inbox_id=inbox_id)
    # The same agents as queue_place counts: those who can serve the conversation (team, skills).
    slots: dict[tuple[int | None, frozenset[str]], int] = {}
    for e in entries:
        key = (e.team_id, e.required_skills)
        if key not in slots:
            probe = WaitingConversation(
                id=e.conversation_id,
                inbox_id=inbox_id,
                team_id=e.team_id,
                required_skills=e.required_skills,
                priority=e.priority,
                queued_at=e.queued_at,
            )
            slots[key] = sum(a.capacity(default) for a in agents if can_serve(a, probe))
    return [
        QueuePlace(
            conversation_id=e.conversation_id,
            contact_id=e.contact_id,
            public_id=e.public_id,
            queue=VisitorQueueOut(
                queue_number=e.queue_number,
                position=e.ahead + 1,
                ahead=e.ahead,
                wait_minutes=describe_wait(e.ahead, slots[e.team_id, e.required_skills], handle),
            ),
        )
        for e in entries
    ]


async def queue_place(
    *, session: AsyncSession, conversation: Conversation
) -> VisitorQueueOut | None:
    """One customer's place (the widget asks on load); None unless waiting in the queue."""
    if (
        conversation.queued_at is None
        or conversation.assignee_id is not None
        or conversation.status == "resolved"
    ):
        return None
    inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    ahead = await count_ahead(session, conversation)
    default = routing_settings(inbox).max_conversations_per_agent
    slots = await online_slots(session, conversation, default)
    handle = await average_handle_seconds(session=session, inbox_id=inbox.id)
    return VisitorQueueOut(
        queue_number=conversation.queue_number,
        position=ahead + 1,
        ahead=ahead,
        wait_minutes=describe_wait(ahead, slots, handle),
    )
