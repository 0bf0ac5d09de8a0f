"""Merging two contacts into one, in one transaction (docs/contacts.md).

Everything of the secondary moves to the primary: conversations, the sender of its messages,
identities, notes, the trail, and rows other modules keep per contact. The primary's profile
values win and the secondary's fill its gaps (custom attributes key by key). The secondary stays
as a tombstone (merged_into_id) so that visitor tokens signed for it resolve to the survivor.

Both having an unresolved conversation in the same inbox would break "one unresolved
conversation per contact and inbox": the one with the older activity is resolved, with an
activity line pointing to the one that continues.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from kefu.audit.actions import record_audit
from kefu.auth.principals import AgentPrincipal, Principal
from kefu.contacts import events as contact_events
from kefu.contacts.actions import PROFILE_FIELDS, record_activity
from kefu.contacts.models import (
    Contact,
    ContactActivity,
    ContactIdentity,
    ContactMergeSuggestion,
    ContactNote,
)
from kefu.contacts.queries import contact_audience
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.db import Base, utcnow
from kefu.errors import Conflict, NotFound, PermissionDenied
from kefu.events.bus import send_event_on_commit
from kefu.messages.actions import append_message
from kefu.messages.models import Message
from kefu.routing.signals import request_routing_on_commit

log = logging.getLogger(__name__)

# Moved explicitly; every other column referring to contacts.id is moved generically.
HANDLED = {
    ("conversations", "contact_id"),
    ("messages", "sender_contact_id"),
    ("contact_identities", "contact_id"),
    ("contact_notes", "contact_id"),
    ("contact_activities", "contact_id"),
}


async def do_merge_contacts(
    session: AsyncSession, *, actor: AgentPrincipal, primary: Contact, secondary: Contact
) -> Contact:
    """An agent's merge: supervisors and admins, of two contacts they can both see (the caller
    obtained both through access_contact)."""
    if actor.user.role not in ("admin", "supervisor"):
        raise PermissionDenied(
            "Only supervisors and admins can merge contacts.", code="merge_not_allowed"
        )
    return await merge_contacts(
        session, primary_id=primary.id, secondary_id=secondary.id, actor=actor
    )


def display_name(contact: Contact) -> str | None:
    """What activity lines call the contact (None: unnamed; consoles say "Visitor #id")."""
    return contact.name or contact.email or None


async def merge_contacts(
    session: AsyncSession,
    *,
    primary_id: int,
    secondary_id: int,
    actor: Principal,
    reason: str = "manual",
) -> Contact:
    """Merge `secondary_id` into `primary_id` (no permission check: callers do it)."""
    if primary_id == secondary_id:
        raise Conflict("A contact cannot be merged into itself.", code="merge_same_contact")
    # Their conversations first: everyone else (routing, replies) locks a conversation and then
    # touches its contact (a new message's foreign key takes a key-share lock on the contact), so
    # locking the contacts first deadlocked against a routing pass on PostgreSQL.
    await session.execute(
        select(Conversation.id)
        .where(Conversation.contact_id.in_([primary_id, secondary_id]))
        .order_by(Conversation.id)
        .with_for_update()
    )
    # Both rows locked, in id order: two merges of the same pair cannot interleave or deadlock.
    rows = await session.execute(
        select(Contact)
        .where(Contact.id.in_([primary_id, secondary_id]))
        .order_by(Contact.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = {c.id: c for c in rows.scalars()}
    primary, secondary = found.get(primary_id), found.get(secondary_id)
    if primary is None or secondary is None:
        raise NotFound("Contact not found.")
    if primary.merged_into_id is not None or secondary.merged_into_id is not None:
        raise Conflict("This contact was already merged.", code="contact_merged")
    by = actor.user.name if isinstance(actor, AgentPrincipal) else None
    by_user = actor.user_id if isinstance(actor, AgentPrincipal) else None

    await _resolve_clashes(session, primary, secondary, actor, by)
    moved = list(
        await session.scalars(
            select(Conversation.id).where(Conversation.contact_id == secondary.id)
        )
    )
    try:
        async with session.begin_nested():
            await session.execute(
                update(Conversation)
                .where(Conversation.contact_id == secondary.id)
                .values(contact_id=primary.id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError as exc:  # a conversation started on the secondary meanwhile
        raise Conflict("The contact changed meanwhile; try again.", code="merge_retry") from exc
    for model, column in (
        (Message, Message.sender_contact_id),
        (ContactIdentity, ContactIdentity.contact_id),
        (ContactNote, ContactNote.contact_id),
        (ContactActivity, ContactActivity.contact_id),
    ):
        await session.execute(
            update(model)
            .where(column == secondary.id)
            .values({column.key: primary.id})
            .execution_options(synchronize_session=False)
        )
    await _move_other_references(session, primary.id, secondary.id)

    filled = _fill_profile(primary, secondary)
    now = utcnow()
    await _settle_suggestion(session, primary.id, secondary.id, by_user, now)
    secondary.merged_into_id = primary.id
    secondary.merged_at = now
    # Tombstones of the secondary now point at the survivor too: resolution stays one hop.
    await session.execute(
        update(Contact)
        .where(Contact.merged_into_id == secondary.id)
        .values(merged_into_id=primary.id)
        .execution_options(synchronize_session=False)
    )
    record_activity(
        session,
        contact_id=primary.id,
        actor_user_id=by_user,
        action="merged",
        merged_id=secondary.id,
        merged_name=display_name(secondary),
        reason=reason,
        filled=filled,
        conversations=len(moved),
    )
    if by_user is not None:
        record_audit(
            session,
            actor_user_id=by_user,
            action="contact.merged",
            target_type="contact",
            target_id=primary.id,
            merged_id=secondary.id,
        )
    await session.flush()
    await _announce(session, primary, secondary, moved, actor, by)
    return primary


async def _settle_suggestion(
    session: AsyncSession, primary_id: int, secondary_id: int, by_user: int | None, now: datetime
) -> None:
    """A pending proposal to merge this pair (kefu.channels.matching) is settled by the merge,
    whoever did it."""
    low, high = sorted((primary_id, secondary_id))
    await session.execute(
        update(ContactMergeSuggestion)
        .where(
            ContactMergeSuggestion.contact_id == low,
            ContactMergeSuggestion.other_contact_id == high,
            ContactMergeSuggestion.status == "pending",
        )
        .values(status="accepted", decided_by_id=by_user, decided_at=now)
        .execution_options(synchronize_session=False)
    )


async def _resolve_clashes(
    session: AsyncSession,
    primary: Contact,
    secondary: Contact,
    actor: Principal,
    by: str | None,
) -> None:
    """Resolve the older of two unresolved conversations in one inbox."""
    rows = await session.execute(
        select(Conversation)
        .where(
            Conversation.contact_id.in_([primary.id, secondary.id]),
            Conversation.status != "resolved",
        )
        .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
        .with_for_update(of=Conversation)
    )
    by_inbox: dict[int, list[Conversation]] = {}
    for conversation in rows.unique().scalars():
        by_inbox.setdefault(conversation.inbox_id, []).append(conversation)
    for pair in by_inbox.values():
        if len(pair) < 2:
            continue
        older, newer = sorted(pair, key=lambda c: (c.last_activity_at, c.id))
        older.status = "resolved"
        older.resolved_at = utcnow()
        older.queued_at = None  # out of the queue; its agent has a free slot
        request_routing_on_commit(session, older.inbox_id)
        await append_message(
            session,
            conversation=older,
            kind="activity",
            actor=actor,
            activity={"type": "merge_resolved", "by": by, "continued_in": newer.id},
        )
        if older.contact_id == primary.id:  # the secondary's are announced once moved
            send_event_on_commit(session, events.conversation_changed(older))


async def _move_other_references(session: AsyncSession, primary_id: int, secondary_id: int) -> None:
    """Columns other modules added that refer to a contact (survey answers, ...). A row the
    move would duplicate (a per-contact unique key) stays with the tombstone, and is logged."""
    import kefu.models  # noqa: F401  (every table registered in Base.metadata)

    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != "contacts" or fk.column.name != "id":
                continue
            if (table.name, fk.parent.name) in HANDLED:
                continue
            await _move_column(session, table, fk.parent.name, primary_id, secondary_id)


async def _move_column(
    session: AsyncSession, table: Table, column: str, primary_id: int, secondary_id: int
) -> None:
    try:
        async with session.begin_nested():
            await session.execute(
                update(table).where(table.c[column] == secondary_id).values({column: primary_id})
            )
    except IntegrityError:
        log.warning("merge %s -> %s: %s.%s rows left", secondary_id, primary_id, table.name, column)


def _fill_profile(primary: Contact, secondary: Contact) -> list[str]:
    """The primary's values win; the secondary's fill the blanks. Returns the fields filled."""
    filled: list[str] = []
    for field in PROFILE_FIELDS:
        if not getattr(primary, field) and getattr(secondary, field):
            setattr(primary, field, getattr(secondary, field))
            filled.append(field)
    attributes: dict[str, Any] = dict(secondary.attributes or {})
    for key in attributes:
        if key not in (primary.attributes or {}):
            filled.append(f"attributes.{key}")
    attributes.update(primary.attributes or {})
    primary.attributes = attributes
    for field in ("verified_email", "verified_phone"):  # kefu.channels.matching
        if not getattr(primary, field) and getattr(secondary, field):
            setattr(primary, field, getattr(secondary, field))
    seen = [t for t in (primary.last_seen_at, secondary.last_seen_at) if t is not None]
    primary.last_seen_at = max(seen) if seen else None
    return filled


async def _announce(
    session: AsyncSession,
    primary: Contact,
    secondary: Contact,
    moved: list[int],
    actor: Principal,
    by: str | None,
) -> None:
    """conversation.updated for every moved conversation (an activity line in the unresolved
    ones), contact.merged to the consoles that know either contact, and a signal to the
    secondary's open widgets."""
    if moved:
        rows = await session.execute(
            select(Conversation)
            .where(Conversation.id.in_(moved))
            .options(joinedload(Conversation.assignee))
            .execution_options(populate_existing=True)
        )
        for conversation in rows.unique().scalars():
            set_committed_value(conversation, "contact", primary)
            if conversation.status != "resolved":
                await append_message(
                    session,
                    conversation=conversation,
                    kind="activity",
                    actor=actor,
                    activity={
                        "type": "contact_merged",
                        "by": by,
                        "from": display_name(secondary),
                        "from_id": secondary.id,
                        "into": display_name(primary),
                        "into_id": primary.id,
                    },
                )
            send_event_on_commit(session, events.conversation_changed(conversation))
    audience = await contact_audience(session=session, contact_ids=[primary.id])
    send_event_on_commit(
        session,
        contact_events.contact_merged(
            survivor_id=primary.id, merged_id=secondary.id, audience=audience
        ),
    )
    send_event_on_commit(session, contact_events.visitor_merged(secondary.id))
