from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kefu.bounds import Id, Seq
from kefu.contacts.schemas import ContactBrief
from kefu.conversations.models import Conversation
from kefu.users.schemas import UserBrief

Status = Literal["open", "pending", "resolved"]
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
    created_at: datetime
    first_reply_at: datetime | None
    resolved_at: datetime | None
    last_activity_at: datetime
    unread_count: int | None = None


class VisitorConversationOut(BaseModel):
    """What the customer sees of their conversation: an opaque id, never the internal one."""

    id: str
    status: Status
    last_seq: int
    contact_last_read_seq: int
    agent_last_read_seq: int
    assignee_name: str | None


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: Id | None


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status


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
        created_at=conversation.created_at,
        first_reply_at=conversation.first_reply_at,
        resolved_at=conversation.resolved_at,
        last_activity_at=conversation.last_activity_at,
        unread_count=unread_count,
    )


def visitor_conversation_out(conversation: Conversation) -> VisitorConversationOut:
    assignee = conversation.assignee
    return VisitorConversationOut(
        id=conversation.public_id,
        status=conversation.status,
        last_seq=conversation.last_seq,
        contact_last_read_seq=conversation.contact_last_read_seq,
        agent_last_read_seq=conversation.agent_last_read_seq,
        assignee_name=assignee.name if assignee is not None else None,
    )
