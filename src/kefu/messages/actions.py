"""Writers for messages. Every message takes the conversation's next `seq` in the same
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from kefu.attachments.actions import (
    NewAttachment,
    insert_attachments,
    message_attachment_kind,
    preview_text,
)
from kefu.auth.principals import AgentPrincipal, Principal, VisitorPrincipal
from kefu.bot.phase import end_bot_phase, request_bot_turn_on_commit
from kefu.channels import outbound
from kefu.conversations import events
from kefu.conversations.models import Conversation, new_report_version
from kefu.conversations.visibility import may_reply
from kefu.db import Database, dialect_insert, utcnow
from kefu.errors import InvalidInput, PermissionDenied
from kefu.events.bus import send_event_on_commit
from kefu.inboxes.models import Inbox
from kefu.messages.models import Message
from kefu.messages.queries import get_original_send
from kefu.notifications.actions import notify_mentioned, notify_new_messages
from kefu.notifications.mentions import check_mentions
from kefu.notifications.schemas import MentionIn
from kefu.routing.signals import request_routing_on_commit

PREVIEW_CHARS = 200


class DuplicateSend(Exception):
    """The sender already sent this `client_msg_id` (a retry).

    Raised inside the write transaction so that it rolls back, releasing the seq it took: no gap
    is left. Callers catch it outside the transaction and answer with the original message
    (`original`)."""

    def __init__(self, sender_key: str, client_msg_id: str) -> None:
        super().__init__(client_msg_id)
        self.sender_key = sender_key
        self.client_msg_id = client_msg_id

    async def original(self, db: Database) -> tuple[Message, Conversation]:
        """The message the first send created, and its conversation (a fresh read)."""
        async with db.read() as session:
            return await get_original_send(
                session=session, sender_key=self.sender_key, client_msg_id=self.client_msg_id
            )


async def append_message(
    session: AsyncSession,
    *,
    conversation: Conversation,
    kind: str,
    actor: Principal,
    text: str = "",
    activity: dict[str, Any] | None = None,
    client_msg_id: str | None = None,
    quick_replies: list[dict[str, str]] | None = None,
    mentions: list[dict[str, Any]] | None = None,
    attachments: Sequence[NewAttachment] = (),
    external_id: str | None = None,
    channel_payload: dict[str, Any] | None = None,
) -> Message:
    """Insert one message with the conversation's next seq and queue its event. No permission
    check: callers (the do_* actions) have done it. An outgoing message in a channel inbox is
    also queued for delivery (kefu.channels.outbound).

    Two statements, on the hot path of every chat message: one UPDATE ... RETURNING takes the
    seq (its row lock orders concurrent writers on PostgreSQL) and updates the conversation's
    activity fields, returning its current status; one INSERT ... ON CONFLICT DO NOTHING writes
    the message unless the sender already sent this client_msg_id (then DuplicateSend)."""
    now = utcnow()
    values: dict[str, Any] = {"last_seq": Conversation.last_seq + 1, "last_activity_at": now}
    if kind != "note":  # report facts count every other message (kefu/reports/facts.py)
        values["reports_version"] = new_report_version()
    by_person = kind == "incoming" or (kind == "outgoing" and isinstance(actor, AgentPrincipal))
    clocks_before = (conversation.first_reply_at, conversation.next_response_due_at)
    if by_person:  # the list shows what a person said, not the automatic reply after it
        values["last_message_preview"] = preview_text(text, attachments)[:PREVIEW_CHARS]
        values["last_message_attachment"] = message_attachment_kind(attachments)
    if kind == "incoming":
        values["waiting_since"] = func.coalesce(Conversation.waiting_since, now)
    elif by_person:
        # A person answered (automatic replies do not count): the response clocks stop.
        values["first_reply_at"] = func.coalesce(Conversation.first_reply_at, now)
        values["waiting_since"] = None
        values["next_response_due_at"] = None
    row = (
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(**values)
            .returning(
                Conversation.last_seq,
                Conversation.first_reply_at,
                Conversation.status,
                Conversation.resolved_at,
                Conversation.waiting_since,
                Conversation.next_response_due_at,
                Conversation.routing_state,
            )
            .execution_options(synchronize_session=False)
        )
    ).one()
    seq = int(row.last_seq)
    for name, value in (
        ("last_seq", seq),
        ("last_activity_at", now),
        ("first_reply_at", row.first_reply_at),
        ("status", row.status),
        ("resolved_at", row.resolved_at),
        ("waiting_since", row.waiting_since),
        ("next_response_due_at", row.next_response_due_at),
        ("routing_state", row.routing_state),
    ):
        set_committed_value(conversation, name, value)
    if by_person:
        set_committed_value(conversation, "last_message_preview", values["last_message_preview"])
        set_committed_value(
            conversation, "last_message_attachment", values["last_message_attachment"]
        )
    if kind == "outgoing" and by_person and clocks_before != (row.first_reply_at, None):
        # Consoles show SLA due times: tell them this reply met them.
        send_event_on_commit(session, events.conversation_changed(conversation))

    fields: dict[str, Any] = {
        "conversation_id": conversation.id,
        "seq": seq,
        "kind": kind,
        "sender_key": actor.sender_key,
        "sender_user_id": actor.user.id if isinstance(actor, AgentPrincipal) else None,
        "sender_contact_id": actor.contact_id if isinstance(actor, VisitorPrincipal) else None,
        "text": text,
        "activity": activity,
        "client_msg_id": client_msg_id,
        "quick_replies": quick_replies,
        "mentions": mentions,
        "external_id": external_id,
        "delivery_status": None,
        "delivery_error": None,
        "channel_payload": channel_payload,
        "created_at": now,
    }
    delivery = None
    if kind == "outgoing":
        delivery = await outbound.plan_delivery(session, conversation=conversation, actor=actor)
    if delivery is not None:
        fields["delivery_status"], fields["delivery_error"] = delivery.status, delivery.error
    statement = (
        dialect_insert(session)(Message)
        .values(**fields)
        .on_conflict_do_nothing(index_elements=["sender_key", "client_msg_id"])
        .returning(Message.id)
    )
    message_id = (await session.execute(statement)).scalar_one_or_none()
    if message_id is None:
        assert client_msg_id is not None  # only a client_msg_id can conflict
        raise DuplicateSend(actor.sender_key, client_msg_id)
    # Built here rather than loaded back: it is exactly what was inserted.
    message = Message(id=message_id, **fields)
    rows = await insert_attachments(session, message, attachments) if attachments else []
    set_committed_value(message, "attachments", rows)
    set_committed_value(
        message, "sender_user", actor.user if isinstance(actor, AgentPrincipal) else None
    )
    if delivery is not None:
        await outbound.enqueue_send(session, delivery=delivery, message=message)
    send_event_on_commit(session, events.message_created(conversation, message))
    return message


def clean_text(text: str, max_chars: int = 10_000, *, allow_empty: bool = False) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text and not allow_empty:
        raise InvalidInput("A message needs some text.", code="empty_message")
    if len(text) > max_chars:
        raise InvalidInput("The message is too long.", code="message_too_long")
    if "\x00" in text:
        raise InvalidInput("The message contains a NUL character.", code="bad_text")
    return text


async def check_may_reply(
    session: AsyncSession, *, actor: AgentPrincipal, conversation: Conversation
) -> None:
    """In an inbox where only the assignee answers, others may still write internal notes."""
    inbox = await session.get(Inbox, conversation.inbox_id)
    settings = inbox.settings if inbox is not None else {}
    if not may_reply(
        role=actor.user.role,
        user_id=actor.user_id,
        inbox_settings=settings or {},
        assignee_id=conversation.assignee_id,
    ):
        raise PermissionDenied(
            "Only the assigned agent may reply in this inbox; add an internal note instead.",
            code="reply_assignee_only",
        )


async def do_send_agent_message(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    text: str,
    private: bool = False,
    client_msg_id: str | None = None,
    mentions: Sequence[MentionIn] = (),
    attachments: Sequence[NewAttachment] = (),
) -> Message:
    """An agent's reply (to the customer) or internal note (never shown to the customer), with
    text, files (already stored: kefu.attachments) or both; a note with its @mentions.
    The caller obtained `conversation` through access_conversation (membership checked)."""
    text = clean_text(text, allow_empty=bool(attachments))
    if not private:
        await check_may_reply(session, actor=actor, conversation=conversation)
        await outbound.check_reply_window(session, conversation=conversation)
    checked = await check_mentions(
        session, actor=actor, conversation=conversation, mentions=mentions, private=private
    )
    message = await append_message(
        session,
        conversation=conversation,
        kind="note" if private else "outgoing",
        actor=actor,
        text=text,
        client_msg_id=client_msg_id,
        mentions=checked.stored or None,
        attachments=attachments,
    )
    if not private and conversation.routing_state == "bot":
        await _end_bot_phase_by_reply(session, actor, conversation)
    await notify_mentioned(
        session, conversation=conversation, message=message, actor=actor, user_ids=checked.user_ids
    )
    return message


async def _end_bot_phase_by_reply(
    session: AsyncSession, actor: AgentPrincipal, conversation: Conversation
) -> None:
    """An agent answered while the FAQ bot had the conversation: the bot stops, and the
    conversation is routed quietly (team, SLA, queue), the replying agent first if they can."""
    from kefu.routing.actions import route_after_bot  # (it imports us)

    inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    end_bot_phase(conversation, "agent_reply")
    await route_after_bot(
        session, conversation=conversation, inbox=inbox, quiet=True, preferred=actor.user_id
    )
    send_event_on_commit(session, events.conversation_changed(conversation))


async def do_send_visitor_message(
    session: AsyncSession,
    *,
    actor: VisitorPrincipal,
    conversation: Conversation,
    text: str,
    client_msg_id: str | None = None,
    attachments: Sequence[NewAttachment] = (),
) -> Message:
    """A customer's message (text, files or both); it reopens a resolved conversation."""
    if conversation.contact_id != actor.contact_id or conversation.inbox_id != actor.inbox_id:
        raise InvalidInput("Not your conversation.", code="not_your_conversation")
    text = clean_text(text, allow_empty=bool(attachments))
    return await record_customer_message(
        session,
        actor=actor,
        conversation=conversation,
        text=text,
        client_msg_id=client_msg_id,
        attachments=attachments,
    )


