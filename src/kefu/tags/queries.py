"""Reads of the tag catalogue, and the SQL condition "conversation carries this tag"."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.conversations.models import Conversation
from kefu.errors import NotFound
from kefu.tags.models import ConversationTag, Tag
from kefu.tags.names import tag_key


async def list_tags(*, session: AsyncSession) -> Sequence[Tag]:
    return (await session.scalars(select(Tag).order_by(func.lower(Tag.name), Tag.id))).all()


async def access_tag(*, session: AsyncSession, tag_id: int) -> Tag:
    """Every agent may see the catalogue; NotFound for an unknown id."""
    tag = await session.get(Tag, tag_id)
    if tag is None:
        raise NotFound("Tag not found.")
    return tag


async def tags_by_key(*, session: AsyncSession, keys: Sequence[str]) -> dict[str, Tag]:
    if not keys:
        return {}
    rows = await session.scalars(select(Tag).where(Tag.key.in_(sorted(set(keys)))))
    return {tag.key: tag for tag in rows}


def tagged_with(name: str) -> ColumnElement[bool]:
    """Conversations carrying the tag `name` (any case or width), through the indexed rows."""
    return Conversation.id.in_(
        select(ConversationTag.conversation_id)
        .join(Tag, Tag.id == ConversationTag.tag_id)
        .where(Tag.key == tag_key(" ".join(name.split())))
    )
