"""Reads of attachments. Agents reach a file only through its conversation's access check
(conversation_scope: inbox membership and whatever visibility rules the inbox has); customers
only through a signed link, and never to a file on an internal note."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.conversations.queries import access_conversation
from kefu.errors import NotFound
from kefu.messages.models import Attachment, Message
from kefu.messages.queries import PUBLIC_KINDS

PUBLIC_ID = re.compile(r"^[0-9a-f]{32}$")


async def access_attachment(
    *, session: AsyncSession, actor: AgentPrincipal, attachment_id: int
) -> Attachment:
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("File not found.")
    await access_conversation(
        session=session, actor=actor, conversation_id=attachment.conversation_id
    )
    return attachment


async def get_public_attachment(*, session: AsyncSession, public_id: str) -> Attachment | None:
    """The file by its public id, if it is on a message the customer sees (not a note)."""
    if not PUBLIC_ID.match(public_id):
        return None
    result = await session.execute(
        select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .where(Attachment.public_id == public_id, Message.kind.in_(PUBLIC_KINDS))
    )
    return result.scalar_one_or_none()
