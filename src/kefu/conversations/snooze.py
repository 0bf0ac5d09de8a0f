"""Snooze: set a conversation aside until a time, or until the customer writes again.

How a snoozed conversation relates to routing (as Intercom and Zendesk's omnichannel routing do
it; see docs/workflow.md):
- it keeps its assignee, but does not count toward the assignee's capacity while snoozed
  (routing/queries.py counts open and pending conversations only), so snoozing frees a slot;
- an unassigned one leaves the queue while snoozed and joins it again when it wakes;
- when it wakes (its time came, or the customer wrote) it is open again, back with its assignee;
  if that agent is not online and the inbox hands offline agents' conversations back to the
  queue, it goes to the queue instead (nobody would answer otherwise);
- SLA clocks are not paused: a customer who is still waiting is still waiting.

Waking by time is a worker job (`run_snooze_wakeups`), safe on several nodes: one conditional
UPDATE (`status = 'snoozed' AND snoozed_until <= now`) decides which node wakes which
conversation, so each is woken exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from kefu.auth.principals import AgentPrincipal, Principal, SystemPrincipal
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.db import Database, utcnow
from kefu.errors import Conflict, InvalidInput
from kefu.events.bus import send_event_on_commit
from kefu.inboxes.models import Inbox
from kefu.messages.actions import append_message
from kefu.routing.actions import inbox_clock, unassign_to_queue
from kefu.routing.assignment import enqueue
from kefu.routing.models import AgentState
from kefu.routing.signals import request_routing_on_commit

MAX_SNOOZE = timedelta(days=366)
WAKE_BATCH = 100
SYSTEM = SystemPrincipal()


def check_snooze_until(until: datetime | None, *, now: datetime) -> None:
    """None (until the customer writes) or an aware time in the future, within a year."""
    if until is None:
        return
    if until.tzinfo is None or until.utcoffset() is None:
        raise InvalidInput("The snooze time needs a timezone.", code="naive_datetime")
    if until <= now:
        raise InvalidInput("The snooze time is in the past.", code="snooze_in_past")
    if until - now > MAX_SNOOZE:
        raise InvalidInput("Snooze for at most a year.", code="snooze_too_far")


async def do_snooze_conversation(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    until: datetime | None,
) -> Conversation:
    """Snooze until `until` (None: until the customer writes). Snoozing a snoozed conversation
    changes its time. The caller got `conversation` through access_conversation."""
    now = utcnow()
    check_snooze_until(until, now=now)
    if conversation.status == "resolved":
        raise Conflict("This conversation is resolved.", code="conversation_resolved")
    if conversation.status == "snoozed" and conversation.snoozed_until == until:
        return conversation
    previous = conversation.status
    conversation.status = "snoozed"
    conversation.snoozed_until = until
    if conversation.queued_at is not None:
        conversation.queued_at = None  # out of the queue; it rejoins when it wakes
        request_routing_on_commit(session, conversation.inbox_id)  # places moved
    elif conversation.assignee_id is not None and previous != "snoozed":
        request_routing_on_commit(session, conversation.inbox_id)  # the agent has room again
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={
            "type": "snoozed",
            "by": actor.user.name,
            "until": until.isoformat() if until is not None else None,
        },
    )
    send_event_on_commit(session, events.conversation_changed(conversation))
    return conversation


async def _assignee_online(session: AsyncSession, user_id: int) -> bool:
    presence = await session.scalar(
        select(AgentState.presence).where(AgentState.user_id == user_id)
    )
    return presence == "online"


async def _after_wake(
    session: AsyncSession, conversation: Conversation, *, actor: Principal, reason: str
) -> None:
    """The conversation is open again (status already written): back to its agent, or to the
    queue; an activity line; the event."""
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={"type": "unsnoozed", "reason": reason},
    )
    inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    settings, hours = inbox_clock(inbox)
    if conversation.routing_state != "routed":  # snoozed before its routing step ran
        request_routing_on_commit(session, conversation.inbox_id, conversation.id)
    elif conversation.assignee_id is None:
        await enqueue(session, conversation=conversation, inbox=inbox, hours=hours)
    elif settings.on_agent_offline == "requeue" and not await _assignee_online(
        session, conversation.assignee_id
    ):
        previous = conversation.assignee
        await unassign_to_queue(session, conversation, inbox, hours)
        await append_message(
            session,
            conversation=conversation,
            kind="activity",
            actor=SYSTEM,
            activity={
                "type": "requeued",
                "from": previous.name if previous is not None else None,
                "reason": "agent_offline",
            },
        )
    send_event_on_commit(session, events.conversation_changed(conversation))


async def do_wake_on_customer_message(
    session: AsyncSession, *, actor: Principal, conversation: Conversation
) -> None:
    """The customer wrote to a snoozed conversation (do_send_visitor_message, which read its
    status under the row lock): it is open again."""
    conversation.status = "open"
    conversation.snoozed_until = None
    await _after_wake(session, conversation, actor=actor, reason="customer_replied")


async def do_wake_due_snoozes(session: AsyncSession, *, limit: int = WAKE_BATCH) -> int:
    """Open the snoozed conversations whose time has come (up to `limit`); how many woke.

    The conditional UPDATE is the guard across nodes: a conversation another node woke, or
    the customer reopened, or an agent unsnoozed meanwhile, no longer matches it."""
    now = utcnow()
    due = list(
        await session.scalars(
            select(Conversation.id)
            .where(Conversation.status == "snoozed", Conversation.snoozed_until <= now)
            .order_by(Conversation.snoozed_until)
            .limit(limit)
        )
    )
    if not due:
        return 0
    woke = list(
        await session.scalars(
            update(Conversation)
            .where(
                Conversation.id.in_(due),
                Conversation.status == "snoozed",
                Conversation.snoozed_until <= now,
            )
            .values(status="open", snoozed_until=None)
            .returning(Conversation.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not woke:
        return 0
    conversations = await session.scalars(
        select(Conversation)
        .where(Conversation.id.in_(woke))
        .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
        .order_by(Conversation.id)
        .execution_options(populate_existing=True)
    )
    for conversation in conversations:
        await _after_wake(session, conversation, actor=SYSTEM, reason="timer")
    return len(woke)


async def snoozes_due(session: AsyncSession) -> bool:
    """Read-only: is any snoozed conversation's time up? (The index on snoozed_until.)"""
    found = await session.scalar(
        select(Conversation.id)
        .where(Conversation.snoozed_until <= utcnow(), Conversation.status == "snoozed")
        .limit(1)
    )
    return found is not None


async def run_snooze_wakeups(db: Database) -> int:
    """The worker job: a cheap read first (on SQLite a write transaction holds the one writer),
    then batches of wake-ups until none is due."""
    async with db.read() as session:
        if not await snoozes_due(session):
            return 0
    total = 0
    while True:
        async with db.write() as session:
            woke = await do_wake_due_snoozes(session)
        total += woke
        if woke < WAKE_BATCH:
            return total
