"""The FAQ bot on two nodes sharing PostgreSQL and Redis (the demo's bot inbox, /demo/bot):
a customer's messages arriving on both nodes at once are each dealt with by exactly one turn,
and a message whose node died before the bot's turn is answered by the other node's sweep.
(How and when these run: conftest.py.)"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from kefu.auth.principals import VisitorPrincipal
from kefu.bot.models import BotTurn
from kefu.conversations.models import Conversation
from kefu.db import Database
from kefu.messages.actions import record_customer_message
from kefu.messages.models import Message
from tests.multinode.conftest import Cluster

pytestmark = pytest.mark.multinode


async def _send(http: httpx.AsyncClient, base: str, key: str, text: str, token: str | None) -> Any:
    response = await http.post(
        f"{base}/api/v1/widget/{key}/messages",
        json={"text": text, "client_msg_id": uuid.uuid4().hex},
        headers={"x-kefu-visitor": token} if token else {},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _settled(db: Database, public_id: str, seconds: float = 30) -> Conversation:
    """The conversation once the bot has dealt with every customer message."""
    deadline = time.monotonic() + seconds
    while True:
        async with db.read() as session:
            conversation = await session.scalar(
                select(Conversation).where(Conversation.public_id == public_id)
            )
            assert conversation is not None
            last_incoming = await session.scalar(
                select(Message.seq)
                .where(Message.conversation_id == conversation.id, Message.kind == "incoming")
                .order_by(Message.seq.desc())
                .limit(1)
            )
        if (conversation.bot_state or {}).get("seq") == last_incoming:
            return conversation
        assert time.monotonic() < deadline, f"the bot never caught up: {conversation.bot_state}"
        await asyncio.sleep(0.2)


async def _bot_texts(db: Database, conversation_id: int) -> list[str]:
    async with db.read() as session:
        rows = await session.scalars(
            select(Message.text)
            .where(Message.conversation_id == conversation_id, Message.sender_key == "b:0")
            .order_by(Message.seq)
        )
        return list(rows)


async def test_the_bot_answers_each_message_once_across_nodes(cluster: Cluster) -> None:
    cluster.ensure_running()
    a, b = cluster.a.base_url, cluster.b.base_url
    db = Database(cluster.database_url)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            page = (await http.get(f"{a}/demo/bot")).text
            match = re.search(r'data-inbox="([^"]+)"', page)
            assert match, "the demo's bot inbox"
            key = match.group(1)
            first = await _send(http, a, key, "你好", None)
            token, public_id = first["visitor_token"], first["conversation"]["id"]
            await _settled(db, public_id)
            # Two questions at the same moment, one on each node: both nodes start a turn for
            # the same conversation; the turn's seq check lets exactly one write each message.
            await asyncio.gather(
                _send(http, a, key, "可以貨到付款嗎", token),
                _send(http, b, key, "門市幾點開?", token),
            )
            conversation = await _settled(db, public_id)

            async with db.read() as session:
                turns = list(
                    await session.scalars(
                        select(BotTurn).where(BotTurn.conversation_id == conversation.id)
                    )
                )
            covered = [t.message_id for t in turns]
            assert len(covered) == len(set(covered)), "a customer message was answered twice"
            assert 1 <= len(turns) <= 3  # the greeting's turn, then one or two for the pair
            said = await _bot_texts(db, conversation.id)
            assert len(said) == len(set(said)), f"the bot repeated itself: {said}"

            # Node A dies after committing a customer message and before the bot's turn
            # (simulated: the message is written here, where no bot runner is kicked). Node B's
            # worker sweep answers it.
            async with db.write() as session:
                locked = await session.scalar(
                    select(Conversation)
                    .where(Conversation.id == conversation.id)
                    .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
                )
                assert locked is not None
                await record_customer_message(
                    session,
                    actor=VisitorPrincipal(contact_id=locked.contact_id, inbox_id=locked.inbox_id),
                    conversation=locked,
                    text="可以用 LINE Pay 付款嗎?",
                    client_msg_id=uuid.uuid4().hex,
                )
            cluster.a.stop()
            try:
                await _settled(db, public_id, seconds=45)  # sweep: messages older than 10 s
                said_after = await _bot_texts(db, conversation.id)
                assert len(said_after) > len(said)
            finally:
                cluster.a.start()
    finally:
        await db.dispose()
