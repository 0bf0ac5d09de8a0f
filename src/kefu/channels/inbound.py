"""Applying what a provider told us: one action for every channel's inbound events.

Called in one write transaction per webhook (or per email), before the provider is answered:
the webhook is acknowledged only after what it carried is committed. Each event is first
recorded in `channel_events`; its unique (inbox, event id) turns a redelivery into a no-op, on
any node, without reading first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.attachments.actions import NewAttachment
from kefu.auth.principals import VisitorPrincipal
from kefu.channels.base import ChannelAdapter, InboundEvent
from kefu.channels.delivery import do_record_status, do_record_watermark
from kefu.channels.identities import ensure_channel_contact, find_channel_contact
from kefu.channels.models import ChannelEvent
from kefu.channels.settings import adapter_of
from kefu.contacts.actions import record_activity
from kefu.contacts.models import Contact
from kefu.conversations.actions import do_start_visitor_conversation
from kefu.conversations.models import Conversation
from kefu.conversations.queries import get_conversation
from kefu.db import dialect_insert, utcnow
from kefu.errors import InvalidInput
from kefu.inboxes.models import Inbox
from kefu.messages.actions import record_customer_message
from kefu.messages.models import Message
from kefu.outbox.actions import enqueue_job

MEDIA_JOB = "channel.media"
PROFILE_JOB = "channel.profile"
MAX_TEXT_CHARS = 10_000
MAX_EVENT_ID_CHARS = 255


@dataclass
class ReceiveResult:
    messages: int = 0
    statuses: int = 0
    duplicates: int = 0
    # Indexes (into the events given) of events already received before: files stored for
    # them are not needed (kefu.channels.receive deletes them).
    duplicate_indexes: set[int] = field(default_factory=set)
    message_ids: list[int] = field(default_factory=list)


async def do_receive_channel_events(
    session: AsyncSession,
    *,
    inbox: Inbox,
    events: Sequence[InboundEvent],
    stored: Mapping[int, Sequence[NewAttachment]] | None = None,
    refused: Mapping[int, Sequence[dict[str, str]]] | None = None,
) -> ReceiveResult:
    """Apply a webhook's events in order. `stored`: files that came with an event (email),
    already in storage, by event index; `refused`: files that could not be kept, with why."""
    adapter = adapter_of(inbox)
    if adapter is None:
        raise InvalidInput("This inbox is not a channel inbox.", code="not_a_channel_inbox")
    result = ReceiveResult()
    for index, event in enumerate(events):
        record_id = await _record_event(session, inbox, event)
        if record_id is None:
            result.duplicates += 1
            result.duplicate_indexes.add(index)
            continue
        if event.kind == "status":
            if event.status and event.external_message_id:
                await do_record_status(
                    session,
                    inbox_id=inbox.id,
                    external_message_id=event.external_message_id,
                    status=event.status,
                    error=event.status_error,
                )
                result.statuses += 1
            elif event.status:
                contact = await find_channel_contact(
                    session, inbox=inbox, external_user_id=event.external_user_id
                )
                if contact is not None:
                    await do_record_watermark(
                        session,
                        inbox_id=inbox.id,
                        contact_id=contact.id,
                        status=event.status,
                        until=event.occurred_at,
                    )
                    result.statuses += 1
            continue
        if event.kind == "unfollow":
            contact = await find_channel_contact(
                session, inbox=inbox, external_user_id=event.external_user_id
            )
            if contact is not None:
                record_activity(
                    session,
                    contact_id=contact.id,
                    actor_user_id=None,
                    action="channel_unfollowed",
                    channel=inbox.channel_type,
                    inbox_id=inbox.id,
                )
            continue
        contact, created = await ensure_channel_contact(session, inbox=inbox, event=event)
        if created and not contact.name:
            await enqueue_job(
                session,
                PROFILE_JOB,
                {
                    "inbox_id": inbox.id,
                    "contact_id": contact.id,
                    "external_user_id": event.external_user_id,
                },
                key=f"contact:{contact.id}",
            )
        if event.kind == "follow":
            record_activity(
                session,
                contact_id=contact.id,
                actor_user_id=None,
                action="channel_followed",
                channel=inbox.channel_type,
                inbox_id=inbox.id,
            )
            continue
        message = await _receive_message(
            session,
            inbox=inbox,
            adapter=adapter,
            contact=contact,
            event=event,
            files=(stored or {}).get(index, ()),
            refused=(refused or {}).get(index, ()),
        )
        await session.execute(
            update(ChannelEvent).where(ChannelEvent.id == record_id).values(message_id=message.id)
        )
        result.messages += 1
        result.message_ids.append(message.id)
    return result


def stored_event_id(event_id: str) -> str:
    """The event id as channel_events keeps it (a long one cut, still unique: the tail is a
    hash of the whole)."""
    if len(event_id) > MAX_EVENT_ID_CHARS:
        return event_id[:190] + "#" + hashlib.sha256(event_id.encode()).hexdigest()
    return event_id


async def all_received_before(
    session: AsyncSession, *, inbox_id: int, events: Sequence[InboundEvent]
) -> bool:
    """Whether every event was received before: a redelivery then needs no write transaction
    (the unique constraint still decides races between deliveries in flight)."""
    ids = {stored_event_id(e.event_id) for e in events}
    if not ids:
        return False
    seen = await session.scalar(
        select(func.count(ChannelEvent.id)).where(
            ChannelEvent.inbox_id == inbox_id, ChannelEvent.event_id.in_(ids)
        )
    )
    return seen == len(ids)


async def _record_event(session: AsyncSession, inbox: Inbox, event: InboundEvent) -> int | None:
    """The new channel_events row's id, or None when this event was received before."""
    event_id = stored_event_id(event.event_id)
    statement = (
        dialect_insert(session)(ChannelEvent)
        .values(inbox_id=inbox.id, event_id=event_id, kind=event.kind, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["inbox_id", "event_id"])
        .returning(ChannelEvent.id)
    )
    value: int | None = (await session.execute(statement)).scalar_one_or_none()
    return value


