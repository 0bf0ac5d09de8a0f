from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from kefu.surveys.models import SurveyResponse
from kefu.users.schemas import UserBrief

Kind = Literal["csat", "nps"]


class SurveyAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    # The scale is checked per kind by the action (CSAT 1-5, NPS 0-10).
    score: StrictInt = Field(ge=0, le=10)
    comment: str = Field(default="", max_length=1000)


class VisitorAnswerOut(BaseModel):
    score: int
    comment: str


class VisitorSurveyOut(BaseModel):
    """What the widget needs: whether to ask, what, and what the customer already answered."""

    open: bool
    csat_enabled: bool
    nps_enabled: bool
    csat: VisitorAnswerOut | None
    nps: VisitorAnswerOut | None
    closes_at: datetime | None


class SurveyResponseOut(BaseModel):
    id: int
    conversation_id: int
    kind: Kind
    score: int
    comment: str
    agent: UserBrief | None
    resolved_at: datetime
    answered_at: datetime


def response_out(response: SurveyResponse, agent: UserBrief | None) -> SurveyResponseOut:
    return SurveyResponseOut(
        id=response.id,
        conversation_id=response.conversation_id,
        kind=response.kind,
        score=response.score,
        comment=response.comment,
        agent=agent,
        resolved_at=response.resolved_at,
        answered_at=response.answered_at,
    )
