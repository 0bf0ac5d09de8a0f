"""Outgoing messages on channels: decided inside the action that writes the message, sent by
the outbox after the commit (kefu.channels.jobs).

Every outgoing message in a channel inbox (an agent's reply, an automatic reply, the bot's
answer) is `queued` with a `channel.send` job in the same transaction, so a message is never
shown as sent without being sent, nor sent without being stored. Two guards apply to automatic
messages only (docs/channels.md): none answers an automatic message (an auto-reply, a bounce,
a mailing list: no mail loops), and at most AUTOMATIC_REPLIES_PER_HOUR go to one customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import BOT_SENDER_KEY, AgentPrincipal, Principal
from kefu.channels.settings import adapter_of
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.errors import InvalidInput
from kefu.inboxes.models import Inbox
from kefu.messages.models import Message
from kefu.outbox.actions import count_recent_jobs, enqueue_job

SEND_JOB = "channel.send"
AUTOMATIC_REPLIES_PER_HOUR = 5


@dataclass(frozen=True, slots=True)
class Delivery:
    inbox: Inbox
    status: str  # "queued", or "skipped" for an automatic message that must not go out
    error: str | None = None
    job_key: str | None = None


async def channel_inbox(session: AsyncSession, conversation: Conversation) -> Inbox | None:
    inbox = await session.get(Inbox, conversation.inbox_id)
    return inbox if inbox is not None and adapter_of(inbox) is not None else None


async def plan_delivery(
    session: AsyncSession, *, conversation: Conversation, actor: Principal
) -> Delivery | None:
    """How an outgoing message will leave: None in the widget (no delivery step)."""
    inbox = await channel_inbox(session, conversation)
    if inbox is None:
        return None
    if isinstance(actor, AgentPrincipal):
        return Delivery(inbox, "queued", job_key=f"conversation:{conversation.id}")
    if (conversation.channel_context or {}).get("auto_generated"):
        return Delivery(
            inbox,
            "skipped",
            "Not sent: the customer's last message was automatic (an auto-reply, a bounce or a "
            "mailing list), and kefu never answers those automatically.",
        )
    if actor.sender_key == BOT_SENDER_KEY:
        # The bot answers the customer turn by turn: a conversation, not an auto-reply storm.
        return Delivery(inbox, "queued", job_key=f"bot:{conversation.id}")
    key = f"auto:{inbox.id}:{conversation.contact_id}"
    recent = await count_recent_jobs(session, kind=SEND_JOB, key=key, within=timedelta(hours=1))
    if recent >= AUTOMATIC_REPLIES_PER_HOUR:
        return Delivery(
            inbox,
            "skipped",
            f"Not sent: at most {AUTOMATIC_REPLIES_PER_HOUR} automatic replies an hour go to "
            "one customer.",
        )
    return Delivery(inbox, "queued", job_key=key)


async def enqueue_send(session: AsyncSession, *, delivery: Delivery, message: Message) -> None:
    if delivery.status == "queued":
        await enqueue_job(session, SEND_JOB, {"message_id": message.id}, key=delivery.job_key)


def last_inbound_at(conversation: Conversation) -> datetime | None:
    value = (conversation.channel_context or {}).get("last_inbound_at")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def window_closes_at(inbox: Inbox, conversation: Conversation) -> datetime | None:
    """When free-form replies stop being allowed (None: they always are)."""
    adapter = adapter_of(inbox)
    if adapter is None or adapter.reply_window is None:
        return None
    try:
        window = adapter.reply_window_for(adapter.config_model.model_validate(inbox.channel_config))
    except ValueError:
        window = adapter.reply_window
    if window is None:
        return None
    last = last_inbound_at(conversation)
    if last is None:
        return conversation.created_at  # the business wrote first: templates only
    return last + window


async def check_reply_window(session: AsyncSession, *, conversation: Conversation) -> None:
    """A free-form reply outside the provider's customer-service window would be refused by the
    provider: refuse it here, where the agent can still choose a template."""
    inbox = await channel_inbox(session, conversation)
    if inbox is None:
        return
    closes = window_closes_at(inbox, conversation)
    if closes is not None and utcnow() >= closes:
        raise InvalidInput(
            "The customer last wrote too long ago: this channel allows no free-form message "
            "until they write again (approved templates only, where the channel has them).",
            code="channel_window_closed",
        )
