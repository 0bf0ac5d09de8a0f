"""The events notifications and participants cause. Notifications are personal events
(`user_ids`): only the recipient's consoles get them."""

from __future__ import annotations

from collections.abc import Sequence

from kefu.conversations.models import Conversation
from kefu.events import types
from kefu.events.types import Event
from kefu.notifications.models import ConversationParticipant
from kefu.notifications.schemas import NotificationOut, PreferencesOut, participant_out


def notification_created(
    user_id: int, notification: NotificationOut, *, unread_delta: int
) -> Event:
    """`unread_delta`: 1 for a new unread notification, 0 for one bumped (already unread)."""
    return Event(
        type=types.NOTIFICATION_CREATED,
        inbox_id=notification.inbox_id,
        user_ids=(user_id,),
        agent={
            "type": types.NOTIFICATION_CREATED,
            "notification": notification.model_dump(mode="json"),
            "unread_delta": unread_delta,
        },
    )


def notifications_read(user_id: int, ids: Sequence[int], *, unread_count: int) -> Event:
    return Event(
        type=types.NOTIFICATION_READ,
        inbox_id=None,
        user_ids=(user_id,),
        agent={"type": types.NOTIFICATION_READ, "ids": list(ids), "unread_count": unread_count},
    )


def preferences_changed(user_id: int, preferences: PreferencesOut) -> Event:
    """To the user's consoles (other tabs follow), and to every node's hub, which keeps the
    preferences of connected users to decide on browser alerts and sounds."""
    return Event(
        type=types.NOTIFICATION_PREFERENCES,
        inbox_id=None,
        user_ids=(user_id,),
        agent={
            "type": types.NOTIFICATION_PREFERENCES,
            "user_id": user_id,
            "preferences": preferences.model_dump(mode="json"),
        },
    )


def participants_changed(
    conversation: Conversation, participants: Sequence[ConversationParticipant]
) -> Event:
    return Event(
        type=types.CONVERSATION_PARTICIPANTS,
        inbox_id=conversation.inbox_id,
        agent={
            "type": types.CONVERSATION_PARTICIPANTS,
            "conversation_id": conversation.id,
            "inbox_id": conversation.inbox_id,
            "participants": [participant_out(p).model_dump(mode="json") for p in participants],
        },
    )
