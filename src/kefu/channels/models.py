from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime, utcnow


class ChannelEvent(Base):
    """One inbound provider event, recorded in the transaction that applies it: the unique
    (inbox, event id) makes a redelivered webhook (or two nodes receiving the same one) a no-op,
    without reading first."""

    __tablename__ = "channel_events"
    __table_args__ = (UniqueConstraint("inbox_id", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))
    # The message it created, if any (statuses and follows create none).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
