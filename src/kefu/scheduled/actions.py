"""Writers for scheduled messages: schedule, cancel, and the worker's send.

Sending goes through the outbox: scheduling enqueues a job due at `send_at`, and its handler
(scheduled/jobs.py) calls `do_send_scheduled_message`, which claims the row with a conditional
UPDATE (pending -> sent) and sends the text through the normal agent-message action as the
author, in one transaction, with a client_msg_id derived from the schedule's id. A retry, a
second node or a racing cancel therefore finds the row no longer pending, and the message
cannot go out twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kefu.auth.principals import AgentPrincipal
from kefu.conversations.models import Conversation
from kefu.conversations.queries import access_conversation
from kefu.db import utcnow
from kefu.errors import Conflict, InvalidInput, KefuError, NotFound, PermissionDenied
from kefu.events.bus import send_event_on_commit
from kefu.messages.actions import DuplicateSend, clean_text, do_send_agent_message
from kefu.messages.queries import get_message_by_client_id
from kefu.outbox.actions import enqueue_job
from kefu.scheduled.events import scheduled_message_updated
from kefu.scheduled.models import ScheduledMessage
from kefu.scheduled.queries import get_scheduled_message

SEND_JOB = "scheduled_message.send"
MIN_LEAD = timedelta(seconds=60)
MAX_AHEAD = timedelta(days=366)
MAX_PENDING_PER_CONVERSATION = 20
LEADS = ("admin", "supervisor")


def client_msg_id_for(scheduled_id: int) -> str:
    """The retry key of the message a schedule becomes: a second send is a DuplicateSend."""
    return f"scheduled-{scheduled_id}"


def check_send_at(send_at: datetime, *, now: datetime | None = None) -> datetime:
    """`send_at` in UTC, if it is an aware time at least a minute and at most a year ahead."""
    if send_at.tzinfo is None or send_at.utcoffset() is None:
        raise InvalidInput("The time must include its timezone offset.", code="naive_datetime")
    send_at = send_at.astimezone(UTC)
    now = now or utcnow()
    if send_at < now + MIN_LEAD:
        raise InvalidInput("Pick a time at least a minute from now.", code="send_at_past")
    if send_at > now + MAX_AHEAD:
        raise InvalidInput("Pick a time within a year.", code="send_at_too_far")
    return send_at


async def do_schedule_message(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    text: str,
    send_at: datetime,
) -> ScheduledMessage:
    """Schedule a reply to the customer. The caller obtained `conversation` through
    access_conversation (the actor may see it)."""
    send_at = check_send_at(send_at)
    text = clean_text(text)
    pending = await session.scalar(
        select(func.count(ScheduledMessage.id)).where(
            ScheduledMessage.conversation_id == conversation.id,
            ScheduledMessage.status == "pending",
        )
    )
    if (pending or 0) >= MAX_PENDING_PER_CONVERSATION:
        raise InvalidInput(
            "This conversation has too many scheduled messages.", code="too_many_scheduled"
        )
    now = utcnow()
    item = ScheduledMessage(
        conversation_id=conversation.id,
        author_id=actor.user_id,
        text=text,
        send_at=send_at,
        status="pending",
        failure=None,
        message_id=None,
        canceled_by_id=None,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    set_committed_value(item, "author", actor.user)
    await enqueue_job(
        session, SEND_JOB, {"id": item.id}, key=f"scheduled_message:{item.id}", run_at=send_at
    )
    send_event_on_commit(session, scheduled_message_updated(conversation, item))
    return item


async def do_cancel_scheduled_message(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    item: ScheduledMessage,
) -> ScheduledMessage:
    """Its author, or a supervisor or admin, cancels it while it is still pending."""
    if item.author_id != actor.user_id and actor.user.role not in LEADS:
        raise PermissionDenied(
            "Only its author or a supervisor can cancel a scheduled message.",
            code="not_your_scheduled_message",
        )
    now = utcnow()
    # Conditional: the worker may be sending it right now (it flips pending -> sent first).
    result = await session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.id == item.id, ScheduledMessage.status == "pending")
        .values(status="canceled", canceled_by_id=actor.user_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("This message was already sent or canceled.", code="scheduled_not_pending")
    for name, value in (
        ("status", "canceled"),
        ("canceled_by_id", actor.user_id),
        ("updated_at", now),
    ):
        set_committed_value(item, name, value)
    send_event_on_commit(session, scheduled_message_updated(conversation, item))
    return item


async def do_send_scheduled_message(
    session: AsyncSession, *, scheduled_id: int
) -> ScheduledMessage | None:
    """Send a due scheduled message (the worker). None when it is no longer pending (canceled,
    or sent by an earlier run). Marked failed instead of sent when its author can no longer
    reply here (deactivated, no longer sees the conversation, refused by the reply action) or
    when the conversation was resolved meanwhile (docs/surveys.md)."""
    now = utcnow()
    claimed = await session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.id == scheduled_id, ScheduledMessage.status == "pending")
        .values(status="sent", updated_at=now)
        .returning(ScheduledMessage.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.scalar_one_or_none() is None:
        return None
    item = await get_scheduled_message(session=session, scheduled_id=scheduled_id)
    author = item.author
    actor = AgentPrincipal(user=author, via="schedule")
    failure: str | None = None
    conversation: Conversation | None = None
    try:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=item.conversation_id
        )
    except NotFound:
        failure = "author_no_access"
    if not author.is_active:
        failure = "author_inactive"
    elif conversation is not None and conversation.status == "resolved":
        failure = "conversation_resolved"
    if failure is None and conversation is not None:
        try:
            async with session.begin_nested():
                message = await do_send_agent_message(
                    session,
                    actor=actor,
                    conversation=conversation,
                    text=item.text,
                    client_msg_id=client_msg_id_for(item.id),
                )
            item.message_id = message.id
        except DuplicateSend:  # sent before (cannot happen while the claim is in this
            # transaction, but the client_msg_id is the last line of defence): keep it sent
            original = await get_message_by_client_id(
                session=session,
                sender_key=actor.sender_key,
                client_msg_id=client_msg_id_for(item.id),
            )
            item.message_id = original.id if original is not None else None
        except KefuError as exc:  # e.g. the inbox lets only the assignee reply
            failure = exc.code
    if failure is not None:
        item.status = "failed"
        item.failure = failure[:50]
    if conversation is not None:
        send_event_on_commit(session, scheduled_message_updated(conversation, item))
    return item


async def do_fail_scheduled_message(
    session: AsyncSession, *, scheduled_id: int, failure: str
) -> None:
    """The send job was given up (dead-lettered): the schedule shows as failed, not pending."""
    result = await session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.id == scheduled_id, ScheduledMessage.status == "pending")
        .values(status="failed", failure=failure[:50], updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return
    item = await get_scheduled_message(session=session, scheduled_id=scheduled_id)
    conversation = await session.get(Conversation, item.conversation_id)
    if conversation is not None:
        send_event_on_commit(session, scheduled_message_updated(conversation, item))
