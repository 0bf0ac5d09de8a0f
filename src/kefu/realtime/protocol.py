"""Frames clients send over the WebSocket (docs/realtime.md describes both directions)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from kefu.bounds import Id, Seq
from kefu.notifications.schemas import MAX_MENTIONS, MentionIn


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Echoed in the server's ack or error, so a client can match replies to requests.
    ref: str | None = Field(default=None, max_length=64)


class Ping(_Frame):
    type: Literal["ping"]


class AgentResume(_Frame):
    type: Literal["resume"]
    conversation_id: Id
    last_seq: Seq


class AgentSend(_Frame):
    type: Literal["message.send"]
    conversation_id: Id
    text: str = Field(min_length=1, max_length=10_000)
    private: bool = False
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)
    mentions: list[MentionIn] = Field(default_factory=list, max_length=MAX_MENTIONS)


class AgentTyping(_Frame):
    type: Literal["typing"]
    conversation_id: Id
    on: bool
    private: bool = False


class AgentRead(_Frame):
    type: Literal["read"]
    conversation_id: Id
    seq: Seq


class AgentViewing(_Frame):
    """The console shows this conversation (on), again every heartbeat, or no longer (off)."""

    type: Literal["viewing"]
    conversation_id: Id
    on: bool = True


class VisitorResume(_Frame):
    type: Literal["resume"]
    conversation_id: str = Field(max_length=64)
    last_seq: Seq


class VisitorSend(_Frame):
    type: Literal["message.send"]
    text: str = Field(min_length=1, max_length=10_000)
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)


class VisitorTyping(_Frame):
    type: Literal["typing"]
    on: bool


class VisitorRead(_Frame):
    type: Literal["read"]
    seq: Seq


AgentFrame = TypeAdapter(
    Annotated[
        Ping | AgentResume | AgentSend | AgentTyping | AgentRead | AgentViewing,
        Field(discriminator="type"),
    ]
)
VisitorFrame = TypeAdapter(
    Annotated[
        Ping | VisitorResume | VisitorSend | VisitorTyping | VisitorRead,
        Field(discriminator="type"),
    ]
)
