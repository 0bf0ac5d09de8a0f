"""Conversations the customer left while still with the bot are resolved after the inbox's
`idle_resolve_hours`, and a customer who comes back is answered by the bot again; conversations
the bot queued for a person are never closed this way."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.runtime import Runtime
from tests.bot.helpers import activities, ask, latest, said_by
from tests.bot.kb import enable_bot, seed_kb
from tests.conftest import Workspace, agent_client


@pytest.fixture
async def bot_inbox(runtime: Runtime, workspace: Workspace) -> None:
    await seed_kb(runtime.db)
    await enable_bot(runtime.db, workspace.inbox.id)


async def quiet_for(runtime: Runtime, conversation_id: int, hours: float, **values: object) -> None:
    async with runtime.db.write() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(last_activity_at=utcnow() - timedelta(hours=hours), **values)
        )


async def test_a_conversation_left_with_the_bot_is_resolved_and_reopens_with_it(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace, bot_inbox: None
) -> None:
    token = await ask(client, runtime, workspace, "你好")
    admin = await agent_client(app, workspace.admin.email)
    conversation = await latest(admin)
    assert conversation["routing_state"] == "bot"
    await quiet_for(runtime, conversation["id"], hours=23)
    assert await runtime.bot.resolve_idle() == 0  # the default is 24 hours
    await quiet_for(runtime, conversation["id"], hours=25)
    assert await runtime.bot.resolve_idle() == 1
    conversation = await latest(admin)
    assert conversation["status"] == "resolved"
    [closed] = activities(conversation, "status_changed")
    assert closed == {"type": "status_changed", "from": "open", "to": "resolved", "by": "bot"}

    # The customer comes back: the bot answers the new question (not the queue, and not the
    # old "你好" again).
    before = len(said_by(conversation, "bot"))
    await ask(client, runtime, workspace, "運費多少", token)
    conversation = await latest(admin)
    assert conversation["status"] == "open" and conversation["routing_state"] == "bot"
    assert conversation["queued_at"] is None
    assert said_by(conversation, "bot")[before:] == ["單筆訂單滿 NT$1,000 免運費，未滿收 NT$80。"]
    await admin.aclose()


async def test_queued_or_handed_over_conversations_are_not_closed_by_the_bot(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace, bot_inbox: None
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    # Collecting contact details after hours: queued for a person, still in the bot phase.
    await ask(client, runtime, workspace, "你好")
    collecting = await latest(admin)
    await quiet_for(runtime, collecting["id"], hours=48, queued_at=utcnow())
    # Handed over: routed, a person's job now.
    await ask(client, runtime, workspace, "轉真人")
    assert (await latest(admin))["routing_state"] == "routed"
    handed = await latest(admin)
    await quiet_for(runtime, handed["id"], hours=48)
    assert await runtime.bot.resolve_idle() == 0
    assert (await latest(admin))["status"] == "open"
    await admin.aclose()


async def test_zero_hours_never_resolves(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace, bot_inbox: None
) -> None:
    await enable_bot(runtime.db, workspace.inbox.id, idle_resolve_hours=0)
    await ask(client, runtime, workspace, "你好")
    admin = await agent_client(app, workspace.admin.email)
    conversation = await latest(admin)
    await quiet_for(runtime, conversation["id"], hours=24 * 30)
    assert await runtime.bot.resolve_idle() == 0
    await admin.aclose()
