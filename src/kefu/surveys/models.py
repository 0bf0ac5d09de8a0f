from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime, utcnow

KINDS = ("csat", "nps")


class SurveyResponse(Base):
    """One answer: a CSAT or NPS score for one resolution of a conversation.

    Flat on purpose, for reports: the inbox, the agent (the assignee when it was resolved) and
    the contact are copied here, so KPIs are one GROUP BY without joins."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        # One answer of each kind per resolution; a later answer replaces it (docs/surveys.md).
        UniqueConstraint("conversation_id", "resolved_at", "kind"),
        Index("ix_survey_responses_inbox_kind_answered_at", "inbox_id", "kind", "answered_at"),
        Index("ix_survey_responses_agent_kind_answered_at", "agent_id", "kind", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(4))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    # Which resolution this answers (the conversation's resolved_at then).
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
