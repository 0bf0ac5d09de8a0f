"""Survey endpoints: the customer's (widget, visitor token) and the console's."""

from __future__ import annotations

from fastapi import APIRouter, Request

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.permissions import require_admin
from kefu.bounds import IdPath
from kefu.channels.web.views import VisitorToken, load_visitor_conversation
from kefu.conversations.queries import access_conversation
from kefu.inboxes.queries import access_inbox
from kefu.surveys import actions, queries
from kefu.surveys.schemas import SurveyAnswerIn, SurveyResponseOut, VisitorSurveyOut
from kefu.surveys.settings import SurveySettings, survey_settings

widget_router = APIRouter(prefix="/api/v1/widget/{inbox_key}", tags=["widget"])
router = APIRouter(prefix="/api/v1", tags=["surveys"])


@widget_router.get("/conversations/{conversation_id}/survey", response_model=VisitorSurveyOut)
async def widget_survey(
    inbox_key: str,
    conversation_id: str,
    request: Request,
    runtime: RuntimeDep,
    x_kefu_visitor: VisitorToken = None,
) -> VisitorSurveyOut:
    """Whether the customer is asked to rate this conversation, and what they answered."""
    async with runtime.db.read() as session:
        inbox, _, conversation = await load_visitor_conversation(
            session,
            runtime,
            request,
            inbox_key=inbox_key,
            token=x_kefu_visitor,
            public_id=conversation_id,
        )
        return await queries.get_visitor_survey(
            session=session, conversation=conversation, inbox=inbox
        )


@widget_router.post("/conversations/{conversation_id}/survey", response_model=VisitorSurveyOut)
async def widget_answer_survey(
    inbox_key: str,
    conversation_id: str,
    body: SurveyAnswerIn,
    request: Request,
    runtime: RuntimeDep,
    x_kefu_visitor: VisitorToken = None,
) -> VisitorSurveyOut:
    """Answer CSAT (1-5, optional comment) or NPS (0-10) for the resolved conversation."""
    async with runtime.db.write() as session:
        inbox, visitor, conversation = await load_visitor_conversation(
            session,
            runtime,
            request,
            inbox_key=inbox_key,
            token=x_kefu_visitor,
            public_id=conversation_id,
        )
        await actions.do_answer_survey(
            session,
            actor=visitor,
            conversation=conversation,
            inbox=inbox,
            kind=body.kind,
            score=body.score,
            comment=body.comment,
        )
        return await queries.get_visitor_survey(
            session=session, conversation=conversation, inbox=inbox
        )


@router.get(
    "/conversations/{conversation_id}/survey-responses", response_model=list[SurveyResponseOut]
)
async def conversation_survey_responses(
    conversation_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> list[SurveyResponseOut]:
    """The customer's answers in this conversation (every resolution), newest first."""
    async with runtime.db.read() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        return await queries.list_conversation_responses(
            session=session, conversation_id=conversation.id
        )


@router.get("/inboxes/{inbox_id}/surveys", response_model=SurveySettings)
async def get_inbox_surveys(inbox_id: IdPath, actor: Agent, runtime: RuntimeDep) -> SurveySettings:
    """Which surveys the inbox asks (its members may read; admins change it)."""
    async with runtime.db.read() as session:
        inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
    return survey_settings(inbox)


@router.put("/inboxes/{inbox_id}/surveys", response_model=SurveySettings)
async def put_inbox_surveys(
    inbox_id: IdPath, body: SurveySettings, actor: Agent, runtime: RuntimeDep
) -> SurveySettings:
    async with runtime.db.write() as session:
        inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
        require_admin(actor)
        return await actions.do_update_survey_settings(
            session, actor=actor, inbox=inbox, settings=body
        )
