from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kefu.scheduled.models import ScheduledMessage
from kefu.users.schemas import UserBrief

Status = Literal["pending", "sent", "canceled", "failed"]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    # An instant with its offset ("2026-11-25T09:00:00+08:00"); naive times are refused.
    send_at: datetime


class TimezoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(min_length=1, max_length=64)


class ScheduledMessageOut(BaseModel):
    id: int
    conversation_id: int
    author: UserBrief
    text: str
    send_at: datetime
    status: Status
    failure: str | None
    created_at: datetime
    updated_at: datetime


class ScheduledListOut(BaseModel):
    items: list[ScheduledMessageOut]
    # The customer's IANA timezone as their browser reported it (None: not known yet).
    contact_timezone: str | None


def scheduled_out(item: ScheduledMessage) -> ScheduledMessageOut:
    return ScheduledMessageOut(
        id=item.id,
        conversation_id=item.conversation_id,
        author=UserBrief.model_validate(item.author),
        text=item.text,
        send_at=item.send_at,
        status=item.status,
        failure=item.failure,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )
