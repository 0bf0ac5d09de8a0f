"""Writers for contacts: visitors, pre-chat details, profile edits (with their trail), notes.
Merging is in contacts/merge.py."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from kefu.attributes.actions import checked_changes
from kefu.attributes.validation import apply_changes
from kefu.auth.principals import AgentPrincipal
from kefu.contacts import events as contact_events
from kefu.contacts.models import Contact, ContactActivity, ContactIdentity, ContactNote
from kefu.contacts.queries import contact_audience, is_verified
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.errors import NotFound, PermissionDenied
from kefu.events.bus import send_event_on_commit
from kefu.inboxes.models import Inbox

PROFILE_FIELDS = ("name", "email", "phone", "company", "avatar_url")


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


def record_activity(
    session: AsyncSession,
    *,
    contact_id: int,
    actor_user_id: int | None,
    action: str,
    **details: Any,
) -> None:
    session.add(
        ContactActivity(
            contact_id=contact_id, actor_user_id=actor_user_id, action=action, details=details
        )
    )


async def do_update_contact(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    contact: Contact,
    changes: Mapping[str, Any],
) -> Contact:
    """Edit the profile (fields already validated by ContactUpdate; attributes checked here
    against their definitions). Every change is written to the contact's trail as from -> to.
    The caller obtained `contact` through access_contact: whoever may see it may edit it."""
    trail: dict[str, dict[str, Any]] = {}
    for field in PROFILE_FIELDS:
        if field not in changes:
            continue
        value = changes[field]
        if field == "name" and value is None:
            value = ""
        before = getattr(contact, field)
        if before != value:
            setattr(contact, field, value)
            trail[field] = {"from": before, "to": value}
    if changes.get("attributes"):
        checked = await checked_changes(session, scope="contact", changes=changes["attributes"])
        before_attrs = dict(contact.attributes or {})
        after_attrs = apply_changes(before_attrs, checked)
        for key in checked:
            if before_attrs.get(key) != after_attrs.get(key):
                trail[f"attributes.{key}"] = {
                    "from": before_attrs.get(key),
                    "to": after_attrs.get(key),
                }
        contact.attributes = after_attrs
    if not trail:
        return contact
    record_activity(
        session, contact_id=contact.id, actor_user_id=actor.user_id, action="updated", changes=trail
    )
    await announce_contact(session, contact)
    return contact


async def announce_contact(session: AsyncSession, contact: Contact) -> None:
    """contact.updated to the consoles that know the contact, and conversation.updated for its
    unresolved conversations (conversation lists show the contact's name)."""
    await session.flush()
    verified = await is_verified(session=session, contact_id=contact.id)
    audience = await contact_audience(session=session, contact_ids=[contact.id])
    send_event_on_commit(
        session, contact_events.contact_updated(contact, verified=verified, audience=audience)
    )
    rows = await session.execute(
        select(Conversation)
        .where(Conversation.contact_id == contact.id, Conversation.status != "resolved")
        .options(joinedload(Conversation.assignee))
    )
    for conversation in rows.scalars():
        set_committed_value(conversation, "contact", contact)
        send_event_on_commit(session, events.conversation_changed(conversation))


async def do_add_note(
    session: AsyncSession, *, actor: AgentPrincipal, contact: Contact, text: str
) -> ContactNote:
    note = ContactNote(
        contact_id=contact.id, author_id=actor.user_id, text=text, created_at=utcnow()
    )
    session.add(note)
    await session.flush()
    set_committed_value(note, "author", actor.user)
    return note


async def do_delete_note(
    session: AsyncSession, *, actor: AgentPrincipal, contact: Contact, note_id: int
) -> None:
    """Authors delete their own notes; supervisors and admins anyone's. The trail keeps the text."""
    note = await session.get(ContactNote, note_id)
    if note is None or note.contact_id != contact.id:
        raise NotFound("Note not found.")
    if note.author_id != actor.user_id and actor.user.role not in ("admin", "supervisor"):
        raise PermissionDenied("Only the author can delete this note.", code="not_your_note")
    record_activity(
        session,
        contact_id=contact.id,
        actor_user_id=actor.user_id,
        action="note_deleted",
        text=note.text[:200],
        author_id=note.author_id,
    )
    await session.delete(note)
