"""Identified visitors (docs/contacts.md): the host site vouches for its logged-in user with an
HMAC of the user id under the inbox's identity secret.

- A valid HMAC finds (or creates) the contact verified for that user id in the inbox, so the
  same customer on another device gets their history; an anonymous visitor who identifies is
  merged INTO it (or becomes it, when the user id is new).
- An unverified identity (no HMAC, a wrong one, or no secret yet) never reaches a verified
  contact: it only names the visitor's own anonymous contact, and a browser holding a verified
  contact's token that now claims another user id starts over as a new anonymous visitor.
- With "require verified identity" on, an unverified identity is refused (401).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import Principal, SystemPrincipal, VisitorPrincipal
from kefu.auth.sealing import SecretBox
from kefu.channels.matching import details_of, match_contact
from kefu.contacts.actions import announce_contact, do_create_visitor, record_activity
from kefu.contacts.merge import merge_contacts
from kefu.contacts.models import SITE_USER, Contact, ContactIdentity
from kefu.contacts.queries import is_verified
from kefu.db import utcnow
from kefu.errors import InvalidInput, NotAuthenticated
from kefu.identity.models import InboxIdentity
from kefu.identity.queries import find_site_user, get_inbox_identity, site_user_ids
from kefu.identity.schemas import WidgetIdentifyIn
from kefu.inboxes.models import Inbox


def user_hash(secret: str, user_id: str) -> str:
    """What the host site's server computes: hex HMAC-SHA256 of the user id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def hash_matches(secret: str, user_id: str, given: str | None) -> bool:
    if not given:
        return False
    # Bytes, so that a non-ASCII "hash" is simply wrong rather than a TypeError.
    return hmac.compare_digest(user_hash(secret, user_id).encode(), given.strip().lower().encode())


def details_message(user_id: str, email: str | None, phone: str | None) -> str:
    """What the host site signs to vouch for its user's email and phone (`details_hash`)."""
    return f"{user_id}\n{email or ''}\n{phone or ''}"


async def _settings(session: AsyncSession, inbox: Inbox) -> InboxIdentity:
    row = await get_inbox_identity(session=session, inbox_id=inbox.id)
    if row is None:
        row = InboxIdentity(inbox_id=inbox.id, sealed_secret=None, require_verified=False)
        session.add(row)
    return row


async def do_rotate_identity_secret(
    session: AsyncSession, *, actor: Principal, inbox: Inbox, box: SecretBox
) -> tuple[InboxIdentity, str]:
    """A new secret (the old one stops verifying at once); returns it in plain text."""
    require_admin(actor)
    row = await _settings(session, inbox)
    secret = secrets.token_hex(32)
    row.sealed_secret = box.seal(secret)
    row.rotated_at = utcnow()
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="inbox.identity_secret_rotated",
        target_type="inbox",
        target_id=inbox.id,
    )
    return row, secret


async def do_set_identity_required(
    session: AsyncSession, *, actor: Principal, inbox: Inbox, required: bool
) -> InboxIdentity:
    require_admin(actor)
    row = await _settings(session, inbox)
    if required and row.sealed_secret is None:
        raise InvalidInput("Generate the identity secret first.", code="identity_secret_missing")
    row.require_verified = required
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="inbox.identity_required" if required else "inbox.identity_optional",
        target_type="inbox",
        target_id=inbox.id,
    )
    return row


def open_secret(row: InboxIdentity | None, box: SecretBox) -> str | None:
    if row is None or row.sealed_secret is None:
        return None
    return box.open(row.sealed_secret)


async def do_identify_visitor(
    session: AsyncSession,
    *,
    inbox: Inbox,
    current: VisitorPrincipal | None,
    user: WidgetIdentifyIn,
    box: SecretBox,
) -> tuple[VisitorPrincipal, bool]:
    """The visitor the widget should be from now on, and whether the identity was verified.
    `current` is the widget's visitor (its token, merged contacts resolved), if it had one."""
    row = await get_inbox_identity(session=session, inbox_id=inbox.id)
    secret = open_secret(row, box)
    verified = secret is not None and hash_matches(secret, user.id, user.hash)
    contact = await session.get(Contact, current.contact_id) if current else None
    if contact is not None and contact.merged_into_id is not None:
        contact = None  # a dangling tombstone: behave as a new visitor
    if not verified:
        if row is not None and row.require_verified:
            raise NotAuthenticated(
                "This chat needs a verified identity.", code="identity_unverified"
            )
        target = await _unverified(session, inbox, contact, user)
    else:
        target = await _verified(session, inbox, contact, user)
        assert secret is not None
        target = await _vouched_details(session, target, user, secret)
    target.last_seen_at = utcnow()
    return VisitorPrincipal(contact_id=target.id, inbox_id=inbox.id), verified


