"""Notifications (per user), conversation participants (followers) and notification preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kefu.conversations.models import Conversation
from kefu.db import Base, UTCDateTime, utcnow
from kefu.users.models import User

# assigned: a conversation was assigned to you; mentioned: a note @mentioned you (or your team);
# message: a customer wrote in a conversation you take part in; sla_breach: a target was missed.
TYPES = ("assigned", "mentioned", "message", "sla_breach")

# Unread "message" notifications coalesce: at most one per user and conversation (ON CONFLICT
# on this partial unique index bumps it instead of inserting another).
UNREAD_MESSAGE_WHERE = "type = 'message' AND read_at IS NULL"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # The centre's pages, newest first.
        Index("ix_notifications_user_updated", "user_id", "updated_at"),
        # The bell's count.
        Index(
            "ix_notifications_user_unread",
            "user_id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
        Index(
            "uq_notifications_unread_message",
            "user_id",
            "conversation_id",
            unique=True,
            sqlite_where=text(UNREAD_MESSAGE_WHERE),
            postgresql_where=text(UNREAD_MESSAGE_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # The latest message it is about (the newest customer message of a coalesced notification).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
    )
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # How many events it stands for (customer messages coalesced into one notification).
    count: Mapped[int] = mapped_column(Integer, default=1)
    preview: Mapped[str] = mapped_column(String(200), default="")
    # Type-specific details (an SLA breach's kind and due time).
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped when a new customer message coalesces into it: the centre's order.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    conversation: Mapped[Conversation] = relationship(lazy="raise")
    actor: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[actor_user_id])


class ConversationParticipant(Base):
    """An agent following a conversation: they get its notifications. Assignment adds the
    assignee (who stays until they unfollow, as in Chatwoot)."""

    __tablename__ = "conversation_participants"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # follow: they followed it themselves; added: a supervisor added them; assigned: assignment.
    reason: Mapped[str] = mapped_column(String(10))
    added_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="raise", foreign_keys=[user_id])


class NotificationPreference(Base):
    """A user's notification settings (schemas.Preferences, validated on write). No row: the
    defaults (everything on, no do-not-disturb)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
