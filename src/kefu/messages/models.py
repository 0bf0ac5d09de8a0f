from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kefu.db import Base, UTCDateTime, utcnow
from kefu.users.models import User

# incoming: from the customer; outgoing: an agent's (or bot's) reply; note: internal, never shown
# to the customer; activity: a line recording a change (assigned, resolved, ...).
KINDS = ("incoming", "outgoing", "note", "activity")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        # Retries of the same send are de-duplicated per sender ("u:<id>" or "c:<id>").
        UniqueConstraint("sender_key", "client_msg_id"),
        Index("ix_messages_conversation_kind_seq", "conversation_id", "kind", "seq"),
        Index(
            "ix_messages_external_id",
            "external_id",
            sqlite_where=text("external_id IS NOT NULL"),
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    sender_key: Mapped[str] = mapped_column(String(20))
    sender_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    sender_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    # Structured description of an activity line; clients translate it.
    activity: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    client_msg_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Buttons offered with an automatic reply: [{"label": .., "value": ..}] (topic choice, menus).
    quick_replies: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    # @mentions of a note: [{"type": "user" | "team", "id": ..}] (notifications/mentions.py).
    mentions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # Channel messages (kefu.channels): the provider's id for it (a LINE message id, a wamid,
    # an email's Message-ID), for delivery statuses and email threading.
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # An outgoing message on a channel: queued, sent, delivered, read or failed (None: the
    # widget, where the read receipt says it all), and the provider's reason for a failure.
    delivery_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    delivery_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What a channel needs beyond the text: a template sent (WhatsApp), an email's sanitised
    # HTML and untrimmed text, a sticker's ids.
    channel_payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender_user: Mapped[User | None] = relationship(lazy="raise")
    attachments: Mapped[list[Attachment]] = relationship(lazy="raise", order_by="Attachment.id")


class Attachment(Base):
    """A file on a message. Its bytes are in the configured storage under `storage_key` (never a
    name a user chose); `public_id` and `access_key` make the customer's signed links
    (kefu/attachments/links.py)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    # Denormalised from the message: access checks and a conversation's file list need no join.
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255))
    # The sniffed type (what the bytes are), never the one the client declared.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(255))
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    access_key: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
