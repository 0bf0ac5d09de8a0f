"""Events about contacts. Contacts belong to no single inbox, so agents' events are personal
(`user_ids`: contact_audience); the widget of a merged-away contact gets a bare signal to
reconnect, after which its token resolves to the survivor."""

from __future__ import annotations

from kefu.contacts.models import Contact
from kefu.contacts.schemas import ContactSummary
from kefu.events import types
from kefu.events.types import Event


def contact_summary(contact: Contact, *, verified: bool) -> ContactSummary:
    return ContactSummary(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        company=contact.company,
        avatar_url=contact.avatar_url,
        verified=verified,
        created_at=contact.created_at,
        last_seen_at=contact.last_seen_at,
    )


def contact_updated(contact: Contact, *, verified: bool, audience: tuple[int, ...]) -> Event:
    return Event(
        type=types.CONTACT_UPDATED,
        inbox_id=None,
        agent={
            "type": types.CONTACT_UPDATED,
            "contact": contact_summary(contact, verified=verified).model_dump(mode="json"),
        },
        user_ids=audience,
    )


def contact_merged(*, survivor_id: int, merged_id: int, audience: tuple[int, ...]) -> Event:
    return Event(
        type=types.CONTACT_MERGED,
        inbox_id=None,
        agent={"type": types.CONTACT_MERGED, "contact_id": survivor_id, "merged_id": merged_id},
        user_ids=audience,
    )


def visitor_merged(merged_id: int) -> Event:
    """To the merged-away contact's open widgets (an empty agent payload: customers only)."""
    return Event(
        type=types.CONTACT_MERGED,
        inbox_id=None,
        agent={},
        contact={"type": types.CONTACT_MERGED},
        contact_id=merged_id,
    )
