"""Rows for the bot's report tests, written directly (the engine that writes BotTurns in
production is tested on its own)."""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy import select

from kefu.bot.models import BotTurn
from kefu.conversations.models import Conversation
from kefu.inboxes.models import Inbox
from kefu.runtime import Runtime
from tests.conftest import visitor_send


async def new_conversation(
    client: httpx.AsyncClient, runtime: Runtime, inbox: Inbox, text: str
) -> int:
    """A new visitor's conversation with one incoming message; its internal id."""
    sent = await visitor_send(client, inbox, text)
    async with runtime.db.read() as session:
        conversation_id = await session.scalar(
            select(Conversation.id).where(Conversation.public_id == sent["conversation"]["id"])
        )
    assert conversation_id is not None
    return conversation_id


async def add_turn(
    runtime: Runtime,
    *,
    conversation_id: int,
    inbox_id: int,
    question: str,
    outcome: str,
    created_at: datetime,
    reason: str | None = None,
    locale: str = "en",
    feedback: str | None = None,
) -> None:
    async with runtime.db.write() as session:
        session.add(
            BotTurn(
                conversation_id=conversation_id,
                inbox_id=inbox_id,
                locale=locale,
                question=question,
                outcome=outcome,
                reason=reason,
                feedback=feedback,
                created_at=created_at,
            )
        )
