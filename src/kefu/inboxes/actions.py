from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import Principal
from kefu.auth.sealing import SecretBox
from kefu.channels.settings import check_channel_type, merged_secrets, validated_config
from kefu.conversations.visibility import (
    AgentVisibility,
    ReplyPermission,
    agent_visibility,
)
from kefu.errors import InvalidInput
from kefu.events import types
from kefu.events.bus import send_event_on_commit
from kefu.events.types import Event
from kefu.inboxes.models import Inbox, InboxMember
from kefu.teams.actions import check_user_ids
from kefu.teams.models import Team


async def do_create_inbox(
    session: AsyncSession,
    *,
    actor: Principal,
    name: str,
    greeting: str = "",
    color: str = "#1f6feb",
    locale: str = "zh-TW",
    allowed_origins: Sequence[str] = (),
    team_id: int | None = None,
    member_ids: Sequence[int] = (),
    channel_type: str = "web",
    channel_config: Mapping[str, Any] | None = None,
    channel_secrets: Mapping[str, str] | None = None,
    box: SecretBox | None = None,
    allow_private_urls: bool = False,
) -> Inbox:
    """A new inbox; a channel inbox (LINE, WhatsApp...) with its provider settings and secrets,
    checked by its adapter (kefu.channels.settings) and sealed with `box`."""
    require_admin(actor)
    await _check_team(session, team_id)
    adapter = check_channel_type(channel_type)
    config: dict[str, Any] = {}
    sealed = None
    if adapter is not None:
        if box is None:
            raise ValueError("channel inboxes need the secret box")
        config = validated_config(
            adapter, dict(channel_config or {}), allow_private_urls=allow_private_urls
        )
        sealed = merged_secrets(adapter, box, None, dict(channel_secrets or {}))
    inbox = Inbox(
        public_key=secrets.token_urlsafe(16),
        name=name.strip(),
        channel_type=channel_type,
        channel_config=config,
        channel_secrets=sealed,
        channel_state={},
        greeting=greeting,
        color=color,
        locale=locale,
        allowed_origins=list(allowed_origins),
        team_id=team_id,
        settings={},
    )
    session.add(inbox)
    await session.flush()
    await _set_members(session, inbox, member_ids)
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="inbox.created",
        target_type="inbox",
        target_id=inbox.id,
        name=inbox.name,
        channel_type=channel_type,
        secrets_set=sorted(channel_secrets or {}),  # names only, never values
    )
    return inbox


async def do_update_inbox(
    session: AsyncSession,
    *,
    actor: Principal,
    inbox: Inbox,
    name: str | None = None,
    greeting: str | None = None,
    color: str | None = None,
    locale: str | None = None,
    allowed_origins: Sequence[str] | None = None,
    team_id: int | None = None,
    member_ids: Sequence[int] | None = None,
    agent_visibility: AgentVisibility | None = None,
    reply_permission: ReplyPermission | None = None,
    channel_config: Mapping[str, Any] | None = None,
    channel_secrets: Mapping[str, str | None] | None = None,
    box: SecretBox | None = None,
    allow_private_urls: bool = False,
) -> Inbox:
    require_admin(actor)
    changes: dict[str, object] = {}
    if channel_config is not None or channel_secrets is not None:
        adapter = check_channel_type(inbox.channel_type)
        if adapter is None or box is None:
            raise InvalidInput(
                "Only channel inboxes have channel settings.", code="not_a_channel_inbox"
            )
        if channel_config is not None:
            inbox.channel_config = validated_config(
                adapter, dict(channel_config), allow_private_urls=allow_private_urls
            )
            changes["channel_config"] = inbox.channel_config
        if channel_secrets is not None:
            inbox.channel_secrets = merged_secrets(
                adapter, box, inbox.channel_secrets, dict(channel_secrets)
            )
            changes["secrets_changed"] = sorted(channel_secrets)  # names only
    access = {"agent_visibility": agent_visibility, "reply_permission": reply_permission}
    access = {k: v for k, v in access.items() if v is not None and inbox.settings.get(k) != v}
    if access:
        # A new dict: the JSON column is not mutation-tracked.
        inbox.settings = {**inbox.settings, **access}
        changes.update(access)
    for field, value in (
        ("name", name),
        ("greeting", greeting),
        ("color", color),
        ("locale", locale),
    ):
        if value is not None:
            setattr(inbox, field, value)
            changes[field] = value
    if allowed_origins is not None:
        inbox.allowed_origins = changes["allowed_origins"] = list(allowed_origins)
    if team_id is not None:
        await _check_team(session, team_id)
        inbox.team_id = changes["team_id"] = team_id
    if member_ids is not None:
        changes["member_ids"] = await _set_members(session, inbox, member_ids)
    elif "agent_visibility" in access:
        await _announce_members(session, inbox, await _member_ids(session, inbox))
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="inbox.updated",
        target_type="inbox",
        target_id=inbox.id,
        **changes,
    )
    return inbox


async def _check_team(session: AsyncSession, team_id: int | None) -> None:
    if team_id is not None and await session.get(Team, team_id) is None:
        raise InvalidInput("Unknown team.", code="unknown_team")


async def _set_members(session: AsyncSession, inbox: Inbox, member_ids: Sequence[int]) -> list[int]:
    wanted = await check_user_ids(session, member_ids)
    await session.execute(delete(InboxMember).where(InboxMember.inbox_id == inbox.id))
    session.add_all(InboxMember(inbox_id=inbox.id, user_id=uid) for uid in wanted)
    await session.flush()
    await _announce_members(session, inbox, wanted)
    return wanted


async def _member_ids(session: AsyncSession, inbox: Inbox) -> list[int]:
    rows = await session.scalars(
        select(InboxMember.user_id).where(InboxMember.inbox_id == inbox.id)
    )
    return list(rows)


async def _announce_members(session: AsyncSession, inbox: Inbox, member_ids: list[int]) -> None:
    """Open consoles learn the membership and the visibility rule, and start (or stop)
    receiving this inbox's events."""
    send_event_on_commit(
        session,
        Event(
            type=types.INBOX_CHANGED,
            inbox_id=inbox.id,
            agent={
                "type": types.INBOX_CHANGED,
                "inbox_id": inbox.id,
                "member_ids": member_ids,
                "agent_visibility": agent_visibility(inbox.settings or {}),
            },
        ),
    )
