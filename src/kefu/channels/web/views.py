"""The website widget's HTTP API. Visitors authenticate with a signed token (X-Kefu-Visitor)
scoped to their own contact in one inbox; the page's Origin must be allowed for the inbox."""

from __future__ import annotations

from typing import Annotated, NamedTuple

from fastapi import APIRouter, Header, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.attachments.schemas import widget_attachments
from kefu.auth.dependencies import RuntimeDep, authenticate_visitor
from kefu.auth.principals import VisitorPrincipal
from kefu.bounds import BeforeSeqQuery, SeqQuery
from kefu.channels.web.origins import origin_allowed, origin_of
from kefu.channels.web.schemas import (
    WidgetConfigOut,
    WidgetMessageIn,
    WidgetMessagePage,
    WidgetMessageSent,
    WidgetPrechatOut,
    WidgetSessionOut,
    WidgetTopicOut,
)
from kefu.contacts.actions import do_create_visitor
from kefu.conversations.actions import do_mark_read_by_visitor, do_start_visitor_conversation
from kefu.conversations.models import Conversation
from kefu.conversations.queries import (
    access_visitor_conversation,
    get_current_visitor_conversation,
)
from kefu.conversations.schemas import ReadIn, visitor_conversation_out
from kefu.db import utcnow
from kefu.errors import NotFound, PermissionDenied
from kefu.inboxes.models import Inbox
from kefu.inboxes.queries import get_inbox_by_key
from kefu.kb.queries import has_published_articles
from kefu.messages.actions import DuplicateSend, do_send_visitor_message
from kefu.messages.queries import list_messages
from kefu.messages.schemas import visitor_message_out
from kefu.routing.hours import BusinessHours, is_open
from kefu.routing.queries import queue_place
from kefu.routing.settings import routing_settings
from kefu.runtime import Runtime

router = APIRouter(prefix="/api/v1/widget/{inbox_key}", tags=["widget"])

VisitorToken = Annotated[str | None, Header(alias="X-Kefu-Visitor", max_length=500)]


async def load_inbox(
    session: AsyncSession, runtime: Runtime, inbox_key: str, origin: str | None
) -> Inbox:
    inbox = await get_inbox_by_key(session=session, public_key=inbox_key)
    if inbox is None:
        raise NotFound("Inbox not found.")
    if not origin_allowed(inbox, origin, own_origin=origin_of(runtime.settings.base_url())):
        raise PermissionDenied("This site may not use this chat.", code="origin_not_allowed")
    return inbox


class VisitorConversation(NamedTuple):
    inbox: Inbox
    visitor: VisitorPrincipal
    conversation: Conversation


async def load_visitor_conversation(
    session: AsyncSession,
    runtime: Runtime,
    request: Request,
    *,
    inbox_key: str,
    token: str | None,
    public_id: str,
) -> VisitorConversation:
    """The checks every widget call on one conversation makes, in order: the inbox and the page's
    origin, the visitor token, then that the conversation is this visitor's (NotFound if not)."""
    inbox = await load_inbox(session, runtime, inbox_key, request.headers.get("origin"))
    visitor = await authenticate_visitor(runtime, token, inbox.id, session=session)
    conversation = await access_visitor_conversation(
        session=session, visitor=visitor, public_id=public_id
    )
    return VisitorConversation(inbox, visitor, conversation)


@router.get("/config", response_model=WidgetConfigOut)
async def widget_config(inbox_key: str, request: Request, runtime: RuntimeDep) -> WidgetConfigOut:
    async with runtime.db.read() as session:
        inbox = await load_inbox(session, runtime, inbox_key, request.headers.get("origin"))
        help_articles = await has_published_articles(session=session)
    settings = routing_settings(inbox)
    form = settings.prechat
    prechat = None
    if form.enabled:
        prechat = WidgetPrechatOut(
            ask_name=form.ask_name,
            ask_email=form.ask_email,
            ask_phone=form.ask_phone,
            require_contact=form.require_contact,
            topics=[
                WidgetTopicOut(key=t.key, label=t.label.pick(inbox.locale) or t.key)
                for t in settings.topics
            ],
        )
    hours = BusinessHours.from_settings(settings.business_hours)
    return WidgetConfigOut(
        name=inbox.name,
        greeting=inbox.greeting,
        color=inbox.color,
        locale=inbox.locale,
        prechat=prechat,
        open_now=None if hours.always_open else is_open(hours, utcnow()),
        transcript=runtime.settings.email_enabled,
        attachments=widget_attachments(inbox, hard_cap=runtime.settings.max_upload_bytes),
        help_articles=help_articles,
    )


