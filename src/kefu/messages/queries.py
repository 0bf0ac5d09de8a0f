from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from kefu.conversations.models import Conversation
from kefu.conversations.queries import get_conversation
from kefu.errors import NotFound
from kefu.messages.models import Message

PUBLIC_KINDS = ("incoming", "outgoing")


async def list_messages(
    *,
    session: AsyncSession,
    conversation_id: int,
    after_seq: int | None = None,
    before_seq: int | None = None,
    limit: int = 50,
    public_only: bool = False,
) -> tuple[Sequence[Message], bool]:
    """Messages in seq order. With `after_seq` the oldest first (resume); otherwise the newest
    page before `before_seq` (history). Returns the page and whether more exist beyond it."""
    query = select(Message).where(Message.conversation_id == conversation_id)
    query = query.options(selectinload(Message.sender_user), selectinload(Message.attachments))
    if public_only:
        query = query.where(Message.kind.in_(PUBLIC_KINDS))
    if after_seq is not None:
        query = query.where(Message.seq > after_seq).order_by(Message.seq.asc())
        rows = list((await session.execute(query.limit(limit + 1))).scalars())
        return rows[:limit], len(rows) > limit
    if before_seq is not None:
        query = query.where(Message.seq < before_seq)
    rows = list(
        (await session.execute(query.order_by(Message.seq.desc()).limit(limit + 1))).scalars()
    )
    page = rows[:limit]
    page.reverse()
    return page, len(rows) > limit


async def get_message_by_client_id(
    *, session: AsyncSession, sender_key: str, client_msg_id: str
) -> Message | None:
    result = await session.execute(
        select(Message)
        .where(Message.sender_key == sender_key, Message.client_msg_id == client_msg_id)
        .options(selectinload(Message.sender_user), selectinload(Message.attachments))
    )
    return result.scalar_one_or_none()


async def get_original_send(
    *, session: AsyncSession, sender_key: str, client_msg_id: str
) -> tuple[Message, Conversation]:
    """The message a retried send (DuplicateSend) had already created, and its conversation."""
    message = await get_message_by_client_id(
        session=session, sender_key=sender_key, client_msg_id=client_msg_id
    )
    if message is None:
        raise NotFound("Message not found.")
    conversation = await get_conversation(session=session, conversation_id=message.conversation_id)
    if conversation is None:
        raise NotFound("Conversation not found.")
    return message, conversation
