from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.errors import NotFound
from kefu.inboxes.models import Inbox, InboxMember


async def member_inbox_ids(*, session: AsyncSession, user_id: int) -> set[int]:
    rows = await session.execute(select(InboxMember.inbox_id).where(InboxMember.user_id == user_id))
    return set(rows.scalars())


async def visible_inbox_ids(*, session: AsyncSession, actor: AgentPrincipal) -> set[int] | None:
    """The inboxes an agent may see; None means all (admins)."""
    if actor.is_admin:
        return None
    return await member_inbox_ids(session=session, user_id=actor.user_id)


async def inbox_member_ids(
    *, session: AsyncSession, inbox_ids: Sequence[int]
) -> dict[int, list[int]]:
    rows = await session.execute(
        select(InboxMember.inbox_id, InboxMember.user_id).where(InboxMember.inbox_id.in_(inbox_ids))
    )
    members: dict[int, list[int]] = {inbox_id: [] for inbox_id in inbox_ids}
    for inbox_id, user_id in rows:
        members[inbox_id].append(user_id)
    return members


async def list_inboxes(*, session: AsyncSession, actor: AgentPrincipal) -> Sequence[Inbox]:
    query = select(Inbox).order_by(Inbox.id)
    visible = await visible_inbox_ids(session=session, actor=actor)
    if visible is not None:
        query = query.where(Inbox.id.in_(visible))
    return (await session.execute(query)).scalars().all()


async def access_inbox(*, session: AsyncSession, actor: AgentPrincipal, inbox_id: int) -> Inbox:
    """The inbox if the agent belongs to it (or is an admin); otherwise NotFound."""
    inbox = await session.get(Inbox, inbox_id)
    if inbox is None:
        raise NotFound("Inbox not found.")
    if not actor.is_admin:
        visible = await member_inbox_ids(session=session, user_id=actor.user_id)
        if inbox.id not in visible:
            raise NotFound("Inbox not found.")
    return inbox


async def get_inbox_by_key(*, session: AsyncSession, public_key: str) -> Inbox | None:
    result = await session.execute(select(Inbox).where(Inbox.public_key == public_key))
    return result.scalar_one_or_none()
