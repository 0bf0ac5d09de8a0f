"""One customer, one history (docs/contacts.md): a contact that gets an email address or a phone
number someone else already has is merged with that contact, or proposed for merging.

- CERTAIN: both sides are vouched for: the detail arrived verified (WhatsApp's number for its
  sender, the host site's signed email/phone of an identified user) AND the other contact's same
  detail is verified too (`Contact.verified_email` / `verified_phone`). Then the two are merged
  at once with kefu.contacts.merge (the older contact survives), unless the evidence conflicts
  (two different verified values of the other kind, two host-site users, several candidates):
  then it is only proposed.
- UNCERTAIN: either side is only claimed (an email's From address, a phone typed into a
  pre-chat form or by an agent): a `contact_merge_suggestions` row for an agent to accept or
  dismiss. A dismissed pair is never proposed again (one row per unordered pair).

Two new contacts with the same verified detail at once (two webhooks, two nodes) must still
meet: matching takes a transaction-scoped lock per normalised value (PostgreSQL advisory lock;
SQLite has one writer anyway), so the second transaction looks only after the first committed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import Principal, SystemPrincipal
from kefu.contacts.merge import merge_contacts
from kefu.contacts.models import SITE_USER, Contact, ContactIdentity, ContactMergeSuggestion
from kefu.db import dialect_insert, utcnow
from kefu.errors import KefuError

log = logging.getLogger(__name__)

# Numbers written without a country code ("0912-345-678") are read as Taiwanese: kefu's
# default locale is zh-TW.
DEFAULT_REGION = "TW"
Kind = Literal["phone", "email"]
REASONS: dict[Kind, str] = {"phone": "same_phone", "email": "same_email"}
MERGE_REASONS: dict[Kind, str] = {"phone": "same verified phone", "email": "same verified email"}


def normalize_phone(value: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 ("+886912345678"), or None when it is not a possible phone number.
    "0912-345-678", "0912 345 678", "+886 912 345 678" and WhatsApp's "886912345678" agree."""
    if not value or not value.strip():
        return None
    raw = value.strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw[0].isdigit() and not digits.startswith("0") and len(digits) >= 10:
        raw = "+" + digits  # an international number without its "+" (WhatsApp's wa_id)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    return value[:254] if "@" in value.strip("@") else None


def mask(kind: str, value: str) -> str:
    """Enough to recognise a detail in a list, not to harvest it: "+886****5678", "c***@x.com"."""
    if kind == "phone" or value.startswith("+"):
        return value[:4] + "*" * max(0, len(value) - 8) + value[-4:]
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else value[:1] + "***"


@dataclass(frozen=True, slots=True)
class Detail:
    kind: Kind
    value: str  # normalised
    verified: bool


