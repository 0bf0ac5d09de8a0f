"""Entering and leaving the bot phase (`routing_state == "bot"`), used by the routing and
messaging actions; no I/O, no imports of the bot's engine (they import this module)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.conversations.models import Conversation
from kefu.db import BOT_KICKS

BOT_STATE = "bot"


def request_bot_turn_on_commit(session: AsyncSession, conversation_id: int) -> None:
    """After the commit, this node's BotRunner takes a turn for the conversation."""
    session.info.setdefault(BOT_KICKS, set()).add(conversation_id)


def enter_bot_phase(session: AsyncSession, conversation: Conversation) -> None:
    conversation.routing_state = BOT_STATE
    conversation.bot_state = {"seq": 0}
    request_bot_turn_on_commit(session, conversation.id)


def end_bot_phase(conversation: Conversation, how: str) -> bool:
    """A person took over (`how`: "agent_reply", "assigned", "transferred"): the bot stops
    answering; what it knew stays in bot_state. True if it was in the bot phase."""
    if conversation.routing_state != BOT_STATE:
        return False
    conversation.routing_state = "routed"
    conversation.bot_state = {**(conversation.bot_state or {}), "ended": how}
    return True
