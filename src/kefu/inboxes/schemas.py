from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kefu.bounds import Id
from kefu.users.schemas import Locale

COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"


def normalise_origin(value: str) -> str:
    """`https://shop.example.com[:port]`, or `*` for any site."""
    value = value.strip().rstrip("/")
    if value == "*":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ValueError(f"not an origin (scheme://host[:port]): {value!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


class InboxOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    public_key: str
    name: str
    channel_type: str
    greeting: str
    color: str
    locale: Locale
    allowed_origins: list[str]
    team_id: int | None
    member_ids: list[int] = []
    # Who sees and answers what (kefu.conversations.visibility).
    agent_visibility: Literal["all", "own"] = "all"
    reply_permission: Literal["anyone", "assignee"] = "anyone"
    # Channel inboxes (docs/channels.md): the provider settings, the names of the secrets that
    # are set (never their values), the URL to paste into the provider's console, and the
    # reply window of providers that have one (WhatsApp, Messenger: 24 hours).
    channel_config: dict[str, Any] = {}
    channel_secrets_set: list[str] = []
    webhook_url: str | None = None
    reply_window_hours: float | None = None


ChannelType = Literal["web", "email", "line", "whatsapp", "messenger", "telegram"]
MAX_SECRET_CHARS = 4000


class InboxCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    greeting: str = Field(default="", max_length=1000)
    color: str = Field(default="#1f6feb", pattern=COLOR_PATTERN)
    locale: Locale = "zh-TW"
    allowed_origins: list[str] = Field(default_factory=list, max_length=50)
    team_id: Id | None = None
    member_ids: list[Id] = Field(default_factory=list, max_length=1000)
    channel_type: ChannelType = "web"
    channel_config: dict[str, Any] = Field(default_factory=dict, max_length=50)
    channel_secrets: dict[str, str] = Field(default_factory=dict, max_length=20)

    @field_validator("channel_secrets")
    @classmethod
    def _secret_sizes(cls, value: dict[str, str]) -> dict[str, str]:
        _check_secret_sizes(value)
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return sorted({normalise_origin(v) for v in value})


class InboxUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    greeting: str | None = Field(default=None, max_length=1000)
    color: str | None = Field(default=None, pattern=COLOR_PATTERN)
    locale: Locale | None = None
    allowed_origins: list[str] | None = Field(default=None, max_length=50)
    team_id: Id | None = None
    member_ids: list[Id] | None = Field(default=None, max_length=1000)
    agent_visibility: Literal["all", "own"] | None = None
    reply_permission: Literal["anyone", "assignee"] | None = None
    channel_config: dict[str, Any] | None = Field(default=None, max_length=50)
    # A value replaces that secret, null removes it, an absent key keeps it.
    channel_secrets: dict[str, str | None] | None = Field(default=None, max_length=20)

    @field_validator("channel_secrets")
    @classmethod
    def _secret_sizes(cls, value: dict[str, str | None] | None) -> dict[str, str | None] | None:
        if value is not None:
            _check_secret_sizes(value)
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else sorted({normalise_origin(v) for v in value})


class EmbedOut(BaseModel):
    script_url: str
    snippet: str


def _check_secret_sizes(value: Mapping[str, str | None]) -> None:
    for key, secret in value.items():
        if len(key) > 50 or (secret is not None and len(secret) > MAX_SECRET_CHARS):
            raise ValueError(f"secret {key[:50]!r} is too long")
