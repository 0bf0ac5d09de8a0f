from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kefu.db import Base, UTCDateTime, utcnow
from kefu.users.models import User

# The identity a host site vouches for with an HMAC of its user id (docs/contacts.md): a contact
# holding one is "verified" and is never merged into automatically.
SITE_USER = "site_user"


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254), nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # http(s) only (checked on input, and again by the console before it renders an <img>).
    avatar_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The IANA timezone the widget reported (the browser's Intl setting): scheduled messages
    # are offered in the customer's local time.
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A merged-away contact stays as a tombstone pointing at the survivor, so that visitor tokens
    # signed for it still resolve (kefu.auth.dependencies.authenticate_visitor). Always one hop:
    # merging the survivor later re-points its tombstones too. No foreign key on purpose: SQLite
    # can add one to an existing table only by copying it, and dropping the old `contacts` would
    # cascade to every conversation; contacts are never deleted, so the pointer cannot dangle.
    merged_into_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Details someone vouches for (kefu.channels.matching): WhatsApp for the number a message
    # came from, the host site for the email and phone it signed. Normalised (lower-case email,
    # E.164 phone); unlike `email`/`phone` they are never edited by hand. Only these make a
    # match certain enough to merge without asking.
    verified_email: Mapped[str | None] = mapped_column(String(254), nullable=True, index=True)
    verified_phone: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)


class ContactIdentity(Base):
    """How a contact is known on one channel (a widget visitor id, a LINE user id, an address),
    or, with channel_type SITE_USER, the host site's verified user id in one inbox."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("channel_type", "inbox_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel_type: Mapped[str] = mapped_column(String(20))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactNote(Base):
    """An agent's note on a contact (the CRM profile), not on one conversation."""

    __tablename__ = "contact_notes"
    __table_args__ = (Index("ix_contact_notes_contact_id_id", "contact_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(lazy="raise")


class ContactActivity(Base):
    """The contact's trail: edits (field: from -> to), merges, identification, note removals."""

    __tablename__ = "contact_activities"
    __table_args__ = (Index("ix_contact_activities_contact_id_id", "contact_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(30))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="raise")


class ContactMergeSuggestion(Base):
    """Two contacts that look like one customer, where the match is not certain (one side's
    email or phone is not vouched for): an agent accepts (merges) or dismisses it. One row per
    unordered pair (stored lower id first), so a dismissed pair is not proposed again."""

    __tablename__ = "contact_merge_suggestions"
    __table_args__ = (
        UniqueConstraint("contact_id", "other_contact_id"),
        Index("ix_contact_merge_suggestions_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign keys on purpose: kefu.contacts.merge moves every column referring to
    # contacts.id to the survivor, which would break the pair's order and uniqueness; a
    # suggestion keeps the ids it was made for and reads resolve merged ones (contacts are never
    # deleted, so they cannot dangle).
    contact_id: Mapped[int] = mapped_column(Integer, index=True)
    other_contact_id: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(30))  # "same_phone", "same_email"
    matched_value: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
