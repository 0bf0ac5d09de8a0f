from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime, utcnow

SCOPES = ("contact", "conversation")
TYPES = ("text", "number", "date", "list")


class AttributeDefinition(Base):
    """A custom attribute admins define for contacts or conversations (values live in the
    owner's `attributes` JSON, keyed by `key`, checked against this on every write)."""

    __tablename__ = "attribute_definitions"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(10))
    # The choices of a "list" attribute; empty for the other types.
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
