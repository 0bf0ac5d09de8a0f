"""A Pydantic schema for every event payload, per audience (agent / contact).

Tests round-trip every captured event through JSON and validate it against these, so the wire
format documented in docs/realtime.md cannot drift silently.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from kefu.contacts.schemas import ContactSummary
from kefu.conversations.schemas import ConversationOut, VisitorConversationOut, VisitorQueueOut
from kefu.events import types
from kefu.messages.schemas import MessageOut, VisitorMessageOut
from kefu.notifications.schemas import NotificationOut, ParticipantOut, PreferencesOut
from kefu.scheduled.schemas import ScheduledMessageOut


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentMessageCreated(_Strict):
    type: Literal["message.created"]
    conversation_id: int
    inbox_id: int
    seq: int
    message: MessageOut


class ContactMessageCreated(_Strict):
    type: Literal["message.created"]
    conversation_id: str
    seq: int
    message: VisitorMessageOut


class AgentConversationChanged(_Strict):
    type: Literal["conversation.created", "conversation.updated"]
    conversation_id: int
    inbox_id: int
    seq: int
    conversation: ConversationOut


class ContactConversationUpdated(_Strict):
    type: Literal["conversation.updated"]
    conversation_id: str
    seq: int
    conversation: VisitorConversationOut


class AgentConversationRead(_Strict):
    type: Literal["conversation.read"]
    conversation_id: int
    inbox_id: int
    reader: Literal["agent", "contact"]
    user_id: int | None
    seq: int


class ContactConversationRead(_Strict):
    type: Literal["conversation.read"]
    conversation_id: str
    reader: Literal["agent"]
    seq: int


class AgentTyping(_Strict):
    type: Literal["typing"]
    conversation_id: int
    inbox_id: int
    who: Literal["agent", "contact"]
    user_id: int | None
    name: str
    on: bool
    private: bool


class ContactTyping(_Strict):
    type: Literal["typing"]
    conversation_id: str
    who: Literal["agent"]
    name: str
    on: bool


class InboxChanged(_Strict):
    type: Literal["inbox.changed"]
    inbox_id: int
    member_ids: list[int]
    agent_visibility: Literal["all", "own"] = "all"


class TeamChanged(_Strict):
    type: Literal["team.changed"]
    team_id: int
    member_ids: list[int]


class ConversationRemoved(_Strict):
    """Sent instead of an update to a console that may no longer see the conversation."""

    type: Literal["conversation.removed"]
    conversation_id: int


class AgentUpdated(_Strict):
    type: Literal["agent.updated"]
    user_id: int
    presence: Literal["online", "busy", "away", "offline"]
    skills: list[str]
    # Only to supervisors, admins and the agent themself; absent for other agents.
    max_conversations: int | None = None


class AgentQueueUpdated(_Strict):
    type: Literal["queue.updated"]
    inbox_id: int
    waiting: int


class ContactQueueUpdated(_Strict):
    type: Literal["queue.updated"]
    conversation_id: str
    queue: VisitorQueueOut | None


class SlaBreached(_Strict):
    type: Literal["sla.breached"]
    conversation_id: int
    inbox_id: int
    kind: Literal["first_response", "next_response", "resolution"]
    due_at: str


class ScheduledMessageUpdated(_Strict):
    type: Literal["scheduled_message.updated"]
    conversation_id: int
    inbox_id: int
    scheduled_message: ScheduledMessageOut


class AgentContactUpdated(_Strict):
    type: Literal["contact.updated"]
    contact: ContactSummary


class AgentContactMerged(_Strict):
    type: Literal["contact.merged"]
    contact_id: int  # the survivor
    merged_id: int  # the contact merged into it (now a tombstone)


class VisitorContactMerged(_Strict):
    """The widget's token now stands for the survivor: reconnect (and re-read the session)."""

    type: Literal["contact.merged"]


class AlertOut(_Strict):
    browser: bool
    sound: bool
    dnd: bool


class NotificationCreated(_Strict):
    type: Literal["notification.created"]
    notification: NotificationOut
    unread_delta: Literal[0, 1]
    # Added by the hub for each console from its user's preferences (do-not-disturb, per type).
    alert: AlertOut | None = None


class NotificationRead(_Strict):
    type: Literal["notification.read"]
    ids: list[int]
    unread_count: int


class NotificationPreferencesChanged(_Strict):
    type: Literal["notification.preferences"]
    user_id: int
    preferences: PreferencesOut


class ConversationParticipants(_Strict):
    type: Literal["conversation.participants"]
    conversation_id: int
    inbox_id: int
    participants: list[ParticipantOut]


class Viewing(_Strict):
    type: Literal["viewing"]
    conversation_id: int
    inbox_id: int
    user_id: int
    name: str
    viewer: str  # one console's viewing session (an agent may have several tabs)
    on: bool
    expires_in: float  # forget it after this many seconds unless refreshed


class TagsChanged(_Strict):
    type: Literal["tags.changed"]


AGENT_SCHEMAS: dict[str, type[BaseModel]] = {
    types.MESSAGE_CREATED: AgentMessageCreated,
    types.CONVERSATION_CREATED: AgentConversationChanged,
    types.CONVERSATION_UPDATED: AgentConversationChanged,
    types.CONVERSATION_READ: AgentConversationRead,
    types.TYPING: AgentTyping,
    types.INBOX_CHANGED: InboxChanged,
    types.AGENT_UPDATED: AgentUpdated,
    types.QUEUE_UPDATED: AgentQueueUpdated,
    types.SLA_BREACHED: SlaBreached,
    types.TEAM_CHANGED: TeamChanged,
    types.CONVERSATION_REMOVED: ConversationRemoved,
    types.SCHEDULED_MESSAGE_UPDATED: ScheduledMessageUpdated,
    types.CONTACT_UPDATED: AgentContactUpdated,
    types.CONTACT_MERGED: AgentContactMerged,
    types.NOTIFICATION_CREATED: NotificationCreated,
    types.NOTIFICATION_READ: NotificationRead,
    types.NOTIFICATION_PREFERENCES: NotificationPreferencesChanged,
    types.CONVERSATION_PARTICIPANTS: ConversationParticipants,
    types.VIEWING: Viewing,
    types.TAGS_CHANGED: TagsChanged,
}
CONTACT_SCHEMAS: dict[str, type[BaseModel]] = {
    types.MESSAGE_CREATED: ContactMessageCreated,
    types.CONVERSATION_CREATED: ContactConversationUpdated,
    types.CONVERSATION_UPDATED: ContactConversationUpdated,
    types.CONVERSATION_READ: ContactConversationRead,
    types.TYPING: ContactTyping,
    types.QUEUE_UPDATED: ContactQueueUpdated,
    types.CONTACT_MERGED: VisitorContactMerged,
}


def validate_payload(event_type: str, payload: dict[str, Any], *, audience: str) -> BaseModel:
    schemas = AGENT_SCHEMAS if audience == "agent" else CONTACT_SCHEMAS
    return schemas[event_type].model_validate(payload)
