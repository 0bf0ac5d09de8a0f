from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime, utcnow

# "web" is the widget; the others are kefu.channels adapters (kefu/channels/adapters.py).
CHANNEL_TYPES = ("web", "email", "line", "whatsapp", "messenger", "telegram")


class Inbox(Base):
    __tablename__ = "inboxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Opaque key used by the widget snippet (data-inbox); never the numeric id.
    public_key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    channel_type: Mapped[str] = mapped_column(String(20), default="web")
    greeting: Mapped[str] = mapped_column(String(1000), default="")
    color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    locale: Mapped[str] = mapped_column(String(10), default="zh-TW")
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A channel inbox's provider settings (validated by its adapter's config_model), and its
    # secrets as one Fernet token of a JSON object (kefu.channels.secrets), never sent out.
    channel_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel_secrets: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What pollers remember between runs (an IMAP mailbox's UIDVALIDITY and last UID).
    channel_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxMember(Base):
    __tablename__ = "inbox_members"

    inbox_id: Mapped[int] = mapped_column(
        ForeignKey("inboxes.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
