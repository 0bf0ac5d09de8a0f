"""Console/REST endpoints for a conversation's scheduled messages."""

from __future__ import annotations

from fastapi import APIRouter, Request

from kefu.auth.dependencies import Agent, RuntimeDep, authenticate_visitor
from kefu.bounds import IdPath
from kefu.channels.web.views import VisitorToken, load_inbox
from kefu.contacts.models import Contact
from kefu.contacts.timezone import do_record_contact_timezone
from kefu.conversations.queries import access_conversation
from kefu.scheduled import actions, queries
from kefu.scheduled.schemas import (
    ScheduledListOut,
    ScheduledMessageOut,
    ScheduleIn,
    TimezoneIn,
    scheduled_out,
)

router = APIRouter(prefix="/api/v1/conversations", tags=["scheduled messages"])
widget_router = APIRouter(prefix="/api/v1/widget/{inbox_key}", tags=["widget"])


@widget_router.post("/timezone", status_code=204)
async def widget_timezone(
    inbox_key: str,
    body: TimezoneIn,
    request: Request,
    runtime: RuntimeDep,
    x_kefu_visitor: VisitorToken = None,
) -> None:
    """The visitor's browser timezone (Intl), so that agents can schedule messages in it."""
    async with runtime.db.write() as session:
        inbox = await load_inbox(session, runtime, inbox_key, request.headers.get("origin"))
        visitor = await authenticate_visitor(runtime, x_kefu_visitor, inbox.id, session=session)
        await do_record_contact_timezone(session, actor=visitor, timezone=body.timezone)


@router.get("/{conversation_id}/scheduled-messages", response_model=ScheduledListOut)
async def list_scheduled(
    conversation_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> ScheduledListOut:
    """The conversation's scheduled messages (every status), soonest first, and the customer's
    timezone for offering send times in it."""
    async with runtime.db.read() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        items = await queries.list_scheduled_messages(
            session=session, conversation_id=conversation.id
        )
        contact = await session.get(Contact, conversation.contact_id)
    return ScheduledListOut(
        items=[scheduled_out(i) for i in items],
        contact_timezone=contact.timezone if contact is not None else None,
    )


@router.post(
    "/{conversation_id}/scheduled-messages", response_model=ScheduledMessageOut, status_code=201
)
async def schedule(
    conversation_id: IdPath, body: ScheduleIn, actor: Agent, runtime: RuntimeDep
) -> ScheduledMessageOut:
    """Schedule a reply to be sent at `send_at` (an aware time at least a minute ahead)."""
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        item = await actions.do_schedule_message(
            session, actor=actor, conversation=conversation, text=body.text, send_at=body.send_at
        )
    return scheduled_out(item)


@router.post(
    "/{conversation_id}/scheduled-messages/{scheduled_id}/cancel",
    response_model=ScheduledMessageOut,
)
async def cancel(
    conversation_id: IdPath, scheduled_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> ScheduledMessageOut:
    """Cancel a pending scheduled message (its author, or a supervisor or admin)."""
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        item = await queries.get_scheduled_message(
            session=session, scheduled_id=scheduled_id, conversation_id=conversation.id
        )
        item = await actions.do_cancel_scheduled_message(
            session, actor=actor, conversation=conversation, item=item
        )
    return scheduled_out(item)
