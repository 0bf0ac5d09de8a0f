"""REST endpoints of routing: presence, agents' loads, the queue, take / transfer / priority,
an inbox's routing settings, routing rules and SLA breaches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.permissions import require_admin
from kefu.auth.principals import AgentPrincipal
from kefu.bounds import IdPath, IdQuery
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.conversations.queries import access_conversation, conversation_scope
from kefu.conversations.schemas import ConversationOut, conversation_out
from kefu.db import utcnow
from kefu.errors import InvalidInput, NotFound
from kefu.inboxes.models import Inbox
from kefu.inboxes.queries import visible_inbox_ids
from kefu.routing import actions, configure, presence
from kefu.routing.models import SlaBreach
from kefu.routing.queries import agent_statuses, list_rules, queue_entries
from kefu.routing.schemas import (
    AgentRoutingIn,
    AgentStatusOut,
    PresenceIn,
    PriorityIn,
    QueueItemOut,
    RuleIn,
    RuleOrderIn,
    RuleOut,
    RuleUpdate,
    SlaBreachOut,
    TransferIn,
)
from kefu.routing.settings import RoutingSettings, routing_settings
from kefu.users.models import User

router = APIRouter(prefix="/api/v1", tags=["routing"])


def _is_lead(actor: AgentPrincipal) -> bool:
    return actor.user.role in ("admin", "supervisor")


async def _statuses(runtime: RuntimeDep, actor: AgentPrincipal) -> list[AgentStatusOut]:
    async with runtime.db.read() as session:
        return await agent_statuses(session=session, viewer_id=actor.user_id, lead=_is_lead(actor))


@router.get("/agents/status", response_model=list[AgentStatusOut])
async def agents_status(actor: Agent, runtime: RuntimeDep) -> list[AgentStatusOut]:
    """Everyone's presence; loads and capacities for supervisors and admins (agents: their own)."""
    return await _statuses(runtime, actor)


@router.put("/agents/{user_id}/presence", response_model=AgentStatusOut)
async def set_presence(
    user_id: IdPath, body: PresenceIn, actor: Agent, runtime: RuntimeDep
) -> AgentStatusOut:
    """Your own presence (online / busy / away / offline); supervisors may set anyone's."""
    async with runtime.db.write() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise NotFound("User not found.")
        await presence.do_set_presence(session, actor=actor, user=user, presence=body.presence)
    return next(s for s in await _statuses(runtime, actor) if s.user_id == user_id)


@router.put("/agents/{user_id}/routing", response_model=AgentStatusOut)
async def set_agent_routing(
    user_id: IdPath, body: AgentRoutingIn, actor: Agent, runtime: RuntimeDep
) -> AgentStatusOut:
    """An agent's own capacity (null: the inbox default) and skills. Supervisors and admins."""
    async with runtime.db.write() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise NotFound("User not found.")
        await presence.do_update_agent_routing(
            session,
            actor=actor,
            user=user,
            max_conversations=body.max_conversations,
            skills=body.skills,
        )
    return next(s for s in await _statuses(runtime, actor) if s.user_id == user_id)


@router.get("/queue", response_model=list[QueueItemOut])
async def get_queue(
    actor: Agent, runtime: RuntimeDep, inbox_id: IdQuery = None
) -> list[QueueItemOut]:
    """Waiting conversations of the inboxes you can see, in queue order per inbox."""
    now = utcnow()
    async with runtime.db.read() as session:
        visible = await visible_inbox_ids(session=session, actor=actor)
        query = select(Inbox.id).order_by(Inbox.id)
        if visible is not None:
            query = query.where(Inbox.id.in_(visible))
        if inbox_id is not None:
            query = query.where(Inbox.id == inbox_id)
        items: list[QueueItemOut] = []
        for iid in await session.scalars(query):
            entries = await queue_entries(session=session, inbox_id=iid)
            if not entries:
                continue
            details = {
                c.id: c
                for c in await session.scalars(
                    select(Conversation).where(
                        Conversation.id.in_([e.conversation_id for e in entries])
                    )
                )
            }
            contacts = await _contact_names(session, [e.contact_id for e in entries])
            items.extend(
                QueueItemOut(
                    conversation_id=e.conversation_id,
                    inbox_id=iid,
                    team_id=e.team_id,
                    contact_id=e.contact_id,
                    contact_name=contacts.get(e.contact_id, ""),
                    queue_number=e.queue_number,
                    priority=e.priority,
                    position=e.ahead + 1,
                    queued_at=e.queued_at,
                    wait_seconds=max(0.0, (now - e.queued_at).total_seconds()),
                    preview=details[e.conversation_id].last_message_preview,
                )
                for e in entries
            )
    return items


async def _contact_names(session: AsyncSession, contact_ids: list[int]) -> dict[int, str]:
    rows = await session.execute(
        select(Contact.id, Contact.name).where(Contact.id.in_(contact_ids))
    )
    return {cid: name for cid, name in rows}


@router.post("/conversations/{conversation_id}/take", response_model=ConversationOut)
async def take(conversation_id: IdPath, actor: Agent, runtime: RuntimeDep) -> ConversationOut:
    """Take a waiting conversation for yourself (if the inbox allows it), within capacity."""
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        await actions.do_take_conversation(session, actor=actor, conversation=conversation)
    return conversation_out(conversation)


