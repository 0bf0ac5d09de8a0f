from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, event, inspect, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kefu.contacts.models import Contact
from kefu.db import Base, UTCDateTime, utcnow
from kefu.users.models import User

STATUSES = ("open", "pending", "snoozed", "resolved")
PRIORITIES = ("urgent", "high", "normal", "low")
ROUTING_STATES = ("new", "awaiting_topic", "reopened", "routed", "bot")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # At most one unresolved conversation per contact and inbox: closes the "start chat" race
        # between two requests (or two nodes) by constraint, not by reading first.
        # Email threads (kefu.channels) are the exception: a new subject is a new conversation,
        # so the index includes `thread_key` ("" everywhere else; NULLs would never conflict).
        Index(
            "uq_conversations_open_per_contact",
            "inbox_id",
            "contact_id",
            "thread_key",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_conversations_inbox_status_activity", "inbox_id", "status", "last_activity_at"),
        Index("ix_conversations_assignee_status", "assignee_id", "status"),
        # The queue: unassigned conversations waiting for an agent, in arrival order.
        Index(
            "ix_conversations_queue",
            "inbox_id",
            "queued_at",
            sqlite_where=text("queued_at IS NOT NULL"),
            postgresql_where=text("queued_at IS NOT NULL"),
        ),
        # Snoozed conversations with a wake-up time: the worker's scan (conversations/snooze.py).
        # Conversations whose report facts are out of date (kefu/reports/refresh.py).
        Index(
            "ix_conversations_reports_stale",
            "id",
            sqlite_where=text("reports_version != reports_done"),
            postgresql_where=text("reports_version != reports_done"),
        ),
        Index(
            "ix_conversations_snoozed_until",
            "snoozed_until",
            sqlite_where=text("snoozed_until IS NOT NULL"),
            postgresql_where=text("snoozed_until IS NOT NULL"),
        ),
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
    # "image" or "file" when the last message carried attachments: clients show "[圖片]" /
    # "[檔案]" (translated) before the preview, which is the text or the file names.
    last_message_attachment: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Routing (see kefu/routing): "new" until the first customer message is routed,
    # "awaiting_topic" while the customer picks a topic, "reopened" after a customer reopened it,
    # then "routed".
    routing_state: Mapped[str] = mapped_column(String(16), default="new")
    topic: Mapped[str | None] = mapped_column(String(40), nullable=True)
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    # In the queue while set (unassigned and waiting); the queue is ordered by priority, then this.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    queue_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The customer's oldest message not yet answered by an agent (drives next-response SLA).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Tag names, in the order they were added (routing rules and agents add them); a copy of
    # conversation_tags (kefu/tags), which is what filters use. Names as in the tag catalogue.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Custom attribute values, checked against kefu.attributes definitions on every write.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Followers and assignees (notifications/models.py): 0 lets a customer message skip them.
    participant_count: Mapped[int] = mapped_column(Integer, default=0)
    # While status is "snoozed": when it reopens by itself (None: when the customer writes).
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Channel conversations (kefu.channels): the email thread's first Message-ID ("" otherwise),
    # its subject, and per-channel state (a LINE reply token and when it came, when the
    # customer last wrote: the 24-hour reply window of WhatsApp and Messenger).
    thread_key: Mapped[str] = mapped_column(String(255), default="", server_default="")
    subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    channel_context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # While routing_state is "bot" (kefu.bot): the seq of the last customer message the bot
    # dealt with, what it waits for (an action's value, contact details), its last answer.
    bot_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # Report facts (kefu/reports): every write that changes what they record sets a new random
    # `reports_version`; the worker recomputes the facts and sets `reports_done` to the version
    # it read, so a write during the recomputation leaves the row stale (never a lost update).
    reports_version: Mapped[int] = mapped_column(
        BigInteger, default=lambda: new_report_version(), server_default="1"
    )
    reports_done: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    contact: Mapped[Contact] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(lazy="raise")


# The conversation columns report facts are computed from (kefu/reports/facts.py); messages,
# survey answers and SLA breaches mark the conversation themselves.
REPORT_COLUMNS = (
    "status",
    "assignee_id",
    "team_id",
    "inbox_id",
    "resolved_at",
    "first_reply_at",
    "tags",
    "first_response_due_at",
    "resolution_due_at",
)


def new_report_version() -> int:
    """A fresh version: random, so that nodes need no shared counter (a repeat is 1 in 2^62)."""
    return secrets.randbits(62) + 1


@event.listens_for(Session, "before_flush")
def _mark_report_facts_stale(session: Session, _context: object, _instances: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, Conversation):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in REPORT_COLUMNS):
                obj.reports_version = new_report_version()


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
