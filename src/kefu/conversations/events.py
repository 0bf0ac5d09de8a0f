"""Build the events a conversation change causes, rendered for agents and for the contact.

Recipients follow Chatwoot's rule: inbox members (and admins) always; the contact too, unless the
message is an internal note or an activity line.
"""

from __future__ import annotations

from kefu.conversations.models import Conversation
from kefu.conversations.schemas import conversation_out, visitor_conversation_out
from kefu.events import types
from kefu.events.types import Event
from kefu.messages.models import Message
from kefu.messages.schemas import message_out, visitor_message_out


def owner(conversation: Conversation) -> tuple[int | None, int | None]:
    """Who owns it, for inboxes where agents see only their own (kefu.conversations.visibility)."""
    return (conversation.assignee_id, conversation.team_id)


def message_created(conversation: Conversation, message: Message) -> Event:
    agent = {
        "type": types.MESSAGE_CREATED,
        "conversation_id": conversation.id,
        "inbox_id": conversation.inbox_id,
        "seq": message.seq,
        "message": message_out(message, contact_name=conversation.contact.name).model_dump(
            mode="json"
        ),
    }
    contact = None
    if message.kind in ("incoming", "outgoing"):
        contact = {
            "type": types.MESSAGE_CREATED,
            "conversation_id": conversation.public_id,
            "seq": message.seq,
            "message": visitor_message_out(message).model_dump(mode="json"),
        }
    return Event(
        type=types.MESSAGE_CREATED,
        inbox_id=conversation.inbox_id,
        contact_id=conversation.contact_id if contact else None,
        agent=agent,
        contact=contact,
        actor_user_id=message.sender_user_id,
        owner=owner(conversation),
    )


def message_updated(conversation: Conversation, message: Message) -> Event:
    """The whole message again (clients replace theirs by id); agents only: the customer's side
    of a channel is the provider's app, and the widget has no delivery states."""
    return Event(
        type=types.MESSAGE_UPDATED,
        inbox_id=conversation.inbox_id,
        agent={
            "type": types.MESSAGE_UPDATED,
            "conversation_id": conversation.id,
            "inbox_id": conversation.inbox_id,
            "message": message_out(message, contact_name=conversation.contact.name).model_dump(
                mode="json"
            ),
        },
        owner=owner(conversation),
    )


def conversation_changed(conversation: Conversation, *, created: bool = False) -> Event:
    kind = types.CONVERSATION_CREATED if created else types.CONVERSATION_UPDATED
    return Event(
        type=kind,
        inbox_id=conversation.inbox_id,
        contact_id=conversation.contact_id,
        agent={
            "type": kind,
            "conversation_id": conversation.id,
            "inbox_id": conversation.inbox_id,
            "seq": conversation.last_seq,
            "conversation": conversation_out(conversation).model_dump(mode="json"),
        },
        contact={
            "type": types.CONVERSATION_UPDATED,
            "conversation_id": conversation.public_id,
            "seq": conversation.last_seq,
            "conversation": visitor_conversation_out(conversation).model_dump(mode="json"),
        },
        owner=owner(conversation),
    )


def conversation_read(
    conversation: Conversation, *, reader: str, seq: int, user_id: int | None = None
) -> Event:
    agent = {
        "type": types.CONVERSATION_READ,
        "conversation_id": conversation.id,
        "inbox_id": conversation.inbox_id,
        "reader": reader,
        "user_id": user_id,
        "seq": seq,
    }
    # The customer learns that an agent read their messages; not which agent.
    contact = (
        {
            "type": types.CONVERSATION_READ,
            "conversation_id": conversation.public_id,
            "reader": reader,
            "seq": seq,
        }
        if reader == "agent"
        else None
    )
    return Event(
        type=types.CONVERSATION_READ,
        inbox_id=conversation.inbox_id,
        contact_id=conversation.contact_id if contact else None,
        agent=agent,
        contact=contact,
        actor_user_id=user_id,
        owner=owner(conversation),
    )
