"""The outbox handlers of channels: send an outgoing message, fetch an inbound message's files,
fetch a new contact's profile. Each reads what it needs afresh, talks to the provider outside
any transaction, then records the outcome through an action. See docs/channels.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.attachments.links import contact_link
from kefu.auth.sealing import SecretBox
from kefu.channels.actions import (
    do_apply_channel_profile,
    do_attach_fetched_media,
    do_note_media_failure,
)
from kefu.channels.base import (
    ChannelContext,
    MediaRef,
    OutgoingAttachment,
    OutgoingMessage,
    SendFailed,
    SendRetryable,
    Template,
)
from kefu.channels.delivery import do_note_send_attempt, do_set_delivery, load_message
from kefu.channels.inbound import MEDIA_JOB, PROFILE_JOB
from kefu.channels.media import MediaRefused, store_media
from kefu.channels.outbound import SEND_JOB
from kefu.channels.settings import ChannelSettings, load_channel
from kefu.contacts.models import ContactIdentity
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.errors import KefuError
from kefu.inboxes.models import Inbox
from kefu.messages.models import Attachment, Message
from kefu.outbox.registry import JobContext, RetryLater, job_handler
from kefu.storage import Storage

# LINE documents that a reply token must be used soon after the webhook; kefu uses it only
# within this many seconds and pushes otherwise (the adapter also falls back on refusal).
REPLY_TOKEN_SECONDS = 50


@dataclass
class _Send:
    message: Message
    conversation: Conversation
    inbox: Inbox
    recipient: str


def _box(ctx: JobContext) -> SecretBox:
    return SecretBox(ctx.settings.effective_secret_key)


def _context(ctx: JobContext, channel: ChannelSettings, inbox: Inbox) -> ChannelContext:
    if ctx.http is None:
        raise RuntimeError("channel jobs need the worker's HTTP client")
    return channel.context(ctx.http, inbox.id, inbox.name)


async def _load_send(session: AsyncSession, message_id: int) -> _Send | None | str:
    """What a send needs, None when there is nothing to do, or why it cannot be sent."""
    message = await load_message(session, message_id)
    if message is None or message.kind != "outgoing" or message.delivery_status != "queued":
        return None  # gone, or already sent (a job that ran twice)
    conversation = await session.get(Conversation, message.conversation_id)
    inbox = await session.get(Inbox, conversation.inbox_id) if conversation else None
    if conversation is None or inbox is None:
        return None
    recipient = await session.scalar(
        select(ContactIdentity.external_id)
        .where(
            ContactIdentity.contact_id == conversation.contact_id,
            ContactIdentity.channel_type == inbox.channel_type,
            ContactIdentity.inbox_id == inbox.id,
        )
        .order_by(ContactIdentity.id)
        .limit(1)
    )
    if recipient is None:
        return "The customer has no address on this channel."
    return _Send(message, conversation, inbox, recipient)


def _outgoing(send: _Send, ctx: JobContext, storage: Storage | None) -> OutgoingMessage:
    message, conversation = send.message, send.conversation
    context: dict[str, Any] = dict(conversation.channel_context or {})
    token = context.get("reply_token")
    token_at = context.get("reply_token_at")
    fresh = isinstance(token_at, str) and utcnow() - datetime.fromisoformat(token_at) < timedelta(
        seconds=REPLY_TOKEN_SECONDS
    )
    template = (message.channel_payload or {}).get("template")
    base = ctx.settings.base_url()
    return OutgoingMessage(
        message_id=message.id,
        recipient=send.recipient,
        text=message.text,
        attachments=tuple(_attachment(a, base, storage) for a in message.attachments),
        quick_replies=tuple((q["label"], q["value"]) for q in message.quick_replies or ()),
        template=Template(
            name=template["name"],
            language=template["language"],
            parameters=tuple(template.get("parameters", ())),
        )
        if template
        else None,
        reply_token=token if fresh and isinstance(token, str) else None,
        subject=conversation.subject,
        thread_refs=tuple(context.get("thread_refs", ())),
        sender_name=message.sender_user.name if message.sender_user is not None else None,
        automatic=message.sender_user_id is None,
    )


def _attachment(attachment: Attachment, base: str, storage: Storage | None) -> OutgoingAttachment:
    async def read() -> bytes:
        if storage is None:
            raise RuntimeError("channel jobs need the file store")
        chunks = await storage.open(attachment.storage_key)
        return b"".join([chunk async for chunk in chunks])

    return OutgoingAttachment(
        file_name=attachment.file_name,
        content_type=attachment.content_type,
        size=attachment.size,
        public_url=base + contact_link(attachment),
        read=read,
    )


async def _send_dead(ctx: JobContext, payload: dict[str, Any], error: str) -> None:
    async with ctx.db.write() as session:
        await do_set_delivery(
            session, message_id=int(payload["message_id"]), status="failed", error=error
        )


@job_handler(SEND_JOB, on_dead=_send_dead)
async def send_message(ctx: JobContext, payload: dict[str, Any]) -> None:
    message_id = int(payload["message_id"])
    async with ctx.db.read() as session:
        loaded = await _load_send(session, message_id)
        if isinstance(loaded, _Send):
            try:
                channel = load_channel(loaded.inbox, _box(ctx))
            except KefuError as exc:
                loaded = exc.message
    if loaded is None:
        return
    if isinstance(loaded, str):
        async with ctx.db.write() as session:
            await do_set_delivery(session, message_id=message_id, status="failed", error=loaded)
        return
    outgoing = _outgoing(loaded, ctx, ctx.storage)
    try:
        result = await channel.adapter.send(_context(ctx, channel, loaded.inbox), outgoing)
    except SendFailed as exc:
        async with ctx.db.write() as session:
            await do_set_delivery(session, message_id=message_id, status="failed", error=exc.reason)
        return
    except SendRetryable as exc:
        async with ctx.db.write() as session:
            await do_note_send_attempt(session, message_id=message_id, error=exc.reason)
        raise RetryLater(exc.reason, delay=exc.retry_after) from exc
    async with ctx.db.write() as session:
        await do_set_delivery(
            session,
            message_id=message_id,
            status="sent",
            external_id=result.external_message_id,
        )
        conversation = await session.get(Conversation, loaded.conversation.id)
        if conversation is not None:
            context = dict(conversation.channel_context or {})
            # A reply token works once: the next message is pushed.
            if result.used_reply_token or outgoing.reply_token:
                context.pop("reply_token", None)
                context.pop("reply_token_at", None)
            # Email: our own Message-IDs join the thread, so References lists our replies too.
            if loaded.inbox.channel_type == "email" and result.external_message_id:
                refs = [*context.get("thread_refs", []), result.external_message_id]
                context["thread_refs"] = list(dict.fromkeys(refs))[-20:]
            if context != conversation.channel_context:
                conversation.channel_context = context


async def _media_dead(ctx: JobContext, payload: dict[str, Any], error: str) -> None:
    async with ctx.db.write() as session:
        await do_note_media_failure(session, message_id=int(payload["message_id"]), error=error)


@job_handler(MEDIA_JOB, on_dead=_media_dead)
async def fetch_media(ctx: JobContext, payload: dict[str, Any]) -> None:
    if ctx.storage is None:
        raise RuntimeError("channel jobs need the file store")
    async with ctx.db.read() as session:
        inbox = await session.get(Inbox, int(payload["inbox_id"]))
    if inbox is None:
        return
    channel = load_channel(inbox, _box(ctx))
    channel_ctx = _context(ctx, channel, inbox)
    files, refused = [], []
    try:
        for item in payload["media"]:
            ref = MediaRef(
                ref=item["ref"],
                content_type=item.get("content_type"),
                file_name=item.get("file_name"),
            )
            try:
                fetched = await channel.adapter.fetch_media(channel_ctx, ref)
            except SendRetryable as exc:
                raise RetryLater(exc.reason, delay=exc.retry_after) from exc
            except SendFailed as exc:
                refused.append({"file_name": ref.file_name or ref.ref, "reason": exc.reason})
                continue
            try:
                files.append(
                    await store_media(
                        ctx.storage,
                        fetched.data,
                        file_name=fetched.file_name or ref.file_name,
                        content_type=fetched.content_type or ref.content_type,
                        max_bytes=ctx.settings.max_upload_bytes,
                    )
                )
            except MediaRefused as exc:
                refused.append(exc.as_dict())
        async with ctx.db.write() as session:
            attached = await do_attach_fetched_media(
                session, message_id=int(payload["message_id"]), files=files, refused=refused
            )
    except BaseException:
        for kept in files:
            await ctx.storage.delete(kept.storage_key)
        raise
    if not attached:
        for kept in files:
            await ctx.storage.delete(kept.storage_key)


@job_handler(PROFILE_JOB)
async def fetch_profile(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.db.read() as session:
        inbox = await session.get(Inbox, int(payload["inbox_id"]))
    if inbox is None:
        return
    channel = load_channel(inbox, _box(ctx))
    try:
        profile = await channel.adapter.fetch_profile(
            _context(ctx, channel, inbox), str(payload["external_user_id"])
        )
    except SendRetryable as exc:
        raise RetryLater(exc.reason, delay=exc.retry_after) from exc
    except SendFailed:
        return  # no profile (a user who blocked the account): the contact stays unnamed
    if profile is None:
        return
    async with ctx.db.write() as session:
        await do_apply_channel_profile(
            session, contact_id=int(payload["contact_id"]), profile=profile
        )
