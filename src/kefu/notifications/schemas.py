"""API shapes: notifications, preferences (validated here), mentions and participants."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kefu.bounds import Id
from kefu.notifications.models import ConversationParticipant, Notification
from kefu.users.schemas import UserBrief

NotificationType = Literal["assigned", "mentioned", "message", "sla_breach"]
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MAX_MENTIONS = 20


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- notifications ---------------------------------------------------------------------------


class NotificationOut(BaseModel):
    id: int
    type: NotificationType
    conversation_id: int
    inbox_id: int
    message_id: int | None
    actor: UserBrief | None
    contact_id: int
    contact_name: str
    # The customer's message (coalesced: the latest) or the note's text, cut to 200 characters.
    preview: str
    count: int
    data: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class MarkReadIn(_In):
    # Only this conversation's notifications; None: all of them ("mark all read").
    conversation_id: Id | None = None


class UnreadOut(BaseModel):
    unread_count: int


def notification_out(notification: Notification) -> NotificationOut:
    """From a notification loaded with its conversation (and contact) and actor."""
    conversation = notification.conversation
    actor = notification.actor
    return NotificationOut(
        id=notification.id,
        type=notification.type,
        conversation_id=notification.conversation_id,
        inbox_id=conversation.inbox_id,
        message_id=notification.message_id,
        actor=UserBrief.model_validate(actor) if actor is not None else None,
        contact_id=conversation.contact_id,
        contact_name=conversation.contact.name,
        preview=notification.preview,
        count=notification.count,
        data=notification.data,
        created_at=notification.created_at,
        updated_at=notification.updated_at,
        read_at=notification.read_at,
    )


# --- preferences -----------------------------------------------------------------------------


class Channels(_In):
    """Where one type of notification shows: in the centre (off: not recorded at all), as a
    browser notification, with a sound."""

    in_app: bool = True
    browser: bool = True
    sound: bool = True


class TypeChannels(_In):
    assigned: Channels = Field(default_factory=Channels)
    mentioned: Channels = Field(default_factory=Channels)
    message: Channels = Field(default_factory=Channels)
    sla_breach: Channels = Field(default_factory=Channels)


class DndSchedule(_In):
    """Quiet hours: on these days (0 = Monday … 6 = Sunday), from `start` to `end` in the user's
    timezone. A window that ends before it starts runs past midnight (18:00 → 09:00)."""

    enabled: bool = False
    days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4], max_length=7)
    start: str = Field(default="18:00", pattern=TIME_PATTERN)
    end: str = Field(default="09:00", pattern=TIME_PATTERN)

    @field_validator("days")
    @classmethod
    def _days(cls, days: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in days) or len(set(days)) != len(days):
            raise ValueError("days are distinct numbers from 0 (Monday) to 6 (Sunday)")
        return sorted(days)

    @model_validator(mode="after")
    def _window(self) -> DndSchedule:
        if self.start == self.end:
            raise ValueError("quiet hours need an end different from their start")
        return self


class Preferences(_In):
    types: TypeChannels = Field(default_factory=TypeChannels)
    # Browser notifications also while the console is the visible tab (default: only when not).
    browser_when_visible: bool = False
    # The manual do-not-disturb switch, and the schedule.
    dnd: bool = False
    dnd_schedule: DndSchedule = Field(default_factory=DndSchedule)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    def channels(self, notification_type: str) -> Channels:
        channels: Channels = getattr(self.types, notification_type)
        return channels


class PreferencesOut(Preferences):
    # Whether do-not-disturb is in force right now (the switch or the schedule).
    dnd_active: bool


# --- mentions --------------------------------------------------------------------------------


class MentionIn(_In):
    type: Literal["user", "team"]
    id: Id


class MentionOut(BaseModel):
    type: Literal["user", "team"]
    id: int


class NamedOut(BaseModel):
    id: int
    name: str


class MentionableOut(BaseModel):
    """Who an @mention in this conversation may name: people who can see it, and teams with at
    least one such member."""

    users: list[NamedOut]
    teams: list[NamedOut]


# --- participants ----------------------------------------------------------------------------


class ParticipantOut(BaseModel):
    user: UserBrief
    reason: Literal["follow", "added", "assigned"]
    created_at: datetime


class ParticipantAdd(_In):
    user_id: Id


def participant_out(participant: ConversationParticipant) -> ParticipantOut:
    return ParticipantOut(
        user=UserBrief.model_validate(participant.user),
        reason=participant.reason,
        created_at=participant.created_at,
    )