@router.get("/session", response_model=WidgetSessionOut)
async def widget_session(
    inbox_key: str, request: Request, runtime: RuntimeDep, x_kefu_visitor: VisitorToken = None
) -> WidgetSessionOut:
    """The visitor's current conversation and latest messages (reloads, return visits)."""
    async with runtime.db.read() as session:
        inbox = await load_inbox(session, runtime, inbox_key, request.headers.get("origin"))
        visitor = await authenticate_visitor(runtime, x_kefu_visitor, inbox.id, session=session)
        conversation = await get_current_visitor_conversation(session=session, visitor=visitor)
        if conversation is None:
            return WidgetSessionOut(conversation=None, messages=[], has_more=False)
        messages, has_more = await list_messages(
            session=session, conversation_id=conversation.id, public_only=True
        )
        queue = await queue_place(session=session, conversation=conversation)
    return WidgetSessionOut(
        conversation=visitor_conversation_out(conversation, queue=queue),
        messages=[visitor_message_out(m) for m in messages],
        has_more=has_more,
    )


@router.post("/messages", response_model=WidgetMessageSent)
async def widget_send(
    inbox_key: str,
    body: WidgetMessageIn,
    request: Request,
    runtime: RuntimeDep,
    x_kefu_visitor: VisitorToken = None,
) -> WidgetMessageSent:
    """Send a message; without a token this creates the visitor and their conversation."""
    created = True
    try:
        async with runtime.db.write() as session:
            inbox = await load_inbox(session, runtime, inbox_key, request.headers.get("origin"))
            if x_kefu_visitor:
                visitor = await authenticate_visitor(
                    runtime, x_kefu_visitor, inbox.id, session=session
                )
            else:
                contact = await do_create_visitor(session, inbox=inbox)
                visitor = VisitorPrincipal(contact_id=contact.id, inbox_id=inbox.id)
            conversation, _ = await do_start_visitor_conversation(
                session, actor=visitor, inbox=inbox, prechat=body.prechat
            )
            message = await do_send_visitor_message(
                session,
                actor=visitor,
                conversation=conversation,
                text=body.text,
                client_msg_id=body.client_msg_id,
            )
    except DuplicateSend as retry:  # the same send again: answer with the original
        message, conversation = await retry.original(runtime.db)
        created = False
    token = runtime.signer.sign_visitor(visitor.contact_id, visitor.inbox_id)
    return WidgetMessageSent(
        visitor_token=token,
        conversation=visitor_conversation_out(conversation),
        message=visitor_message_out(message),
        created=created,
    )


@router.get("/conversations/{conversation_id}/messages", response_model=WidgetMessagePage)
async def widget_messages(
    inbox_key: str,
    conversation_id: str,
    request: Request,
    runtime: RuntimeDep,
    x_kefu_visitor: VisitorToken = None,
    after_seq: SeqQuery = None,
    before_seq: BeforeSeqQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> WidgetMessagePage:
    async with runtime.db.read() as session:
        _, _, conversation = await load_visitor_conversation(
            session,
            runtime,
            request,
            inbox_key=inbox_key,
            token=x_kefu_visitor,
            public_id=conversation_id,
        )
        messages, has_more = await list_messages(
            session=session,
            conversation_id=conversation.id,
            after_seq=after_seq,
            before_seq=before_seq,
            limit=limit,
            public_only=True,
        )
    return WidgetMessagePage(messages=[visitor_message_out(m) for m in messages], has_more=has_more)


@router.post("/conversations/{conversation_id}/read", status_code=204)
async def widget_read(
    inbox_key: str,
    conversation_id: str,
    body: ReadIn,
    request: Request,
    runtime: RuntimeDep,
    x_kefu_visitor: VisitorToken = None,
) -> None:
    async with runtime.db.write() as session:
        _, visitor, conversation = await load_visitor_conversation(
            session,
            runtime,
            request,
            inbox_key=inbox_key,
            token=x_kefu_visitor,
            public_id=conversation_id,
        )
        await do_mark_read_by_visitor(
            session, actor=visitor, conversation=conversation, seq=body.seq
        )
