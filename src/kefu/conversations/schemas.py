from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kefu.bounds import Id, Seq
from kefu.contacts.schemas import ContactBrief
from kefu.conversations.models import Conversation
from kefu.users.schemas import EMAIL_PATTERN, UserBrief

Status = Literal["open", "pending", "snoozed", "resolved"]
# What an agent may set directly; snoozing takes a time (POST .../snooze).
SettableStatus = Literal["open", "pending", "resolved"]
Priority = Literal["urgent", "high", "normal", "low"]


class ConversationOut(BaseModel):
    """A conversation as agents see it."""

    id: int
    inbox_id: int
    status: Status
    priority: Priority
    assignee: UserBrief | None
    team_id: int | None
    contact: ContactBrief
    last_seq: int
    contact_last_read_seq: int
    agent_last_read_seq: int
    last_message_preview: str
    # "image" / "file": the last message carried files (clients show a translated label).
    last_message_attachment: Literal["image", "file"] | None = None
    created_at: datetime
    first_reply_at: datetime | None
    resolved_at: datetime | None
    last_activity_at: datetime
    routing_state: Literal["new", "awaiting_topic", "reopened", "routed", "bot"]
    topic: str | None
    tags: list[str]
    required_skills: list[str]
    queued_at: datetime | None
    queue_number: int | None
    assigned_at: datetime | None
    waiting_since: datetime | None
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    snoozed_until: datetime | None = None
    unread_count: int | None = None
    # Custom attribute values (kefu.attributes).
    attributes: dict[str, Any] = {}
    # An email conversation's subject (kefu.channels); None for chats.
    subject: str | None = None


class VisitorQueueOut(BaseModel):
    """The customer's place in the queue: their number, how many are ahead, and the expected
    wait in minutes (None when no agent is online to estimate from)."""

    queue_number: int | None
    position: int
    ahead: int
    wait_minutes: int | None


class VisitorConversationOut(BaseModel):
    """What the customer sees of their conversation: an opaque id, never the internal one."""

    id: str
    status: SettableStatus  # a snoozed conversation is open to the customer
    last_seq: int
    contact_last_read_seq: int
    agent_last_read_seq: int
    assignee_name: str | None
    queue: VisitorQueueOut | None = None


class PrechatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, max_length=50, pattern=r"^[0-9+()\-. ]*$")
    topic: str | None = Field(default=None, max_length=40)


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: Id | None


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: SettableStatus


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: Seq


def conversation_out(
    conversation: Conversation, *, unread_count: int | None = None
) -> ConversationOut:
    assignee = conversation.assignee
    return ConversationOut(
        id=conversation.id,
        inbox_id=conversation.inbox_id,
        status=conversation.status,
        priority=conversation.priority,
        assignee=UserBrief.model_validate(assignee) if assignee is not None else None,
        team_id=conversation.team_id,
        contact=ContactBrief.model_validate(conversation.contact),
        last_seq=conversation.last_seq,
        contact_last_read_seq=conversation.contact_last_read_seq,
        agent_last_read_seq=conversation.agent_last_read_seq,
        last_message_preview=conversation.last_message_preview,
        last_message_attachment=conversation.last_message_attachment,
        created_at=conversation.created_at,
        first_reply_at=conversation.first_reply_at,
        resolved_at=conversation.resolved_at,
        last_activity_at=conversation.last_activity_at,
        routing_state=conversation.routing_state,
        topic=conversation.topic,
        tags=list(conversation.tags or ()),
        required_skills=list(conversation.required_skills or ()),
        queued_at=conversation.queued_at,
        queue_number=conversation.queue_number,
        assigned_at=conversation.assigned_at,
        waiting_since=conversation.waiting_since,
        first_response_due_at=conversation.first_response_due_at,
        next_response_due_at=conversation.next_response_due_at,
        resolution_due_at=conversation.resolution_due_at,
        snoozed_until=conversation.snoozed_until,
        unread_count=unread_count,
        attributes=dict(conversation.attributes or {}),
        subject=conversation.subject,
    )


def visitor_conversation_out(
    conversation: Conversation, *, queue: VisitorQueueOut | None = None
) -> VisitorConversationOut:
    assignee = conversation.assignee
    return VisitorConversationOut(
        id=conversation.public_id,
        status="open" if conversation.status == "snoozed" else conversation.status,
        last_seq=conversation.last_seq,
        contact_last_read_seq=conversation.contact_last_read_seq,
        agent_last_read_seq=conversation.agent_last_read_seq,
        assignee_name=assignee.name if assignee is not None else None,
        queue=queue,
    )
