"""Tables of the routing domain: agents' presence and capacity, console connections per node,
routing rules, daily queue-number counters and recorded SLA breaches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime, utcnow

PRESENCES = ("online", "busy", "away", "offline")


class AgentState(Base):
    """One row per agent. Assignment locks this row (SELECT ... FOR UPDATE) while it counts the
    agent's open conversations, so two nodes can never both give the agent their last free slot."""

    __tablename__ = "agent_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    presence: Mapped[str] = mapped_column(String(10), default="offline")
    presence_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the system took the agent offline (last console closed): their presence then,
    # restored when they open a console again. None after any choice of their own.
    restore_presence: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # None: the inbox's default capacity applies.
    max_conversations: Mapped[int | None] = mapped_column(Integer, nullable=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AgentConnection(Base):
    """How many consoles an agent has open on each node; drives going offline after a grace
    period once the last one closes (on any node)."""

    __tablename__ = "agent_connections"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    node: Mapped[str] = mapped_column(String(100), primary_key=True)
    connections: Mapped[int] = mapped_column(Integer, default=0)
    # Refreshed by the node's heartbeat while connections > 0; the time of the last change else.
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoutingRule(Base):
    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # {"match": "all"|"any", "conditions": [...]}; see routing/rules.py.
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"team_id": .., "tags": [..], "priority": .., "skills": [..]}
    actions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueCounter(Base):
    """The last queue number handed out per inbox and local day (numbers restart daily, like
    the paper tickets of a service counter)."""

    __tablename__ = "queue_counters"

    inbox_id: Mapped[int] = mapped_column(
        ForeignKey("inboxes.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class SlaBreach(Base):
    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("conversation_id", "kind", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
