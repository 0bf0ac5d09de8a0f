"""Transcript endpoints: the customer's email request (widget) and the agents' HTML export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdPath
from kefu.channels.web.views import VisitorToken, load_visitor_conversation
from kefu.conversations.queries import access_conversation
from kefu.transcripts.actions import do_request_transcript
from kefu.transcripts.queries import transcript_messages, transcript_view
from kefu.transcripts.render import CSP, render_html
from kefu.transcripts.schemas import TranscriptRequestIn, TranscriptRequestOut

widget_router = APIRouter(prefix="/api/v1/widget/{inbox_key}", tags=["widget"])
router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@widget_router.post(
    "/conversations/{conversation_id}/transcript", response_model=TranscriptRequestOut
)
async def widget_request_transcript(
    inbox_key: str,
    conversation_id: str,
    body: TranscriptRequestIn,
    request: Request,
    runtime: RuntimeDep,
    x_kefu_visitor: VisitorToken = None,
) -> TranscriptRequestOut:
    """Email the conversation to the customer's own address (see docs/surveys.md)."""
    async with runtime.db.write() as session:
        _, visitor, conversation = await load_visitor_conversation(
            session,
            runtime,
            request,
            inbox_key=inbox_key,
            token=x_kefu_visitor,
            public_id=conversation_id,
        )
        sent_to = await do_request_transcript(
            session,
            actor=visitor,
            conversation=conversation,
            email=body.email,
            email_enabled=runtime.settings.email_enabled,
        )
    return TranscriptRequestOut(sent_to=sent_to)


@router.get(
    "/{conversation_id}/transcript",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "An HTML file (download)."}},
)
async def export_transcript(
    conversation_id: IdPath,
    actor: Agent,
    runtime: RuntimeDep,
    include_notes: Annotated[bool, Query()] = False,
) -> Response:
    """The conversation as one self-contained HTML file, downloaded (never rendered by kefu).
    Internal notes only when asked (`include_notes=true`); the file then says so at the top."""
    async with runtime.db.read() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        view = await transcript_view(
            session=session,
            conversation=conversation,
            locale=actor.user.locale,
            for_customer=False,
            includes_notes=include_notes,
        )
        messages = await transcript_messages(
            session=session, conversation_id=conversation.id, include_notes=include_notes
        )
    filename = f"conversation-{conversation.id}.html"
    return Response(
        render_html(view, messages),
        media_type="text/html; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "content-security-policy": f"{CSP}; sandbox",
            "cache-control": "no-store",
        },
    )
