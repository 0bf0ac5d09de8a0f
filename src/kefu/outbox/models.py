from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime, utcnow

# pending: waiting for next_attempt_at; running: claimed by a runner until next_attempt_at (its
# lease: a runner that died leaves the job to be claimed again then); done; dead: gave up.
JOB_STATUSES = ("pending", "running", "done", "dead")


class OutboxJob(Base):
    """One unit of after-commit work, run by the handler registered for its `kind`."""

    __tablename__ = "outbox_jobs"
    __table_args__ = (
        # The runners' claim: due jobs in order.
        Index("ix_outbox_jobs_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_jobs_kind_key_created_at", "kind", "key", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    # What the job is about ("contact:12", "conversation:7"): for look-ups and rate limits.
    key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
