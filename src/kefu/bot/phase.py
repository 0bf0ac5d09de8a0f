"""Entering and leaving the bot phase (`routing_state == "bot"`), used by the routing and
messaging actions; no I/O, no imports of the bot's engine (they import this module)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.conversations.models import Conversation
from kefu.db import BOT_KICKS

BOT_STATE = "bot"


def request_bot_turn_on_commit(session: AsyncSession, conversation_id: int) -> None:
    """After the commit, this node's BotRunner takes a turn for the conversation."""
    session.info.setdefault(BOT_KICKS, set()).add(conversation_id)


def enter_bot_phase(session: AsyncSession, conversation: Conversation) -> None:
    conversation.routing_state = BOT_STATE
    # Back with the bot after it closed the conversation: what it dealt with stays dealt
    # with, and the customer is not welcomed twice.
    before = conversation.bot_state or {}
    kept: dict[str, Any] = {k: before[k] for k in ("welcomed", "locale") if k in before}
    conversation.bot_state = {"seq": int(before.get("seq", 0)), **kept}
    request_bot_turn_on_commit(session, conversation.id)


def end_bot_phase(conversation: Conversation, how: str) -> bool:
    """The bot's phase ends (`how`: "agent_reply", "assigned", "transferred", or "idle" when
    it resolved a conversation the customer left): the bot stops answering; what it knew
    stays in bot_state. True if it was in the bot phase."""
    if conversation.routing_state != BOT_STATE:
        return False
    conversation.routing_state = "routed"
    conversation.bot_state = {**(conversation.bot_state or {}), "ended": how}
    return True
