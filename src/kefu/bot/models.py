"""The FAQ bot's configured HTTP actions and its log of turns (what each customer asked and
what the bot did about it: the learning loop and the containment figures read it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime, utcnow


class BotAction(Base):
    """An HTTP action at the company's own system (order status, say): the bot asks for one
    value, calls `url` with a signed request, and answers with a template filled from the JSON
    response."""

    __tablename__ = "bot_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # per locale
    # Phrasings that start it ("查詢訂單", "order status"), matched like Q&A questions.
    triggers: Mapped[list[str]] = mapped_column(JSON, default=list)
    prompts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # "Your order number?"
    param_pattern: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # sealed (SecretBox)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=5.0)
    answer_templates: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    not_found_templates: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BotTurn(Base):
    __tablename__ = "bot_turns"
    __table_args__ = (
        Index("ix_bot_turns_created_at", "created_at"),
        Index("ix_bot_turns_conversation_id", "conversation_id"),
        Index("ix_bot_turns_outcome_created_at", "outcome", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
    )
    locale: Mapped[str] = mapped_column(String(5))
    question: Mapped[str] = mapped_column(Text, default="")
    # answered | handoff | unanswered | action | menu | collected
    outcome: Mapped[str] = mapped_column(String(12))
    # For a handoff: low_confidence | requested | upset | action_failed | not_helped | …
    reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    source_kind: Mapped[str | None] = mapped_column(String(12), nullable=True)  # article | qa | …
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    feedback: Mapped[str | None] = mapped_column(String(12), nullable=True)  # helped | not_helped
    # Dealt with in the learning loop (a Q&A pair made from it, or dismissed): out of the report.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
