"""Writers for an outgoing channel message's delivery state.

States only move forward: queued -> sent -> delivered -> read. A provider's statuses can arrive
out of order (a "read" before its "delivered") or twice: a later state never goes back. `failed`
replaces queued or sent (a provider can fail a message it had accepted), never delivered or
read; an agent's retry puts a failed message back to queued.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from kefu.auth.principals import AgentPrincipal
from kefu.channels.outbound import SEND_JOB
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.errors import InvalidInput, NotFound
from kefu.events.bus import send_event_on_commit
from kefu.messages.models import Message
from kefu.outbox.actions import enqueue_job

RANK = {"skipped": 0, "queued": 0, "failed": 1, "sent": 1, "delivered": 2, "read": 3}
MAX_ERROR_CHARS = 1000


async def load_message(session: AsyncSession, message_id: int) -> Message | None:
    return await session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .options(joinedload(Message.sender_user), selectinload(Message.attachments))
    )


async def announce_message(session: AsyncSession, message: Message) -> None:
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.id == message.conversation_id)
        .options(joinedload(Conversation.contact))
    )
    if conversation is not None:
        send_event_on_commit(session, events.message_updated(conversation, message))


def _apply(message: Message, status: str, error: str | None) -> bool:
    """Whether the state changed (see the module's rules)."""
    current = message.delivery_status
    if current is None or current == status:
        return False
    if status == "failed":
        if current in ("delivered", "read"):
            return False
    elif status != "queued" and RANK[status] <= RANK[current] and current != "failed":
        return False
    message.delivery_status = status
    message.delivery_error = error[:MAX_ERROR_CHARS] if error else None
    return True


async def do_set_delivery(
    session: AsyncSession,
    *,
    message_id: int,
    status: str,
    error: str | None = None,
    external_id: str | None = None,
) -> Message | None:
    """Record what the send job (or a provider's status) says about our message."""
    message = await load_message(session, message_id)
    if message is None:
        return None
    changed = False
    if external_id and message.external_id != external_id:
        message.external_id = external_id
        changed = True
    changed = _apply(message, status, error) or changed
    if changed:
        await announce_message(session, message)
    return message


async def do_note_send_attempt(session: AsyncSession, *, message_id: int, error: str) -> None:
    """A try failed and will be repeated: the agent sees why it is still queued."""
    message = await load_message(session, message_id)
    if message is not None and message.delivery_status == "queued":
        message.delivery_error = f"Retrying: {error}"[:MAX_ERROR_CHARS]
        await announce_message(session, message)


async def do_record_status(
    session: AsyncSession,
    *,
    inbox_id: int,
    external_message_id: str,
    status: str,
    error: str | None = None,
) -> Message | None:
    """A provider's status for one of our messages in this inbox (None: not ours)."""
    message_id = await session.scalar(
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.external_id == external_message_id,
            Message.kind == "outgoing",
            Conversation.inbox_id == inbox_id,
        )
        .limit(1)
    )
    if message_id is None:
        return None
    return await do_set_delivery(session, message_id=message_id, status=status, error=error)


WATERMARK_MESSAGES = 50  # a watermark moves at most this many of the latest messages


async def do_record_watermark(
    session: AsyncSession,
    *,
    inbox_id: int,
    contact_id: int,
    status: str,
    until: datetime,
) -> int:
    """Messenger's reads: every message we sent this contact in this inbox up to `until` has
    reached `status` (forward only, as for single statuses). Returns how many changed."""
    ids = await session.scalars(
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.inbox_id == inbox_id,
            Conversation.contact_id == contact_id,
            Message.kind == "outgoing",
            Message.external_id.is_not(None),
            Message.delivery_status.in_(("sent", "delivered")),
            Message.created_at <= until,
        )
        .order_by(Message.id.desc())
        .limit(WATERMARK_MESSAGES)
    )
    changed = 0
    for message_id in list(ids):
        message = await load_message(session, message_id)
        if message is not None and _apply(message, status, None):
            await announce_message(session, message)
            changed += 1
    return changed


async def do_retry_delivery(
    session: AsyncSession, *, actor: AgentPrincipal, conversation: Conversation, message_id: int
) -> Message:
    """An agent's "retry" on a failed (or skipped) message: queued again with a new job. The
    caller checked that the agent may reply in this conversation."""
    message = await load_message(session, message_id)
    if message is None or message.conversation_id != conversation.id:
        raise NotFound("No such message.", code="message_not_found")
    if message.kind != "outgoing" or message.delivery_status not in ("failed", "skipped"):
        raise InvalidInput("Only a failed message can be sent again.", code="not_retryable")
    message.delivery_status = "queued"
    message.delivery_error = None
    payload: dict[str, Any] = {"message_id": message.id, "retried_by": actor.user_id}
    await enqueue_job(session, SEND_JOB, payload, key=f"conversation:{conversation.id}")
    await announce_message(session, message)
    return message
