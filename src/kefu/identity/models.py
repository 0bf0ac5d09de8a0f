from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime


class InboxIdentity(Base):
    """An inbox's identity-verification settings: the secret host sites HMAC their user ids
    with (sealed with the node's secret key, shown to admins only) and whether an identity
    without a valid HMAC is refused."""

    __tablename__ = "inbox_identities"

    inbox_id: Mapped[int] = mapped_column(
        ForeignKey("inboxes.id", ondelete="CASCADE"), primary_key=True
    )
    sealed_secret: Mapped[str | None] = mapped_column(String(500), nullable=True)
    require_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
