from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.attributes.models import AttributeDefinition
from kefu.errors import NotFound


async def list_definitions(
    *, session: AsyncSession, scope: str | None = None
) -> Sequence[AttributeDefinition]:
    query = select(AttributeDefinition).order_by(AttributeDefinition.id)
    if scope is not None:
        query = query.where(AttributeDefinition.scope == scope)
    return (await session.execute(query)).scalars().all()


async def get_definition(*, session: AsyncSession, definition_id: int) -> AttributeDefinition:
    definition = await session.get(AttributeDefinition, definition_id)
    if definition is None:
        raise NotFound("Attribute not found.")
    return definition
