"""Reads of survey answers. Callers obtained the conversation through access_conversation
(agents) or access_visitor_conversation (the customer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.inboxes.models import Inbox
from kefu.surveys.models import SurveyResponse
from kefu.surveys.schemas import SurveyResponseOut, VisitorAnswerOut, VisitorSurveyOut, response_out
from kefu.surveys.settings import SURVEY_WINDOW, survey_settings
from kefu.users.models import User
from kefu.users.schemas import UserBrief


def survey_is_open(conversation: Conversation) -> bool:
    """Resolved, and not longer ago than the survey window."""
    resolved_at = conversation.resolved_at
    return (
        conversation.status == "resolved"
        and resolved_at is not None
        and utcnow() - resolved_at <= SURVEY_WINDOW
    )


async def get_visitor_survey(
    *, session: AsyncSession, conversation: Conversation, inbox: Inbox
) -> VisitorSurveyOut:
    settings = survey_settings(inbox)
    answers: dict[str, VisitorAnswerOut] = {}
    is_open = survey_is_open(conversation) and (settings.csat_enabled or settings.nps_enabled)
    if conversation.resolved_at is not None:
        rows = await session.execute(
            select(SurveyResponse).where(
                SurveyResponse.conversation_id == conversation.id,
                SurveyResponse.resolved_at == conversation.resolved_at,
            )
        )
        for response in rows.scalars():
            answers[response.kind] = VisitorAnswerOut(
                score=response.score, comment=response.comment
            )
    return VisitorSurveyOut(
        open=is_open,
        csat_enabled=settings.csat_enabled,
        nps_enabled=settings.nps_enabled,
        csat=answers.get("csat"),
        nps=answers.get("nps"),
        closes_at=(
            conversation.resolved_at + SURVEY_WINDOW
            if is_open and conversation.resolved_at
            else None
        ),
    )


async def list_conversation_responses(
    *, session: AsyncSession, conversation_id: int
) -> list[SurveyResponseOut]:
    """Every answer given in this conversation (all its resolutions), newest first."""
    rows = await session.execute(
        select(SurveyResponse, User.id, User.name)
        .outerjoin(User, User.id == SurveyResponse.agent_id)
        .where(SurveyResponse.conversation_id == conversation_id)
        .order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())
    )
    out = []
    for response, user_id, user_name in rows.all():
        agent = UserBrief(id=user_id, name=user_name) if user_id is not None else None
        out.append(response_out(response, agent))
    return out


async def get_response(
    *, session: AsyncSession, conversation_id: int, kind: str, resolved_at: datetime
) -> SurveyResponse | None:
    result = await session.execute(
        select(SurveyResponse).where(
            SurveyResponse.conversation_id == conversation_id,
            SurveyResponse.kind == kind,
            SurveyResponse.resolved_at == resolved_at,
        )
    )
    return result.scalar_one_or_none()
