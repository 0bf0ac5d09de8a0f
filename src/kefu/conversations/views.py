"""Console/REST endpoints for conversations and their messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import BeforeSeqQuery, IdPath, IdQuery, SeqQuery
from kefu.conversations import actions, queries
from kefu.conversations.schemas import (
    AssignIn,
    ConversationOut,
    ConversationPage,
    ReadIn,
    StatusIn,
    conversation_out,
)
from kefu.errors import InvalidInput
from kefu.messages.actions import DuplicateSend, do_send_agent_message
from kefu.messages.queries import list_messages
from kefu.messages.schemas import MessageCreate, MessageOut, MessagePage, message_out
from kefu.tags.names import MAX_NAME_CHARS

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get("", response_model=ConversationPage)
async def list_conversations(
    actor: Agent,
    runtime: RuntimeDep,
    assignee: queries.AssigneeFilter = "all",
    status: Annotated[str, Query(pattern="^(open|pending|snoozed|resolved|all)$")] = "open",
    inbox_id: IdQuery = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    tag: Annotated[list[str] | None, Query(max_length=5)] = None,
) -> ConversationPage:
    async with runtime.db.read() as session:
        rows, next_cursor = await queries.list_conversations(
            session=session,
            actor=actor,
            assignee=assignee,
            status=None if status == "all" else status,
            inbox_id=inbox_id,
            cursor=cursor,
            limit=limit,
            tags=_tag_filter(tag),
        )
    items = [conversation_out(c, unread_count=unread) for c, unread in rows]
    return ConversationPage(items=items, next_cursor=next_cursor)


def _tag_filter(tags: list[str] | None) -> list[str]:
    """`?tag=a&tag=b`: conversations carrying all of them (names in any case)."""
    names = [" ".join(t.split()) for t in tags or ()]
    if any(len(n) > MAX_NAME_CHARS for n in names):
        raise InvalidInput(
            "A tag name has at most 50 characters.", code="tag_name_too_long", max=MAX_NAME_CHARS
        )
    if any(ord(ch) < 32 for n in names for ch in n):
        raise InvalidInput("A tag name cannot contain control characters.", code="bad_tag_name")
    return [n for n in names if n]


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    conversation_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> ConversationOut:
    async with runtime.db.read() as session:
        conversation = await queries.access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
    return conversation_out(conversation)


@router.get("/{conversation_id}/messages", response_model=MessagePage)
async def get_messages(
    conversation_id: IdPath,
    actor: Agent,
    runtime: RuntimeDep,
    after_seq: SeqQuery = None,
    before_seq: BeforeSeqQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    async with runtime.db.read() as session:
        conversation = await queries.access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        messages, has_more = await list_messages(
            session=session,
            conversation_id=conversation.id,
            after_seq=after_seq,
            before_seq=before_seq,
            limit=limit,
        )
    name = conversation.contact.name
    return MessagePage(
        items=[message_out(m, contact_name=name) for m in messages], has_more=has_more
    )


@router.post("/{conversation_id}/messages", response_model=MessageOut, status_code=201)
async def send_message(
    conversation_id: IdPath, body: MessageCreate, actor: Agent, runtime: RuntimeDep
) -> MessageOut:
    try:
        async with runtime.db.write() as session:
            conversation = await queries.access_conversation(
                session=session, actor=actor, conversation_id=conversation_id
            )
            message = await do_send_agent_message(
                session,
                actor=actor,
                conversation=conversation,
                text=body.text,
                private=body.kind == "note",
                client_msg_id=body.client_msg_id,
                mentions=body.mentions,
            )
    except DuplicateSend as retry:  # the same send again: answer with the original
        message, conversation = await retry.original(runtime.db)
    return message_out(message, contact_name=conversation.contact.name)


@router.post("/{conversation_id}/assign", response_model=ConversationOut)
async def assign(
    conversation_id: IdPath, body: AssignIn, actor: Agent, runtime: RuntimeDep
) -> ConversationOut:
    async with runtime.db.write() as session:
        conversation = await queries.access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        conversation = await actions.do_assign_conversation(
            session, actor=actor, conversation=conversation, assignee_id=body.assignee_id
        )
    return conversation_out(conversation)


@router.post("/{conversation_id}/status", response_model=ConversationOut)
async def set_status(
    conversation_id: IdPath, body: StatusIn, actor: Agent, runtime: RuntimeDep
) -> ConversationOut:
    async with runtime.db.write() as session:
        conversation = await queries.access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        conversation = await actions.do_set_conversation_status(
            session, actor=actor, conversation=conversation, status=body.status
        )
    return conversation_out(conversation)


@router.post("/{conversation_id}/read", status_code=204)
async def mark_read(
    conversation_id: IdPath, body: ReadIn, actor: Agent, runtime: RuntimeDep
) -> None:
    async with runtime.db.write() as session:
        conversation = await queries.access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        await actions.do_mark_read_by_agent(
            session, actor=actor, conversation=conversation, seq=body.seq
        )