async def _receive_message(
    session: AsyncSession,
    *,
    inbox: Inbox,
    adapter: ChannelAdapter,
    contact: Contact,
    event: InboundEvent,
    files: Sequence[NewAttachment],
    refused: Sequence[dict[str, str]],
) -> Message:
    actor = VisitorPrincipal(contact_id=contact.id, inbox_id=inbox.id)
    conversation = await _conversation_for(session, inbox, adapter, actor, event)
    # Before the message: automatic replies it triggers read these.
    context = dict(conversation.channel_context or {})
    context["last_inbound_at"] = max(event.occurred_at, utcnow()).isoformat()
    context["auto_generated"] = bool(event.extra.get("auto_generated"))
    if event.reply_token:
        context["reply_token"] = event.reply_token
        context["reply_token_at"] = utcnow().isoformat()
    if event.thread_refs or event.external_message_id:
        refs = [*context.get("thread_refs", []), *event.thread_refs]
        if event.external_message_id:
            refs.append(event.external_message_id)
        context["thread_refs"] = list(dict.fromkeys(refs))[-20:]
    conversation.channel_context = context

    text = event.text.replace("\x00", "").strip()
    payload: dict[str, Any] = dict(event.extra)
    if len(text) > MAX_TEXT_CHARS:
        payload.setdefault("full_text", text)
        text = text[:MAX_TEXT_CHARS]
    deferred = [m for m in event.media if m.data is None]
    if deferred:
        payload["pending_media"] = len(deferred)
    if refused:
        payload["refused_media"] = list(refused)
    message = await record_customer_message(
        session,
        actor=actor,
        conversation=conversation,
        text=text,
        attachments=files,
        external_id=event.external_message_id,
        channel_payload=payload or None,
    )
    if deferred:
        await enqueue_job(
            session,
            MEDIA_JOB,
            {
                "inbox_id": inbox.id,
                "message_id": message.id,
                "media": [
                    {"ref": m.ref, "content_type": m.content_type, "file_name": m.file_name}
                    for m in deferred
                ],
            },
            key=f"message:{message.id}",
        )
    return message


async def _conversation_for(
    session: AsyncSession,
    inbox: Inbox,
    adapter: ChannelAdapter,
    actor: VisitorPrincipal,
    event: InboundEvent,
) -> Conversation:
    if not adapter.threaded_conversations:
        conversation, _ = await do_start_visitor_conversation(session, actor=actor, inbox=inbox)
        return conversation
    if event.thread_refs:
        # A reply: the conversation holding any message it refers to (ours or theirs).
        conversation_id = await session.scalar(
            select(Message.conversation_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.external_id.in_(event.thread_refs), Conversation.inbox_id == inbox.id)
            .order_by(Message.id.desc())
            .limit(1)
        )
        if conversation_id is not None:
            found = await get_conversation(session=session, conversation_id=conversation_id)
            if found is not None:
                return found
    thread_key = (event.external_message_id or event.event_id)[:255]
    conversation, _ = await do_start_visitor_conversation(
        session, actor=actor, inbox=inbox, thread_key=thread_key, subject=event.subject
    )
    return conversation
