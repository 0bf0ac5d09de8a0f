"""Tables of the report digests: each lead's setting, and one row per digest due (per user and
period), which is what makes a digest go out once even with two nodes or a restart."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime, utcnow

FREQUENCIES = ("off", "daily", "weekly")
# pending: its outbox job will send it; sent; skipped: the user was no longer a lead, turned
# it off or was deactivated before it went out; failed: the outbox gave up.
DIGEST_STATUSES = ("pending", "sent", "skipped", "failed")


class DigestSubscription(Base):
    """A supervisor's or admin's choice. No row: off."""

    __tablename__ = "report_digest_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[str] = mapped_column(String(10), default="off")
    # Users have no timezone of their own: the digest's 08:00 and its days are read in this one.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The next 08:00 (UTC instant) a digest falls due; None while off. The worker's scan.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportDigest(Base):
    """One digest: the unique (user, frequency, first local day) means a second worker, a
    restart or a change of timezone can never make a second one for the same period."""

    __tablename__ = "report_digests"
    __table_args__ = (UniqueConstraint("user_id", "frequency", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    frequency: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    timezone: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
