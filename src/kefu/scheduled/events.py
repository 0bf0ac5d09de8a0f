"""The agent-only event a scheduled message's change causes (scheduled, canceled, sent, failed)."""

from __future__ import annotations

from kefu.conversations.events import owner
from kefu.conversations.models import Conversation
from kefu.events import types
from kefu.events.types import Event
from kefu.scheduled.models import ScheduledMessage
from kefu.scheduled.schemas import scheduled_out


def scheduled_message_updated(conversation: Conversation, item: ScheduledMessage) -> Event:
    return Event(
        type=types.SCHEDULED_MESSAGE_UPDATED,
        inbox_id=conversation.inbox_id,
        agent={
            "type": types.SCHEDULED_MESSAGE_UPDATED,
            "conversation_id": conversation.id,
            "inbox_id": conversation.inbox_id,
            "scheduled_message": scheduled_out(item).model_dump(mode="json"),
        },
        owner=owner(conversation),
    )
