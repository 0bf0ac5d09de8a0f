"""What a transcript shows: the conversation's messages for its reader, and how to label them."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.inboxes.models import Inbox
from kefu.messages.models import Message
from kefu.routing.settings import routing_settings
from kefu.transcripts.render import TranscriptView

MAX_MESSAGES = 5000  # a transcript, not an archive


async def transcript_messages(
    *, session: AsyncSession, conversation_id: int, include_notes: bool
) -> Sequence[Message]:
    """Customer and agent messages in order (and internal notes if asked); never activity
    lines."""
    kinds = ("incoming", "outgoing", "note") if include_notes else ("incoming", "outgoing")
    result = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.kind.in_(kinds))
        .options(selectinload(Message.sender_user), selectinload(Message.attachments))
        .order_by(Message.seq)
        .limit(MAX_MESSAGES)
    )
    return result.scalars().all()


def display_zone(contact: Contact | None, inbox: Inbox) -> ZoneInfo:
    """The customer's timezone when their browser told us, else the inbox's business hours'."""
    for name in (contact.timezone if contact else None, _inbox_zone(inbox)):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
    return ZoneInfo("UTC")


def _inbox_zone(inbox: Inbox) -> str:
    return routing_settings(inbox).business_hours.timezone


async def transcript_view(
    *,
    session: AsyncSession,
    conversation: Conversation,
    locale: str,
    for_customer: bool,
    includes_notes: bool = False,
) -> TranscriptView:
    inbox = await session.get(Inbox, conversation.inbox_id)
    contact = await session.get(Contact, conversation.contact_id)
    assert inbox is not None
    return TranscriptView(
        locale=locale if locale in ("zh-TW", "en") else "zh-TW",
        inbox_name=inbox.name,
        contact_name=(contact.name if contact else "") or "",
        contact_id=conversation.contact_id,
        zone=display_zone(contact, inbox),
        started_at=conversation.created_at,
        generated_at=utcnow(),
        for_customer=for_customer,
        includes_notes=includes_notes,
    )
