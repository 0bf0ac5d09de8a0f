from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.permissions import require_admin
from kefu.auth.sealing import SecretBox
from kefu.bounds import IdPath
from kefu.channels.settings import adapter_of, secret_names
from kefu.channels.webhooks import webhook_url
from kefu.conversations.visibility import agent_visibility, reply_permission
from kefu.inboxes import actions, queries
from kefu.inboxes.models import Inbox
from kefu.inboxes.schemas import EmbedOut, InboxCreate, InboxOut, InboxUpdate
from kefu.runtime import Runtime

router = APIRouter(prefix="/api/v1/inboxes", tags=["inboxes"])


def _out(inbox: Inbox, member_ids: list[int], runtime: Runtime) -> InboxOut:
    out = InboxOut.model_validate(inbox)
    out.member_ids = member_ids
    out.agent_visibility = agent_visibility(inbox.settings or {})
    out.reply_permission = reply_permission(inbox.settings or {})
    adapter = adapter_of(inbox)
    if adapter is not None:
        out.channel_secrets_set = secret_names(_box(runtime), inbox.channel_secrets)
        if adapter.has_webhook:
            out.webhook_url = webhook_url(runtime.settings, inbox)
        if adapter.reply_window is not None:
            out.reply_window_hours = adapter.reply_window.total_seconds() / 3600
    return out


def _box(runtime: Runtime) -> SecretBox:
    return SecretBox(runtime.settings.effective_secret_key)


def _channel_options(runtime: Runtime) -> dict[str, Any]:
    return {
        "box": _box(runtime),
        "allow_private_urls": runtime.settings.channel_allow_private_urls,
    }


@router.get("", response_model=list[InboxOut])
async def list_inboxes(actor: Agent, runtime: RuntimeDep) -> list[InboxOut]:
    async with runtime.db.read() as session:
        inboxes = await queries.list_inboxes(session=session, actor=actor)
        members = await queries.inbox_member_ids(session=session, inbox_ids=[i.id for i in inboxes])
    return [_out(i, members[i.id], runtime) for i in inboxes]


@router.post("", response_model=InboxOut, status_code=201)
async def create_inbox(body: InboxCreate, actor: Agent, runtime: RuntimeDep) -> InboxOut:
    async with runtime.db.write() as session:
        inbox = await actions.do_create_inbox(
            session, actor=actor, **body.model_dump(), **_channel_options(runtime)
        )
        members = await queries.inbox_member_ids(session=session, inbox_ids=[inbox.id])
    return _out(inbox, members[inbox.id], runtime)


@router.get("/{inbox_id}", response_model=InboxOut)
async def get_inbox(inbox_id: IdPath, actor: Agent, runtime: RuntimeDep) -> InboxOut:
    async with runtime.db.read() as session:
        inbox = await queries.access_inbox(session=session, actor=actor, inbox_id=inbox_id)
        members = await queries.inbox_member_ids(session=session, inbox_ids=[inbox.id])
    return _out(inbox, members[inbox.id], runtime)


@router.patch("/{inbox_id}", response_model=InboxOut)
async def update_inbox(
    inbox_id: IdPath, body: InboxUpdate, actor: Agent, runtime: RuntimeDep
) -> InboxOut:
    async with runtime.db.write() as session:
        inbox = await queries.access_inbox(session=session, actor=actor, inbox_id=inbox_id)
        inbox = await actions.do_update_inbox(
            session,
            actor=actor,
            inbox=inbox,
            **body.model_dump(exclude_unset=True),
            **_channel_options(runtime),
        )
        members = await queries.inbox_member_ids(session=session, inbox_ids=[inbox.id])
    return _out(inbox, members[inbox.id], runtime)


@router.get("/{inbox_id}/embed", response_model=EmbedOut)
async def embed_snippet(inbox_id: IdPath, actor: Agent, runtime: RuntimeDep) -> EmbedOut:
    require_admin(actor)
    async with runtime.db.read() as session:
        inbox = await queries.access_inbox(session=session, actor=actor, inbox_id=inbox_id)
    script_url = f"{runtime.settings.base_url()}/widget.js"
    snippet = f'<script src="{script_url}" data-inbox="{inbox.public_key}" async></script>'
    return EmbedOut(script_url=script_url, snippet=snippet)
