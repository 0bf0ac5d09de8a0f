"""The admin API's shapes for bot HTTP actions. The signing secret is write-only: answers say
whether one is set, never what it is."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kefu.bot.http_actions import MAX_VALUE_LENGTH
from kefu.bot.models import BotAction

Locale = Literal["zh-TW", "en"]
MAX_TRIGGERS = 30
MAX_TEMPLATE_CHARS = 2000


class ActionOut(BaseModel):
    id: int
    key: str
    names: dict[str, str]
    triggers: list[str]
    prompts: dict[str, str]
    param_pattern: str
    url: str
    timeout_seconds: float
    answer_templates: dict[str, str]
    not_found_templates: dict[str, str]
    enabled: bool
    secret_set: bool
    created_at: datetime
    updated_at: datetime


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(max_length=40)
    names: dict[Locale, str]
    triggers: list[str] = Field(default_factory=list, max_length=MAX_TRIGGERS)
    prompts: dict[Locale, str] = Field(default_factory=dict)
    param_pattern: str = Field(max_length=200)
    url: str = Field(max_length=500)
    # Absent or null: requests go unsigned (the docs say to always set one).
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    timeout_seconds: float = Field(default=5.0, ge=1, le=10)
    answer_templates: dict[Locale, str]
    not_found_templates: dict[Locale, str] = Field(default_factory=dict)
    enabled: bool = True


class ActionUpdate(BaseModel):
    """Absent fields keep their value; `secret`: a string replaces it, null removes it."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(default=None, max_length=40)
    names: dict[Locale, str] | None = None
    triggers: list[str] | None = Field(default=None, max_length=MAX_TRIGGERS)
    prompts: dict[Locale, str] | None = None
    param_pattern: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=500)
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    timeout_seconds: float | None = Field(default=None, ge=1, le=10)
    answer_templates: dict[Locale, str] | None = None
    not_found_templates: dict[Locale, str] | None = None
    enabled: bool | None = None


class ActionTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(max_length=MAX_VALUE_LENGTH)
    locale: Locale = "zh-TW"


class ActionTestOut(BaseModel):
    ok: bool
    not_found: bool
    text: str | None  # what the customer would read
    error: str | None  # why it failed (for the admin; customers never see it)


def action_out(action: BotAction) -> ActionOut:
    return ActionOut(
        id=action.id,
        key=action.key,
        names=action.names,
        triggers=action.triggers,
        prompts=action.prompts,
        param_pattern=action.param_pattern,
        url=action.url,
        timeout_seconds=action.timeout_seconds,
        answer_templates=action.answer_templates,
        not_found_templates=action.not_found_templates,
        enabled=action.enabled,
        secret_set=bool(action.secret),
        created_at=action.created_at,
        updated_at=action.updated_at,
    )
