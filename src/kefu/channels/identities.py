"""Who wrote: the contact behind a channel identity, created on first contact.

A customer is known on each channel by the provider's id for them (LINE userId, WhatsApp wa_id,
Messenger PSID, Telegram chat id, an email address), one ContactIdentity per (channel type,
inbox, external id). Two webhooks for a new customer at once (two nodes) meet on its unique
constraint: the loser's savepoint rolls back and it uses the winner's contact.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.channels.base import InboundEvent
from kefu.contacts.models import Contact, ContactIdentity
from kefu.db import utcnow
from kefu.inboxes.models import Inbox

MAX_NAME_CHARS = 200


async def find_channel_contact(
    session: AsyncSession, *, inbox: Inbox, external_user_id: str
) -> Contact | None:
    contact_id = await session.scalar(
        select(ContactIdentity.contact_id).where(
            ContactIdentity.channel_type == inbox.channel_type,
            ContactIdentity.inbox_id == inbox.id,
            ContactIdentity.external_id == external_user_id,
        )
    )
    if contact_id is None:
        return None
    contact = await session.get(Contact, contact_id)
    if contact is not None and contact.merged_into_id is not None:
        # A tombstone (kefu.contacts.merge): the identity should have moved; follow it anyway.
        contact = await session.get(Contact, contact.merged_into_id)
    return contact


async def ensure_channel_contact(
    session: AsyncSession, *, inbox: Inbox, event: InboundEvent
) -> tuple[Contact, bool]:
    """The contact for the event's sender, and whether it was created just now."""
    contact = await find_channel_contact(
        session, inbox=inbox, external_user_id=event.external_user_id
    )
    if contact is not None:
        _fill_details(contact, event)
        contact.last_seen_at = utcnow()
        return contact, False
    contact = Contact(name="", attributes={}, last_seen_at=utcnow())
    _fill_details(contact, event)
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
            session.add(
                ContactIdentity(
                    contact_id=contact.id,
                    channel_type=inbox.channel_type,
                    inbox_id=inbox.id,
                    external_id=event.external_user_id,
                )
            )
            await session.flush()
    except IntegrityError:
        winner = await find_channel_contact(
            session, inbox=inbox, external_user_id=event.external_user_id
        )
        if winner is None:
            raise
        return winner, False
    return contact, True


def _fill_details(contact: Contact, event: InboundEvent) -> None:
    """What the provider told us fills blanks only: an agent's edits are never overwritten."""
    if not contact.name and event.profile_name and event.profile_name.strip():
        contact.name = event.profile_name.strip()[:MAX_NAME_CHARS]
    email = event.verified_email or event.email
    if not contact.email and email:
        contact.email = email.strip().lower()[:254]
    phone = event.verified_phone or event.phone
    if not contact.phone and phone:
        contact.phone = phone.strip()[:50]
