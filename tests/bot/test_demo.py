"""The demo workspace: a second website inbox where the FAQ bot answers from the demo knowledge
base, shown on /demo/bot."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from kefu.bot.settings import bot_settings
from kefu.config import Settings
from kefu.conversations.models import Conversation
from kefu.demo import create_demo_workspace
from kefu.inboxes.models import Inbox
from kefu.messages.models import Message
from kefu.runtime import Runtime
from tests.bot.helpers import settle
from tests.conftest import visitor_send


def _snippet_key(page: str) -> str:
    match = re.search(r'data-inbox="([^"]+)"', page)
    assert match, page
    return match.group(1)


async def _bot_messages(runtime: Runtime, public_id: str) -> list[Message]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.public_id == public_id, Message.sender_key == "b:0")
            .order_by(Message.seq)
        )
        return list(rows)


async def test_the_demo_bot_inbox_answers_from_the_demo_knowledge_base(
    settings: Settings, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert await create_demo_workspace(settings) is not None
    bot_key = _snippet_key((await client.get("/demo/bot")).text)
    assert _snippet_key((await client.get("/demo")).text) != bot_key  # the plain demo: no bot
    async with runtime.db.read() as session:
        inbox = await session.scalar(select(Inbox).where(Inbox.public_key == bot_key))
    assert inbox is not None and bot_settings(inbox).enabled

    sent = await visitor_send(client, inbox, "你們幾點開門?")
    await settle(runtime)
    said = [m.text for m in await _bot_messages(runtime, sent["conversation"]["id"])]
    # The welcome is skipped: a confident answer comes at once, with its article.
    assert any("11:00–21:00" in t and "/help/zh-TW/articles/store-hours" in t for t in said), said


async def test_the_demo_bot_greets_with_its_menu(
    settings: Settings, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert await create_demo_workspace(settings) is not None
    bot_key = _snippet_key((await client.get("/demo/bot")).text)
    async with runtime.db.read() as session:
        inbox = await session.scalar(select(Inbox).where(Inbox.public_key == bot_key))
    assert inbox is not None
    sent = await visitor_send(client, inbox, "你好")
    await settle(runtime)
    welcome = (await _bot_messages(runtime, sent["conversation"]["id"]))[0]
    assert welcome.quick_replies is not None
    assert [q["label"] for q in welcome.quick_replies] == ["查詢訂單", "退換貨", "真人客服"]
    # A tap on 退換貨 (the widget sends the label) answers with the returns article.
    await visitor_send(client, inbox, "退換貨", sent["visitor_token"])
    await settle(runtime)
    said = [m.text for m in await _bot_messages(runtime, sent["conversation"]["id"])]
    assert "/help/zh-TW/articles/how-to-return" in said[-1]