async def record_customer_message(
    session: AsyncSession,
    *,
    actor: VisitorPrincipal,
    conversation: Conversation,
    text: str,
    client_msg_id: str | None = None,
    attachments: Sequence[NewAttachment] = (),
    external_id: str | None = None,
    channel_payload: dict[str, Any] | None = None,
) -> Message:
    """The customer's message, already checked (the widget's send, a channel's webhook), with
    what follows from it: notifications, waking or reopening the conversation, routing."""
    message = await append_message(
        session,
        conversation=conversation,
        kind="incoming",
        actor=actor,
        text=text,
        client_msg_id=client_msg_id,
        attachments=attachments,
        external_id=external_id,
        channel_payload=channel_payload,
    )
    await notify_new_messages(session, [(message, conversation)])
    # append_message read the status under the row lock, so a concurrent message (another tab
    # or node) that already reopened it is seen here, and it is reopened only once.
    if conversation.status == "snoozed":  # the customer wrote: it wakes (back to its agent)
        from kefu.conversations.snooze import do_wake_on_customer_message  # (imports us)

        await do_wake_on_customer_message(session, actor=actor, conversation=conversation)
    if conversation.status != "open":
        previous = conversation.status
        conversation.status = "open"
        conversation.resolved_at = None
        if previous == "resolved":
            # Back through routing (which prefers the agent who served it before): keeping the
            # assignee here would add to their load without the capacity check.
            conversation.assignee_id = None
            set_committed_value(conversation, "assignee", None)
            # One the bot closed when the customer went quiet goes back to the bot.
            left_the_bot = (conversation.bot_state or {}).get("ended") == "idle"
            conversation.routing_state = "new" if left_the_bot else "reopened"
        await append_message(
            session,
            conversation=conversation,
            kind="activity",
            actor=actor,
            activity={"type": "status_changed", "from": previous, "to": "open", "by": "contact"},
        )
        send_event_on_commit(session, events.conversation_changed(conversation))
    if conversation.routing_state == "bot":
        request_bot_turn_on_commit(session, conversation.id)  # the FAQ bot answers (kefu.bot)
    elif conversation.routing_state != "routed":
        request_routing_on_commit(session, conversation.inbox_id, conversation.id)
    return message


