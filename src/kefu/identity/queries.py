from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.contacts.models import SITE_USER, Contact, ContactIdentity
from kefu.identity.models import InboxIdentity


async def get_inbox_identity(*, session: AsyncSession, inbox_id: int) -> InboxIdentity | None:
    return await session.get(InboxIdentity, inbox_id)


async def find_site_user(
    *, session: AsyncSession, inbox_id: int, external_id: str
) -> Contact | None:
    """The contact the host site's user id is verified for in this inbox."""
    contact_id = await session.scalar(
        select(ContactIdentity.contact_id).where(
            ContactIdentity.channel_type == SITE_USER,
            ContactIdentity.inbox_id == inbox_id,
            ContactIdentity.external_id == external_id,
        )
    )
    return None if contact_id is None else await session.get(Contact, contact_id)


async def site_user_ids(*, session: AsyncSession, contact_id: int, inbox_id: int) -> set[str]:
    """The host site's user ids this contact is verified as, in this inbox."""
    rows = await session.scalars(
        select(ContactIdentity.external_id).where(
            ContactIdentity.contact_id == contact_id,
            ContactIdentity.channel_type == SITE_USER,
            ContactIdentity.inbox_id == inbox_id,
        )
    )
    return set(rows)
