"""The tag catalogue (everyone reads; admins write) and the tags on a conversation."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdPath
from kefu.conversations.queries import access_conversation
from kefu.conversations.schemas import ConversationOut, conversation_out
from kefu.tags import actions, queries
from kefu.tags.schemas import ConversationTagsIn, TagCreate, TagOut, TagUpdate, tag_out

router = APIRouter(prefix="/api/v1", tags=["tags"])


@router.get("/tags", response_model=list[TagOut])
async def list_tags(actor: Agent, runtime: RuntimeDep) -> list[TagOut]:
    async with runtime.db.read() as session:
        tags = await queries.list_tags(session=session)
    return [tag_out(t) for t in tags]


@router.post("/tags", response_model=TagOut, status_code=201)
async def create_tag(body: TagCreate, actor: Agent, runtime: RuntimeDep) -> TagOut:
    async with runtime.db.write() as session:
        tag = await actions.do_create_tag(session, actor=actor, name=body.name, colour=body.colour)
    return tag_out(tag)


@router.patch("/tags/{tag_id}", response_model=TagOut)
async def update_tag(tag_id: IdPath, body: TagUpdate, actor: Agent, runtime: RuntimeDep) -> TagOut:
    async with runtime.db.write() as session:
        tag = await queries.access_tag(session=session, tag_id=tag_id)
        tag = await actions.do_update_tag(
            session, actor=actor, tag=tag, name=body.name, colour=body.colour
        )
    return tag_out(tag)


@router.delete("/tags/{tag_id}", status_code=204)
async def delete_tag(tag_id: IdPath, actor: Agent, runtime: RuntimeDep) -> None:
    async with runtime.db.write() as session:
        tag = await queries.access_tag(session=session, tag_id=tag_id)
        await actions.do_delete_tag(session, actor=actor, tag=tag)


@router.post("/conversations/{conversation_id}/tags", response_model=ConversationOut)
async def change_conversation_tags(
    conversation_id: IdPath, body: ConversationTagsIn, actor: Agent, runtime: RuntimeDep
) -> ConversationOut:
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        conversation = await actions.do_change_conversation_tags(
            session, actor=actor, conversation=conversation, add=body.add, remove=body.remove
        )
    return conversation_out(conversation)
