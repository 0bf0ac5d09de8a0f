from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.contacts.models import Contact, ContactIdentity
from kefu.db import utcnow
from kefu.inboxes.models import Inbox


async def do_create_visitor(session: AsyncSession, *, inbox: Inbox) -> Contact:
    """A new anonymous website visitor: a contact with a random widget identity."""
    contact = Contact(name="", attributes={}, last_seen_at=utcnow())
    session.add(contact)
    await session.flush()
    session.add(
        ContactIdentity(
            contact_id=contact.id,
            channel_type=inbox.channel_type,
            inbox_id=inbox.id,
            external_id=secrets.token_urlsafe(16),
        )
    )
    return contact


async def do_record_prechat_details(
    session: AsyncSession,
    *,
    contact: Contact,
    name: str | None,
    email: str | None,
    phone: str | None,
) -> None:
    """What the customer typed into the pre-chat form; blank fields leave what we knew."""
    if name and name.strip():
        contact.name = name.strip()
    if email and email.strip():
        contact.email = email.strip().lower()
    if phone and phone.strip():
        contact.phone = phone.strip()
