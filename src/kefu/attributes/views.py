"""Custom attribute definitions (admins manage, every agent reads) and conversations' values."""

from __future__ import annotations

from fastapi import APIRouter, Response

from kefu.attributes import actions, queries
from kefu.attributes.schemas import (
    AttributesIn,
    DefinitionCreate,
    DefinitionOut,
    DefinitionUpdate,
    Scope,
)
from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdPath
from kefu.conversations.queries import access_conversation
from kefu.conversations.schemas import ConversationOut, conversation_out

router = APIRouter(prefix="/api/v1", tags=["attributes"])


@router.get("/attribute-definitions", response_model=list[DefinitionOut])
async def list_definitions(
    actor: Agent, runtime: RuntimeDep, scope: Scope | None = None
) -> list[DefinitionOut]:
    async with runtime.db.read() as session:
        rows = await queries.list_definitions(session=session, scope=scope)
    return [DefinitionOut.model_validate(r) for r in rows]


@router.post("/attribute-definitions", response_model=DefinitionOut, status_code=201)
async def create_definition(
    body: DefinitionCreate, actor: Agent, runtime: RuntimeDep
) -> DefinitionOut:
    async with runtime.db.write() as session:
        definition = await actions.do_create_definition(session, actor=actor, **body.model_dump())
    return DefinitionOut.model_validate(definition)


@router.patch("/attribute-definitions/{definition_id}", response_model=DefinitionOut)
async def update_definition(
    definition_id: IdPath, body: DefinitionUpdate, actor: Agent, runtime: RuntimeDep
) -> DefinitionOut:
    async with runtime.db.write() as session:
        definition = await queries.get_definition(session=session, definition_id=definition_id)
        definition = await actions.do_update_definition(
            session, actor=actor, definition=definition, **body.model_dump(exclude_unset=True)
        )
    return DefinitionOut.model_validate(definition)


@router.delete("/attribute-definitions/{definition_id}", status_code=204)
async def delete_definition(definition_id: IdPath, actor: Agent, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as session:
        definition = await queries.get_definition(session=session, definition_id=definition_id)
        await actions.do_delete_definition(session, actor=actor, definition=definition)
    return Response(status_code=204)


@router.patch("/conversations/{conversation_id}/attributes", response_model=ConversationOut)
async def set_conversation_attributes(
    conversation_id: IdPath, body: AttributesIn, actor: Agent, runtime: RuntimeDep
) -> ConversationOut:
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        conversation = await actions.do_set_conversation_attributes(
            session, actor=actor, conversation=conversation, changes=body.attributes
        )
    return conversation_out(conversation)
