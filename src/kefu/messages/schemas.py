from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kefu.attachments.schemas import (
    AttachmentOut,
    VisitorAttachmentOut,
    attachment_out,
    visitor_attachment_out,
)
from kefu.auth.principals import BOT_SENDER_KEY
from kefu.messages.models import Message
from kefu.notifications.schemas import MAX_MENTIONS, MentionIn, MentionOut

Kind = Literal["incoming", "outgoing", "note", "activity"]
SenderType = Literal["contact", "user", "system", "bot"]
DeliveryStatus = Literal["queued", "sent", "delivered", "read", "failed", "skipped"]


class SenderOut(BaseModel):
    type: SenderType
    id: int | None
    name: str


class QuickReplyOut(BaseModel):
    label: str
    value: str


class MessageOut(BaseModel):
    """A message as agents see it."""

    id: int
    conversation_id: int
    seq: int
    kind: Kind
    sender: SenderOut
    text: str
    activity: dict[str, Any] | None
    client_msg_id: str | None
    created_at: datetime
    attachments: list[AttachmentOut]
    quick_replies: list[QuickReplyOut] = []
    mentions: list[MentionOut] = []  # a note's @mentions
    # Channel messages (kefu.channels): an outgoing message's delivery state and the provider's
    # reason for a failure; what the channel carried beyond text (an email's sanitised HTML).
    delivery_status: DeliveryStatus | None = None
    delivery_error: str | None = None
    channel_payload: dict[str, Any] | None = None


class VisitorSenderOut(BaseModel):
    type: Literal["contact", "user", "bot"]
    name: str


class VisitorMessageOut(BaseModel):
    """A message as the customer sees it: no internal ids, no notes, no activity lines."""

    seq: int
    kind: Literal["incoming", "outgoing"]
    sender: VisitorSenderOut
    text: str
    client_msg_id: str | None
    created_at: datetime
    quick_replies: list[QuickReplyOut] = []
    attachments: list[VisitorAttachmentOut] = []


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    kind: Literal["reply", "note"] = "reply"
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)
    mentions: list[MentionIn] = Field(default_factory=list, max_length=MAX_MENTIONS)


class MessagePage(BaseModel):
    items: list[MessageOut]
    has_more: bool


class VisitorMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)


def sender_of(message: Message, contact_name: str) -> SenderOut:
    if message.sender_user_id is not None and message.sender_user is not None:
        return SenderOut(type="user", id=message.sender_user_id, name=message.sender_user.name)
    if message.sender_contact_id is not None:
        return SenderOut(type="contact", id=message.sender_contact_id, name=contact_name)
    if message.sender_key == BOT_SENDER_KEY:
        return SenderOut(type="bot", id=None, name="")  # clients label it in their language
    return SenderOut(type="system", id=None, name="kefu")


def message_out(message: Message, *, contact_name: str) -> MessageOut:
    return MessageOut(
        id=message.id,
        conversation_id=message.conversation_id,
        seq=message.seq,
        kind=message.kind,
        sender=sender_of(message, contact_name),
        text=message.text,
        activity=message.activity,
        client_msg_id=message.client_msg_id,
        created_at=message.created_at,
        attachments=[attachment_out(a) for a in message.attachments],
        quick_replies=_quick_replies(message),
        mentions=[MentionOut(**m) for m in message.mentions or ()],
        delivery_status=message.delivery_status,
        delivery_error=message.delivery_error,
        channel_payload=message.channel_payload,
    )


def _quick_replies(message: Message) -> list[QuickReplyOut]:
    return [QuickReplyOut(**q) for q in message.quick_replies or ()]


def visitor_message_out(message: Message) -> VisitorMessageOut:
    """Only for incoming and outgoing messages (callers filter out notes and activity)."""
    is_agent = message.kind == "outgoing"
    name = message.sender_user.name if is_agent and message.sender_user is not None else ""
    return VisitorMessageOut(
        seq=message.seq,
        kind="outgoing" if is_agent else "incoming",
        sender=VisitorSenderOut(
            type=("bot" if message.sender_key == BOT_SENDER_KEY else "user")
            if is_agent
            else "contact",
            name=name,
        ),
        text=message.text,
        # The customer's own retry ids only; an agent's are not the customer's business.
        client_msg_id=None if is_agent else message.client_msg_id,
        created_at=message.created_at,
        quick_replies=_quick_replies(message),
        attachments=[visitor_attachment_out(a) for a in message.attachments],
    )
