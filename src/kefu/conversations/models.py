from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kefu.contacts.models import Contact
from kefu.db import Base, UTCDateTime, utcnow
from kefu.users.models import User

STATUSES = ("open", "pending", "resolved")
PRIORITIES = ("urgent", "high", "normal", "low")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # At most one unresolved conversation per contact and inbox: closes the "start chat" race
        # between two requests (or two nodes) by constraint, not by reading first.
        Index(
            "uq_conversations_open_per_contact",
            "inbox_id",
            "contact_id",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_conversations_inbox_status_activity", "inbox_id", "status", "last_activity_at"),
        Index("ix_conversations_assignee_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What customers see: opaque, never the sequential id.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="open")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True
    )
    # Last message seq handed out; taken with UPDATE ... RETURNING inside the writing transaction.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    contact_last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    agent_last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_message_preview: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(lazy="raise")


class ConversationRead(Base):
    """How far each agent has read each conversation: drives unread counts."""

    __tablename__ = "conversation_reads"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
