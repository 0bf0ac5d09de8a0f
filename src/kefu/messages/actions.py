"""Writers for messages. Every message takes the conversation's next `seq` in the same
transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kefu.auth.principals import AgentPrincipal, Principal, VisitorPrincipal
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.errors import InvalidInput
from kefu.events.bus import send_event_on_commit
from kefu.messages.models import Message
from kefu.messages.queries import get_message_by_client_id

PREVIEW_CHARS = 200


async def next_seq(session: AsyncSession, conversation: Conversation) -> int:
    """Take the next seq with UPDATE ... RETURNING: the row lock orders concurrent writers."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_seq=Conversation.last_seq + 1)
        .returning(Conversation.last_seq)
        .execution_options(synchronize_session=False)
    )
    seq = int(result.scalar_one())
    set_committed_value(conversation, "last_seq", seq)
    return seq


async def append_message(
    session: AsyncSession,
    *,
    conversation: Conversation,
    kind: str,
    actor: Principal,
    text: str = "",
    activity: dict[str, Any] | None = None,
    client_msg_id: str | None = None,
) -> Message:
    """Insert one message with the next seq and queue its event. No permission check: callers
    (the do_* actions) have done it."""
    seq = await next_seq(session, conversation)
    now = utcnow()
    message = Message(
        conversation_id=conversation.id,
        seq=seq,
        kind=kind,
        sender_key=actor.sender_key,
        sender_user_id=actor.user.id if isinstance(actor, AgentPrincipal) else None,
        sender_contact_id=actor.contact_id if isinstance(actor, VisitorPrincipal) else None,
        text=text,
        activity=activity,
        client_msg_id=client_msg_id,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    set_committed_value(message, "attachments", [])
    set_committed_value(
        message, "sender_user", actor.user if isinstance(actor, AgentPrincipal) else None
    )
    conversation.last_activity_at = now
    if kind in ("incoming", "outgoing"):
        conversation.last_message_preview = text[:PREVIEW_CHARS]
    send_event_on_commit(session, events.message_created(conversation, message))
    return message


async def _dedupe_or_insert(
    session: AsyncSession,
    *,
    conversation: Conversation,
    kind: str,
    actor: AgentPrincipal | VisitorPrincipal,
    text: str,
    client_msg_id: str | None,
) -> tuple[Message, bool]:
    """Insert unless this sender already sent this client_msg_id (a retry): then return that."""
    if client_msg_id is not None:
        existing = await get_message_by_client_id(
            session=session, sender_key=actor.sender_key, client_msg_id=client_msg_id
        )
        if existing is not None:
            return existing, False
    try:
        async with session.begin_nested():
            message = await append_message(
                session,
                conversation=conversation,
                kind=kind,
                actor=actor,
                text=text,
                client_msg_id=client_msg_id,
            )
    except IntegrityError:
        # A concurrent retry won the race on another connection (PostgreSQL); the savepoint
        # rolled back our seq, so no gap is left.
        if client_msg_id is None:
            raise
        existing = await get_message_by_client_id(
            session=session, sender_key=actor.sender_key, client_msg_id=client_msg_id
        )
        if existing is None:
            raise
        await session.refresh(conversation)
        return existing, False
    return message, True


def _clean_text(text: str, max_chars: int = 10_000) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput("A message needs some text.", code="empty_message")
    if len(text) > max_chars:
        raise InvalidInput("The message is too long.", code="message_too_long")
    if "\x00" in text:
        raise InvalidInput("The message contains a NUL character.", code="bad_text")
    return text


async def do_send_agent_message(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    text: str,
    private: bool = False,
    client_msg_id: str | None = None,
) -> tuple[Message, bool]:
    """An agent's reply (to the customer) or internal note (never shown to the customer).
    The caller obtained `conversation` through access_conversation (membership checked)."""
    text = _clean_text(text)
    kind = "note" if private else "outgoing"
    message, created = await _dedupe_or_insert(
        session,
        conversation=conversation,
        kind=kind,
        actor=actor,
        text=text,
        client_msg_id=client_msg_id,
    )
    if created and kind == "outgoing" and conversation.first_reply_at is None:
        conversation.first_reply_at = message.created_at
    return message, created


async def do_send_visitor_message(
    session: AsyncSession,
    *,
    actor: VisitorPrincipal,
    conversation: Conversation,
    text: str,
    client_msg_id: str | None = None,
) -> tuple[Message, bool]:
    """A customer's message; it reopens a resolved conversation."""
    if conversation.contact_id != actor.contact_id or conversation.inbox_id != actor.inbox_id:
        raise InvalidInput("Not your conversation.", code="not_your_conversation")
    text = _clean_text(text)
    if conversation.status != "open":
        # Re-read under the row lock: a concurrent message (another tab or node, PostgreSQL) may
        # have reopened it since it was loaded, and it must be reopened only once.
        await session.refresh(conversation, ["status", "resolved_at"], with_for_update=True)
    message, created = await _dedupe_or_insert(
        session,
        conversation=conversation,
        kind="incoming",
        actor=actor,
        text=text,
        client_msg_id=client_msg_id,
    )
    if created and conversation.status != "open":
        previous = conversation.status
        conversation.status = "open"
        conversation.resolved_at = None
        await append_message(
            session,
            conversation=conversation,
            kind="activity",
            actor=actor,
            activity={"type": "status_changed", "from": previous, "to": "open", "by": "contact"},
        )
        send_event_on_commit(session, events.conversation_changed(conversation))
    return message, created