class NeedsSlowPath(Exception):
    """A batch cannot take the fast path (a conversation is no longer open, or a client_msg_id
    was sent before): the caller rolls the batch back and sends its messages one by one."""


@dataclass(frozen=True, slots=True)
class IncomingItem:
    """One customer message for the batch; `text` already passed clean_text."""

    actor: VisitorPrincipal
    conversation_id: int  # the customer's open conversation, as their socket knows it
    text: str
    client_msg_id: str | None


async def do_append_incoming_batch(
    session: AsyncSession, items: list[IncomingItem]
) -> list[tuple[Message, Conversation]]:
    """Many customers' messages into their open conversations in two statements (group commit:
    the per-statement round trip, not the work, is what limits a node). One UPDATE takes every
    conversation's seqs at once; one multi-row INSERT writes the messages. Raises NeedsSlowPath
    unless every conversation is still open and every message is new."""
    now = utcnow()
    counts: dict[int, int] = {}
    previews: dict[int, str] = {}
    for item in items:
        counts[item.conversation_id] = counts.get(item.conversation_id, 0) + 1
        previews[item.conversation_id] = item.text[:PREVIEW_CHARS]
    loaded = await session.execute(
        select(Conversation)
        .where(Conversation.id.in_(list(counts)))
        .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
    )
    conversations = {c.id: c for c in loaded.scalars()}
    for item in items:
        conversation = conversations.get(item.conversation_id)
        if (
            conversation is None
            or conversation.status != "open"
            or conversation.routing_state != "routed"
        ):
            raise NeedsSlowPath  # reopening (and waking a snoozed one) and routing happen
            # on the one-by-one path: no extra query here for conversations that are open
        if (conversation.contact_id, conversation.inbox_id) != (
            item.actor.contact_id,
            item.actor.inbox_id,
        ):
            raise InvalidInput("Not your conversation.", code="not_your_conversation")
    rows = (
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_(list(counts)))
            .values(
                last_seq=Conversation.last_seq + case(counts, value=Conversation.id),
                last_activity_at=now,
                last_message_preview=case(previews, value=Conversation.id),
                last_message_attachment=None,
                waiting_since=func.coalesce(Conversation.waiting_since, now),
            )
            .returning(
                Conversation.id,
                Conversation.last_seq,
                Conversation.status,
                Conversation.routing_state,
                Conversation.waiting_since,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    if len(rows) != len(counts) or any(
        row.status != "open" or row.routing_state != "routed" for row in rows
    ):
        raise NeedsSlowPath
    next_seq = {row.id: int(row.last_seq) - counts[row.id] + 1 for row in rows}
    for row in rows:
        conversation = conversations[row.id]
        set_committed_value(conversation, "last_seq", int(row.last_seq))
        set_committed_value(conversation, "last_activity_at", now)
        set_committed_value(conversation, "last_message_preview", previews[row.id])
        set_committed_value(conversation, "last_message_attachment", None)
        set_committed_value(conversation, "waiting_since", row.waiting_since)
    all_fields: list[dict[str, Any]] = []
    for item in items:
        cid = item.conversation_id
        all_fields.append(
            {
                "conversation_id": cid,
                "seq": next_seq[cid],
                "kind": "incoming",
                "sender_key": item.actor.sender_key,
                "sender_user_id": None,
                "sender_contact_id": item.actor.contact_id,
                "text": item.text,
                "activity": None,
                "client_msg_id": item.client_msg_id,
                "quick_replies": None,
                "created_at": now,
            }
        )
        next_seq[cid] += 1
    inserted = (
        await session.execute(
            dialect_insert(session)(Message)
            .values(all_fields)
            .on_conflict_do_nothing(index_elements=["sender_key", "client_msg_id"])
            .returning(Message.id, Message.conversation_id, Message.seq)
        )
    ).all()
    if len(inserted) != len(items):
        raise NeedsSlowPath
    ids = {(row.conversation_id, row.seq): row.id for row in inserted}
    results = []
    for fields in all_fields:
        conversation = conversations[fields["conversation_id"]]
        message = Message(id=ids[(fields["conversation_id"], fields["seq"])], **fields)
        set_committed_value(message, "attachments", [])
        set_committed_value(message, "sender_user", None)
        send_event_on_commit(session, events.message_created(conversation, message))
        results.append((message, conversation))
    await notify_new_messages(session, results)
    return results
