"""Writers for agents' presence and routing profile (capacity, skills), and the bookkeeping of
open consoles that takes an agent offline a grace period after their last console closes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from kefu.auth.principals import AgentPrincipal, Principal, SystemPrincipal
from kefu.conversations import events as conversation_events
from kefu.conversations.models import Conversation
from kefu.db import dialect_insert, utcnow
from kefu.errors import PermissionDenied
from kefu.events import types
from kefu.events.bus import send_event_on_commit
from kefu.events.types import Event
from kefu.inboxes.models import Inbox, InboxMember
from kefu.messages.actions import append_message
from kefu.routing.actions import unassign_to_queue
from kefu.routing.assignment import lock_agent_state
from kefu.routing.hours import BusinessHours
from kefu.routing.models import AgentConnection, AgentState
from kefu.routing.settings import routing_settings
from kefu.routing.signals import request_routing_on_commit
from kefu.users.models import User

# A node refreshes its rows this often; rows older than STALE belong to a node that died.
HEARTBEAT_SECONDS = 15
STALE_SECONDS = 60


def _may_manage(actor: Principal, user_id: int) -> None:
    """Agents manage their own presence; supervisors, admins and the system anyone's."""
    if isinstance(actor, SystemPrincipal):
        return
    if isinstance(actor, AgentPrincipal) and (
        actor.user_id == user_id or actor.user.role in ("admin", "supervisor")
    ):
        return
    raise PermissionDenied("You can only change your own status.")


def agent_event(state: AgentState) -> Event:
    return Event(
        type=types.AGENT_UPDATED,
        inbox_id=None,
        agent={
            "type": types.AGENT_UPDATED,
            "user_id": state.user_id,
            "presence": state.presence,
            "max_conversations": state.max_conversations,
            "skills": list(state.skills or ()),
        },
    )


async def _inbox_ids(session: AsyncSession, user_id: int) -> list[int]:
    rows = await session.scalars(select(InboxMember.inbox_id).where(InboxMember.user_id == user_id))
    return list(rows)


async def do_set_presence(
    session: AsyncSession, *, actor: Principal, user: User, presence: str
) -> AgentState:
    """online: takes new conversations; busy / away: keeps what they have, takes nothing new;
    offline: as away, and in inboxes set to "requeue" their open conversations go back to the
    queue (by their original arrival, so ahead of later arrivals)."""
    _may_manage(actor, user.id)
    state = await lock_agent_state(session, user.id)
    automatic = isinstance(actor, SystemPrincipal)
    if not automatic:
        state.restore_presence = None
    if state.presence == presence:
        return state
    if automatic and presence == "offline":
        state.restore_presence = state.presence
    state.presence = presence
    state.presence_changed_at = utcnow()
    inbox_ids = await _inbox_ids(session, user.id)
    if presence == "offline":
        await _requeue_on_offline(session, user)
    for inbox_id in inbox_ids:
        request_routing_on_commit(session, inbox_id)  # capacity appeared, or wait estimates moved
    send_event_on_commit(session, agent_event(state))
    return state


async def _requeue_on_offline(session: AsyncSession, user: User) -> None:
    rows = await session.scalars(
        select(Conversation)
        # Snoozed ones stay: they go to the queue when they wake, if the agent is still away.
        .where(
            Conversation.assignee_id == user.id,
            Conversation.status.not_in(("resolved", "snoozed")),
        )
        .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
        .order_by(Conversation.id)
    )
    conversations = list(rows)
    if not conversations:
        return
    inboxes = {
        i.id: i
        for i in await session.scalars(
            select(Inbox).where(Inbox.id.in_({c.inbox_id for c in conversations}))
        )
    }
    for conversation in conversations:
        inbox = inboxes[conversation.inbox_id]
        settings = routing_settings(inbox)
        if settings.on_agent_offline != "requeue":
            continue
        hours = BusinessHours.from_settings(settings.business_hours)
        await unassign_to_queue(
            session, conversation, inbox, hours, arrival=conversation.created_at
        )
        await append_message(
            session,
            conversation=conversation,
            kind="activity",
            actor=SystemPrincipal(),
            activity={"type": "requeued", "from": user.name, "reason": "agent_offline"},
        )
        send_event_on_commit(session, conversation_events.conversation_changed(conversation))


async def do_update_agent_routing(
    session: AsyncSession,
    *,
    actor: Principal,
    user: User,
    max_conversations: int | None,
    skills: list[str],
) -> AgentState:
    """An agent's own capacity (None: the inbox default) and skills. Supervisors and admins."""
    if isinstance(actor, AgentPrincipal) and actor.user.role not in ("admin", "supervisor"):
        raise PermissionDenied("Only supervisors and admins can change capacity and skills.")
    state = await lock_agent_state(session, user.id)
    state.max_conversations = max_conversations
    state.skills = sorted({s.strip() for s in skills if s.strip()})
    for inbox_id in await _inbox_ids(session, user.id):
        request_routing_on_commit(session, inbox_id)
    send_event_on_commit(session, agent_event(state))
    return state


async def do_record_console_connections(
    session: AsyncSession, *, user_id: int, node: str, connections: int
) -> None:
    """This node now has `connections` consoles of the agent open (system bookkeeping). An
    agent the system took offline gets their presence back when a console opens again."""
    if connections > 0:
        state = await lock_agent_state(session, user_id)
        if state.presence == "offline" and state.restore_presence:
            user = await session.get(User, user_id)
            if user is not None:
                restore = state.restore_presence
                await do_set_presence(session, actor=SystemPrincipal(), user=user, presence=restore)
                state.restore_presence = None
    statement = dialect_insert(session)(AgentConnection).values(
        user_id=user_id, node=node, connections=connections, seen_at=utcnow()
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "node"],
            set_={"connections": connections, "seen_at": statement.excluded.seen_at},
        )
    )


async def do_heartbeat_consoles(session: AsyncSession, *, node: str, user_ids: list[int]) -> None:
    """Refresh this node's rows for the agents it has consoles for; zero the others (a node
    that restarted forgets its old consoles)."""
    now = utcnow()
    await session.execute(
        update(AgentConnection)
        .where(AgentConnection.node == node, AgentConnection.user_id.in_(user_ids))
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(AgentConnection)
        .where(
            AgentConnection.node == node,
            AgentConnection.user_id.not_in(user_ids),
            AgentConnection.connections > 0,
        )
        .values(connections=0, seen_at=now)
        .execution_options(synchronize_session=False)
    )


async def do_expire_presence(session: AsyncSession, *, grace_seconds: float) -> list[int]:
    """Take offline every agent (not already offline) who has had consoles, but none open on any
    live node for `grace_seconds`. Agents who never opened a console (API-only integrations)
    are left to set their own presence. Returns the ids taken offline."""
    now = utcnow()
    live = (AgentConnection.connections > 0) & (
        AgentConnection.seen_at > now - timedelta(seconds=STALE_SECONDS)
    )
    rows = (
        await session.execute(
            select(
                AgentConnection.user_id,
                func.max(AgentConnection.seen_at),
                func.sum(case((live, 1), else_=0)),  # consoles open on live nodes
            )
            .join(AgentState, AgentState.user_id == AgentConnection.user_id)
            .where(AgentState.presence != "offline")
            .group_by(AgentConnection.user_id)
        )
    ).all()
    expired = []
    for user_id, last_seen, live_rows in rows:
        if live_rows or last_seen > now - timedelta(seconds=grace_seconds):
            continue
        user = await session.get(User, user_id)
        if user is not None:
            await do_set_presence(session, actor=SystemPrincipal(), user=user, presence="offline")
            expired.append(user_id)
    return expired
