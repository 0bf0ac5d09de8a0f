from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from kefu.errors import NotFound
from kefu.scheduled.models import ScheduledMessage

LIST_LIMIT = 100


async def list_scheduled_messages(
    *, session: AsyncSession, conversation_id: int
) -> Sequence[ScheduledMessage]:
    """The conversation's scheduled messages, soonest first (the caller checked access)."""
    result = await session.execute(
        select(ScheduledMessage)
        .where(ScheduledMessage.conversation_id == conversation_id)
        .options(joinedload(ScheduledMessage.author))
        .order_by(ScheduledMessage.send_at, ScheduledMessage.id)
        .limit(LIST_LIMIT)
    )
    return result.scalars().all()


async def get_scheduled_message(
    *, session: AsyncSession, scheduled_id: int, conversation_id: int | None = None
) -> ScheduledMessage:
    """One scheduled message (of `conversation_id`, when given, so that a path naming another
    conversation's id finds nothing); NotFound otherwise."""
    query = (
        select(ScheduledMessage)
        .where(ScheduledMessage.id == scheduled_id)
        .options(joinedload(ScheduledMessage.author))
        .execution_options(populate_existing=True)
    )
    if conversation_id is not None:
        query = query.where(ScheduledMessage.conversation_id == conversation_id)
    item = (await session.execute(query)).scalar_one_or_none()
    if item is None:
        raise NotFound("Scheduled message not found.")
    return item
