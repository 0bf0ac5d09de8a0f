"""Giving a conversation to an agent, and putting it (back) in the queue.

Correctness across nodes rests on two locks, always taken in this order (conversation, then
agent), so that they cannot deadlock:
1. the conversation: the assigning UPDATE only matches while the conversation still has the
   assignee the caller saw (`assignee_id IS NULL` for the queue), so two nodes can never both
   assign it; the drain also takes the row with FOR UPDATE SKIP LOCKED so that nodes spread out;
2. the agent: `agent_states` row FOR UPDATE, held while the agent's open conversations are
   counted and the new one is added, so the count cannot go stale before commit and nobody
   exceeds capacity.
On SQLite one writer at a time (db.py) gives the same guarantees.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kefu.auth.principals import Principal
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.db import dialect_insert, utcnow
from kefu.events.bus import send_event_on_commit
from kefu.inboxes.models import Inbox
from kefu.messages.actions import append_message
from kefu.notifications.actions import notify_assigned
from kefu.routing.hours import BusinessHours
from kefu.routing.models import AgentState, QueueCounter
from kefu.routing.queries import agent_load
from kefu.routing.settings import RoutingSettings
from kefu.routing.signals import request_routing_on_commit
from kefu.users.models import User


async def ensure_agent_state(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        dialect_insert(session)(AgentState)
        .values(
            user_id=user_id,
            presence="offline",
            presence_changed_at=utcnow(),
            skills=[],
        )
        .on_conflict_do_nothing(index_elements=["user_id"])
    )


async def lock_agent_state(session: AsyncSession, user_id: int) -> AgentState:
    await ensure_agent_state(session, user_id)
    state = await session.scalar(
        select(AgentState)
        .where(AgentState.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert state is not None
    return state


async def try_assign(
    session: AsyncSession,
    *,
    conversation: Conversation,
    agent: User,
    actor: Principal,
    capacity: int | None,
    require_online: bool,
    how: str,
    note: str | None = None,
) -> bool:
    """Assign `conversation` to `agent` if, under the agent's row lock, they are online (when
    required) and below `capacity` (None: no limit, a supervisor's explicit override), and the
    conversation still has the assignee this caller saw. False otherwise; nothing changed."""
    state = await lock_agent_state(session, agent.id)
    if require_online and state.presence != "online":
        return False
    if capacity is not None and await agent_load(session=session, user_id=agent.id) >= capacity:
        return False
    previous_id = conversation.assignee_id
    now = utcnow()
    seen = (
        Conversation.assignee_id.is_(None)
        if previous_id is None
        else Conversation.assignee_id == previous_id
    )
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, seen, Conversation.status != "resolved")
        .values(assignee_id=agent.id, assigned_at=now, queued_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    previous = conversation.assignee if previous_id is not None else None
    was_queued = conversation.queued_at is not None
    for name, value in (("assignee_id", agent.id), ("assigned_at", now), ("queued_at", None)):
        set_committed_value(conversation, name, value)
    set_committed_value(conversation, "assignee", agent)
    state.last_assigned_at = now
    activity: dict[str, object] = {
        "type": "assigned",
        "by": _actor_name(actor),
        "from": previous.name if previous is not None else None,
        "to": agent.name,
        "how": how,
    }
    if note:
        activity["note"] = note
    await append_message(
        session, conversation=conversation, kind="activity", actor=actor, activity=activity
    )
    await notify_assigned(session, conversation=conversation, assignee=agent, actor=actor)
    send_event_on_commit(session, events.conversation_changed(conversation))
    if was_queued:
        request_routing_on_commit(session, conversation.inbox_id)  # positions moved
    return True


def _actor_name(actor: Principal) -> str | None:
    user = getattr(actor, "user", None)
    return user.name if user is not None else None


async def next_queue_number(session: AsyncSession, inbox: Inbox, hours: BusinessHours) -> int:
    """Numbers restart every day, in the inbox's timezone. An upsert, so that two nodes handing
    out numbers at once never give the same one."""
    day = utcnow().astimezone(hours.zone).date().isoformat()
    insert = dialect_insert(session)(QueueCounter).values(inbox_id=inbox.id, day=day, value=1)
    statement = insert.on_conflict_do_update(
        index_elements=["inbox_id", "day"], set_={"value": QueueCounter.value + 1}
    ).returning(QueueCounter.value)
    return int((await session.execute(statement)).scalar_one())


async def enqueue(
    session: AsyncSession,
    *,
    conversation: Conversation,
    inbox: Inbox,
    hours: BusinessHours,
    arrival: datetime | None = None,
) -> None:
    """Put an unassigned conversation in its inbox's queue. `arrival` orders it (default now; a
    conversation handed back by an agent who went offline keeps its original arrival, which puts
    it ahead of everyone who came later). It keeps the queue number it was given, if any."""
    conversation.queued_at = arrival or utcnow()
    if conversation.queue_number is None:
        conversation.queue_number = await next_queue_number(session, inbox, hours)
    request_routing_on_commit(session, inbox.id)


def capacity_for(state_max: int | None, settings: RoutingSettings) -> int:
    return state_max if state_max is not None else settings.max_conversations_per_agent
