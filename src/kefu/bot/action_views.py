"""Admin API for the bot's HTTP actions: /api/v1/bot/actions (admins only)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.sealing import SecretBox
from kefu.bot import action_admin
from kefu.bot.action_schemas import (
    ActionCreate,
    ActionOut,
    ActionTest,
    ActionTestOut,
    ActionUpdate,
    action_out,
)
from kefu.bot.http_actions import open_action_secret, run_action
from kefu.bounds import IdPath
from kefu.runtime import Runtime

router = APIRouter(prefix="/api/v1/bot/actions", tags=["bot"])


def _box(runtime: Runtime) -> SecretBox:
    return SecretBox(runtime.settings.effective_secret_key)


@router.get("", response_model=list[ActionOut])
async def list_actions(actor: Agent, runtime: RuntimeDep) -> list[ActionOut]:
    async with runtime.db.read() as session:
        actions = await action_admin.list_actions(session=session, actor=actor)
    return [action_out(a) for a in actions]


@router.post("", response_model=ActionOut, status_code=201)
async def create_action(body: ActionCreate, actor: Agent, runtime: RuntimeDep) -> ActionOut:
    async with runtime.db.write() as session:
        action = await action_admin.do_create_bot_action(
            session,
            actor=actor,
            values=body.model_dump(exclude={"secret"}),
            secret=body.secret,
            box=_box(runtime),
            allow_private_urls=runtime.settings.channel_allow_private_urls,
        )
    return action_out(action)


@router.get("/{action_id}", response_model=ActionOut)
async def get_action(action_id: IdPath, actor: Agent, runtime: RuntimeDep) -> ActionOut:
    async with runtime.db.read() as session:
        action = await action_admin.access_action(session=session, actor=actor, action_id=action_id)
    return action_out(action)


@router.patch("/{action_id}", response_model=ActionOut)
async def update_action(
    action_id: IdPath, body: ActionUpdate, actor: Agent, runtime: RuntimeDep
) -> ActionOut:
    async with runtime.db.write() as session:
        action = await action_admin.access_action(session=session, actor=actor, action_id=action_id)
        action = await action_admin.do_update_bot_action(
            session,
            actor=actor,
            action=action,
            changes=body.model_dump(exclude_unset=True),
            box=_box(runtime),
            allow_private_urls=runtime.settings.channel_allow_private_urls,
        )
    return action_out(action)


@router.delete("/{action_id}", status_code=204)
async def delete_action(action_id: IdPath, actor: Agent, runtime: RuntimeDep) -> None:
    async with runtime.db.write() as session:
        action = await action_admin.access_action(session=session, actor=actor, action_id=action_id)
        await action_admin.do_delete_bot_action(session, actor=actor, action=action)


@router.post("/{action_id}/test", response_model=ActionTestOut)
async def test_action(
    action_id: IdPath, body: ActionTest, actor: Agent, runtime: RuntimeDep
) -> ActionTestOut:
    """Run the action once with `value`, as the bot would (disabled actions too): the filled
    answer, or why it failed."""
    async with runtime.db.read() as session:
        action = await action_admin.access_action(session=session, actor=actor, action_id=action_id)
    async with httpx.AsyncClient(follow_redirects=False) as http:
        result = await run_action(
            http,
            action,
            body.value,
            secret=open_action_secret(_box(runtime), action),
            locale=body.locale,
            allow_private_urls=runtime.settings.channel_allow_private_urls,
        )
    return ActionTestOut(
        ok=result.ok, not_found=result.not_found, text=result.text, error=result.error
    )