async def _unverified(
    session: AsyncSession, inbox: Inbox, contact: Contact | None, user: WidgetIdentifyIn
) -> Contact:
    if contact is not None and await is_verified(session=session, contact_id=contact.id):
        known = await site_user_ids(session=session, contact_id=contact.id, inbox_id=inbox.id)
        if user.id in known:
            return contact  # the token already proves this user; only the HMAC is missing
        contact = None  # someone else at this browser: never onto the verified contact
    if contact is None:
        contact = await do_create_visitor(session, inbox=inbox)
    await _apply_details(session, contact, user)
    return contact


async def _verified(
    session: AsyncSession, inbox: Inbox, contact: Contact | None, user: WidgetIdentifyIn
) -> Contact:
    target = await find_site_user(session=session, inbox_id=inbox.id, external_id=user.id)
    anonymous = contact is not None and not await is_verified(
        session=session, contact_id=contact.id
    )
    if target is None:
        # A new user id: the anonymous visitor becomes this user, or a new contact does.
        owner = contact if anonymous and contact is not None else None
        target = await _claim(session, inbox, owner, user.id)
    elif anonymous and contact is not None and contact.id != target.id:
        target = await merge_contacts(
            session,
            primary_id=target.id,
            secondary_id=contact.id,
            actor=SystemPrincipal(name="identity"),
            reason="identified",
        )
    await _apply_details(session, target, user)
    return target


async def _vouched_details(
    session: AsyncSession, contact: Contact, user: WidgetIdentifyIn, secret: str
) -> Contact:
    """With a valid details_hash the host site vouches for the email and phone: they become the
    contact's verified details and are matched against other channels' contacts."""
    if not (user.email or user.phone):
        return contact
    message = details_message(user.id, user.email, user.phone)
    if not hash_matches(secret, message, user.details_hash):
        return contact
    details = details_of(verified_email=user.email, verified_phone=user.phone)
    before = (contact.verified_email, contact.verified_phone)
    for detail in details:  # the host site's current values replace what it signed before
        setattr(contact, f"verified_{detail.kind}", detail.value)
    if (contact.verified_email, contact.verified_phone) == before:
        return contact
    return await match_contact(session, contact, details)


async def _claim(
    session: AsyncSession, inbox: Inbox, owner: Contact | None, external_id: str
) -> Contact:
    """Attach the verified user id to `owner` (or to a new contact). Two devices identifying a
    new user at once meet on the identity's unique key: the loser uses the winner's contact."""
    if owner is None:
        owner = Contact(name="", attributes={}, last_seen_at=utcnow())
        session.add(owner)
        await session.flush()
    try:
        async with session.begin_nested():
            session.add(
                ContactIdentity(
                    contact_id=owner.id,
                    channel_type=SITE_USER,
                    inbox_id=inbox.id,
                    external_id=external_id,
                )
            )
            await session.flush()
    except IntegrityError:
        winner = await find_site_user(session=session, inbox_id=inbox.id, external_id=external_id)
        if winner is None:
            raise
        return winner
    record_activity(
        session,
        contact_id=owner.id,
        actor_user_id=None,
        action="identified",
        inbox_id=inbox.id,
        external_id=external_id,
    )
    return owner


async def _apply_details(session: AsyncSession, contact: Contact, user: WidgetIdentifyIn) -> None:
    """The host site's name and email for its user (its own data: they replace ours), in the
    contact's history like any edit."""
    trail: dict[str, dict[str, str | None]] = {}
    for field, value in (("name", user.name), ("email", user.email), ("phone", user.phone)):
        before = getattr(contact, field)
        if value and value != before:
            setattr(contact, field, value)
            trail[field] = {"from": before, "to": value}
    if trail:
        record_activity(
            session, contact_id=contact.id, actor_user_id=None, action="updated", changes=trail
        )
        await announce_contact(session, contact)