@router.post("/conversations/{conversation_id}/transfer", response_model=ConversationOut)
async def transfer(
    conversation_id: IdPath, body: TransferIn, actor: Agent, runtime: RuntimeDep
) -> ConversationOut:
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        await actions.do_transfer_conversation(
            session,
            actor=actor,
            conversation=conversation,
            assignee_id=body.assignee_id,
            team_id=body.team_id,
            note=body.note,
            force=body.force,
        )
    return conversation_out(conversation)


@router.post("/conversations/{conversation_id}/priority", response_model=ConversationOut)
async def set_priority(
    conversation_id: IdPath, body: PriorityIn, actor: Agent, runtime: RuntimeDep
) -> ConversationOut:
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        await actions.do_set_priority(
            session, actor=actor, conversation=conversation, priority=body.priority
        )
    return conversation_out(conversation)


async def _admin_inbox(runtime: RuntimeDep, actor: AgentPrincipal, inbox_id: int) -> Inbox:
    require_admin(actor)
    async with runtime.db.read() as session:
        inbox = await session.get(Inbox, inbox_id)
    if inbox is None:
        raise NotFound("Inbox not found.")
    return inbox


@router.get("/inboxes/{inbox_id}/routing", response_model=RoutingSettings)
async def get_inbox_routing(inbox_id: IdPath, actor: Agent, runtime: RuntimeDep) -> RoutingSettings:
    """The inbox's routing settings (admins): auto-assignment, capacity, hours, replies, SLA,
    pre-chat form and topics."""
    return routing_settings(await _admin_inbox(runtime, actor, inbox_id))


@router.put("/inboxes/{inbox_id}/routing", response_model=RoutingSettings)
async def put_inbox_routing(
    inbox_id: IdPath, body: RoutingSettings, actor: Agent, runtime: RuntimeDep
) -> RoutingSettings:
    require_admin(actor)
    async with runtime.db.write() as session:
        inbox = await session.get(Inbox, inbox_id)
        if inbox is None:
            raise NotFound("Inbox not found.")
        await configure.do_update_inbox_routing(session, actor=actor, inbox=inbox, settings=body)
    return body


@router.get("/routing/rules", response_model=list[RuleOut])
async def get_rules(actor: Agent, runtime: RuntimeDep) -> list[RuleOut]:
    require_admin(actor)
    async with runtime.db.read() as session:
        return [RuleOut.model_validate(r) for r in await list_rules(session=session)]


@router.post("/routing/rules", response_model=RuleOut, status_code=201)
async def create_rule(body: RuleIn, actor: Agent, runtime: RuntimeDep) -> RuleOut:
    async with runtime.db.write() as session:
        rule = await configure.do_create_rule(
            session,
            actor=actor,
            name=body.name,
            conditions=body.conditions,
            actions=body.actions,
            enabled=body.enabled,
        )
    return RuleOut.model_validate(rule)


@router.patch("/routing/rules/{rule_id}", response_model=RuleOut)
async def update_rule(
    rule_id: IdPath, body: RuleUpdate, actor: Agent, runtime: RuntimeDep
) -> RuleOut:
    require_admin(actor)
    async with runtime.db.write() as session:
        rule = await configure.get_rule(session, rule_id)
        await configure.do_update_rule(
            session,
            actor=actor,
            rule=rule,
            name=body.name,
            conditions=body.conditions,
            actions=body.actions,
            enabled=body.enabled,
        )
    return RuleOut.model_validate(rule)


@router.delete("/routing/rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: IdPath, actor: Agent, runtime: RuntimeDep) -> None:
    require_admin(actor)
    async with runtime.db.write() as session:
        rule = await configure.get_rule(session, rule_id)
        await configure.do_delete_rule(session, actor=actor, rule=rule)


@router.put("/routing/rules-order", response_model=list[RuleOut])
async def reorder_rules(body: RuleOrderIn, actor: Agent, runtime: RuntimeDep) -> list[RuleOut]:
    async with runtime.db.write() as session:
        rules = await configure.do_reorder_rules(session, actor=actor, rule_ids=body.rule_ids)
    return [RuleOut.model_validate(r) for r in rules]


@router.get("/sla/breaches", response_model=list[SlaBreachOut])
async def sla_breaches(
    actor: Agent,
    runtime: RuntimeDep,
    inbox_id: IdQuery = None,
    since: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SlaBreachOut]:
    """Recent SLA breaches in the inboxes you can see, newest first."""
    async with runtime.db.read() as session:
        scope = await conversation_scope(session=session, actor=actor)
        query = select(SlaBreach).order_by(SlaBreach.breached_at.desc(), SlaBreach.id.desc())
        if scope is not None:
            query = query.join(Conversation, Conversation.id == SlaBreach.conversation_id).where(
                scope
            )
        if inbox_id is not None:
            query = query.where(SlaBreach.inbox_id == inbox_id)
        if since is not None:
            if since.tzinfo is None:
                raise InvalidInput("`since` needs a timezone.", code="naive_datetime")
            query = query.where(SlaBreach.breached_at >= since)
        rows = await session.scalars(query.limit(limit))
        return [SlaBreachOut.model_validate(r) for r in rows]
