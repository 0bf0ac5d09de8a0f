"""Writers for surveys: the customer's answer, and the admins' per-inbox settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import Principal, VisitorPrincipal
from kefu.conversations.models import Conversation
from kefu.db import dialect_insert, utcnow
from kefu.errors import Conflict, InvalidInput
from kefu.inboxes.models import Inbox
from kefu.messages.actions import append_message
from kefu.surveys.models import SurveyResponse
from kefu.surveys.queries import get_response, survey_is_open
from kefu.surveys.settings import SCALES, SurveySettings, survey_settings

MAX_COMMENT_CHARS = 1000


def _clean_comment(comment: str) -> str:
    comment = comment.replace("\r\n", "\n").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInput("The comment is too long.", code="message_too_long")
    if "\x00" in comment:
        raise InvalidInput("The comment contains a NUL character.", code="bad_text")
    return comment


async def do_answer_survey(
    session: AsyncSession,
    *,
    actor: VisitorPrincipal,
    conversation: Conversation,
    inbox: Inbox,
    kind: str,
    score: int,
    comment: str = "",
) -> SurveyResponse:
    """Store the customer's CSAT or NPS answer for the conversation's latest resolution.

    Only while the conversation is resolved and within the survey window; a second answer of
    the same kind replaces the first (INSERT ... ON CONFLICT DO UPDATE: two tabs answering at
    once leave one row). The agents see an activity line with the score and the comment."""
    if conversation.contact_id != actor.contact_id or conversation.inbox_id != actor.inbox_id:
        raise InvalidInput("Not your conversation.", code="not_your_conversation")
    settings = survey_settings(inbox)
    if kind not in SCALES or not settings.enabled(kind):
        raise InvalidInput("This survey is not asked in this inbox.", code="survey_disabled")
    low, high = SCALES[kind]
    if not low <= score <= high:
        raise InvalidInput(
            f"The score must be between {low} and {high}.",
            code="score_out_of_range",
            low=low,
            high=high,
        )
    if not survey_is_open(conversation) or conversation.resolved_at is None:
        raise Conflict(
            "The survey is asked only after the conversation is resolved.",
            code="survey_not_open",
        )
    comment = _clean_comment(comment)
    resolved_at = conversation.resolved_at
    previous = await get_response(
        session=session, conversation_id=conversation.id, kind=kind, resolved_at=resolved_at
    )
    now = utcnow()
    insert = dialect_insert(session)
    statement = insert(SurveyResponse).values(
        conversation_id=conversation.id,
        inbox_id=conversation.inbox_id,
        contact_id=conversation.contact_id,
        # A resolved conversation keeps its assignee: the agent who resolved it (or held it).
        agent_id=conversation.assignee_id,
        kind=kind,
        score=score,
        comment=comment,
        resolved_at=resolved_at,
        answered_at=now,
        created_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["conversation_id", "resolved_at", "kind"],
        set_={"score": score, "comment": comment, "answered_at": now},
    ).returning(SurveyResponse.id)
    response_id = (await session.execute(statement)).scalar_one()
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={
            "type": "survey_answered",
            "survey": kind,
            "score": score,
            "scale": high,
            "changed": previous is not None,
            "note": comment or None,
        },
    )
    response = await session.get(SurveyResponse, response_id)
    assert response is not None
    await session.refresh(response)
    return response


async def do_update_survey_settings(
    session: AsyncSession, *, actor: Principal, inbox: Inbox, settings: SurveySettings
) -> SurveySettings:
    require_admin(actor)
    inbox.settings = {**(inbox.settings or {}), "surveys": settings.model_dump(mode="json")}
    flag_modified(inbox, "settings")
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="inbox.surveys_updated",
        target_type="inbox",
        target_id=inbox.id,
        **settings.model_dump(mode="json"),
    )
    return settings
