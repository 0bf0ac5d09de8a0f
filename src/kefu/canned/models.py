"""Canned responses. `owner_id` None: shared with everyone; else personal to that agent.
A shortcut is unique per scope (shared, or one agent's) and language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime, utcnow


class CannedResponse(Base):
    __tablename__ = "canned_responses"
    __table_args__ = (
        Index(
            "uq_canned_responses_shared_shortcut",
            "shortcut",
            "locale",
            unique=True,
            sqlite_where=text("owner_id IS NULL"),
            postgresql_where=text("owner_id IS NULL"),
        ),
        Index(
            "uq_canned_responses_personal_shortcut",
            "owner_id",
            "shortcut",
            "locale",
            unique=True,
            sqlite_where=text("owner_id IS NOT NULL"),
            postgresql_where=text("owner_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    shortcut: Mapped[str] = mapped_column(String(40))  # normalised: NFKC, lower case
    title: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5), default="")  # "" (any), "zh-TW" or "en"
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