def details_of(
    *,
    verified_phone: str | None = None,
    verified_email: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> list[Detail]:
    """The normalised details to match, verified ones first; a value both verified and claimed
    counts once, as verified."""
    found: dict[tuple[str, str], Detail] = {}
    for kind, value, verified in (
        ("phone", normalize_phone(verified_phone), True),
        ("email", normalize_email(verified_email), True),
        ("phone", normalize_phone(phone), False),
        ("email", normalize_email(email), False),
    ):
        if value is not None and (kind, value) not in found:
            found[(kind, value)] = Detail(kind, value, verified)  # type: ignore[arg-type]
    return list(found.values())


def record_verified(contact: Contact, details: list[Detail]) -> None:
    """Keep what is vouched for on the contact (blanks only: WhatsApp's number for a sender
    does not change, and a second number is a second identity)."""
    for detail in details:
        if not detail.verified:
            continue
        if detail.kind == "phone" and not contact.verified_phone:
            contact.verified_phone = detail.value
        if detail.kind == "email" and not contact.verified_email:
            contact.verified_email = detail.value


async def match_contact(
    session: AsyncSession,
    contact: Contact,
    details: list[Detail],
    *,
    actor: Principal | None = None,
) -> Contact:
    """Merge `contact` with the one contact it certainly is, and propose the uncertain matches.
    Returns the contact to use from now on (the survivor, when merged)."""
    if not details:
        return contact
    actor = actor or SystemPrincipal(name="matching")
    await _lock(session, details)
    await session.flush()
    certain: dict[int, Detail] = {}
    uncertain: dict[int, Detail] = {}
    for detail in details:
        for other, other_verified in await _candidates(session, contact, detail):
            if detail.verified and other_verified:
                certain.setdefault(other.id, detail)
            else:
                uncertain.setdefault(other.id, detail)
    for other_id in certain:
        uncertain.pop(other_id, None)
    if len(certain) == 1:
        [(other_id, detail)] = certain.items()
        merged = await _merge(session, contact, other_id, detail, actor)
        if merged is not None:
            contact = merged
        else:
            uncertain[other_id] = detail
    else:
        uncertain.update(certain)  # several "certain" candidates: let a person decide
    for other_id, detail in uncertain.items():
        survivor = await _survivor(session, other_id)
        if survivor is not None and survivor != contact.id:
            await suggest(session, contact.id, survivor, detail)
    return contact


async def _lock(session: AsyncSession, details: list[Detail]) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: one writer at a time already
    keys = sorted(
        int.from_bytes(
            hashlib.sha256(f"{d.kind}:{d.value}".encode()).digest()[:8], "big", signed=True
        )
        for d in details
    )
    for key in keys:
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _phone_digits() -> ColumnElement[str]:
    """Contact.phone without the separators people type ("0912-345-678" -> "0912345678")."""
    expr: ColumnElement[str] = func.coalesce(Contact.phone, "")
    for ch in (" ", "-", "(", ")", ".", "+", "/"):
        expr = func.replace(expr, ch, "")
    return expr


async def _candidates(
    session: AsyncSession, contact: Contact, detail: Detail
) -> list[tuple[Contact, bool]]:
    """Other live contacts with this detail, and whether theirs is verified."""
    base = select(Contact).where(Contact.id != contact.id, Contact.merged_into_id.is_(None))
    if detail.kind == "phone":
        verified_col = Contact.verified_phone
        number = phonenumbers.parse(detail.value)
        national = str(number.national_number)
        forms = {detail.value.lstrip("+"), "0" + national, f"00{number.country_code}{national}"}
        claimed: ColumnElement[bool] = _phone_digits().in_(forms)
    else:
        verified_col = Contact.verified_email
        # Stored lower-cased by every writer (clean_email, the pre-chat form, channels): the
        # plain comparison uses the index.
        claimed = Contact.email == detail.value
    found: dict[int, tuple[Contact, bool]] = {}
    for other in (await session.scalars(base.where(verified_col == detail.value).limit(20))).all():
        found[other.id] = (other, True)
    for other in (await session.scalars(base.where(claimed).limit(20))).all():
        if other.id not in found:
            # The SQL only compared digits: confirm with the real normalisation.
            value = normalize_phone(other.phone) if detail.kind == "phone" else other.email
            if value and value.lower() == detail.value:
                found[other.id] = (other, False)
    return list(found.values())


async def _merge(
    session: AsyncSession, contact: Contact, other_id: int, detail: Detail, actor: Principal
) -> Contact | None:
    """The older contact absorbs the newer; None when the evidence conflicts or the merge could
    not be done now (then the pair is proposed instead)."""
    other = await session.get(Contact, other_id)
    if other is None or await _conflicting(session, contact, other):
        return None
    primary, secondary = sorted((contact, other), key=lambda c: (c.created_at, c.id))
    try:
        async with session.begin_nested():
            return await merge_contacts(
                session,
                primary_id=primary.id,
                secondary_id=secondary.id,
                actor=actor,
                reason=MERGE_REASONS[detail.kind],
            )
    except KefuError as exc:
        log.info("automatic merge %s <- %s not done: %s", primary.id, secondary.id, exc.code)
        return None


async def _conflicting(session: AsyncSession, a: Contact, b: Contact) -> bool:
    """Evidence that these are two people after all: different verified values, or both
    identified as (different) users of a host site."""
    for field in ("verified_phone", "verified_email"):
        left, right = getattr(a, field), getattr(b, field)
        if left and right and left != right:
            return True
    site_users = await session.scalars(
        select(ContactIdentity.contact_id)
        .where(
            ContactIdentity.contact_id.in_([a.id, b.id]), ContactIdentity.channel_type == SITE_USER
        )
        .distinct()
    )
    return len(set(site_users)) > 1


async def _survivor(session: AsyncSession, contact_id: int) -> int | None:
    contact = await session.get(Contact, contact_id)
    if contact is None:
        return None
    return contact.merged_into_id or contact.id


async def suggest(session: AsyncSession, a: int, b: int, detail: Detail) -> None:
    """Propose merging a and b (once per pair, whatever its state: dismissed stays dismissed)."""
    low, high = sorted((a, b))
    statement = (
        dialect_insert(session)(ContactMergeSuggestion)
        .values(
            contact_id=low,
            other_contact_id=high,
            reason=REASONS[detail.kind],
            matched_value=detail.value,
            status="pending",
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["contact_id", "other_contact_id"])
    )
    await session.execute(statement)
