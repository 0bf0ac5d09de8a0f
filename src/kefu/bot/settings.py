"""An inbox's FAQ-bot settings (stored in `inboxes.settings["bot"]`), with the defaults a new
inbox gets. A kefu inbox is one channel (the widget, one LINE account, one Telegram bot…), so
"enabled per inbox and per channel" is this one switch per inbox."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kefu.bot.generative import GenerativeSettings
from kefu.inboxes.models import Inbox
from kefu.kb import retrieval
from kefu.routing.settings import LocalizedText

# Another helper is choosing the default from bench/faq_eval.py; until it lands, 0.5.
DEFAULT_THRESHOLD: float = float(getattr(retrieval, "DEFAULT_THRESHOLD", 0.5))

MenuKind = Literal["question", "article", "action", "handoff"]


def in_both(zh: str, en: str) -> LocalizedText:
    return LocalizedText.model_validate({"zh-TW": zh, "en": en})


class MenuItem(BaseModel):
    """One quick-reply button of the welcome menu. `value` by kind: a question (answered as if
    the customer had typed it), an article's slug, a bot action's key; unused for handoff."""

    model_config = ConfigDict(extra="forbid")

    label: LocalizedText
    kind: MenuKind = "question"
    value: str = Field(default="", max_length=200)


def _default_menu() -> list[MenuItem]:
    return [MenuItem(label=in_both("真人客服", "Talk to a person"), kind="handoff")]


class BotSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    name: LocalizedText = in_both("小幫手", "Assistant")
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    welcome: LocalizedText = in_both(
        "您好，我是小幫手！請直接輸入您的問題，或選擇下方項目。",
        "Hi, I'm the assistant! Type your question or pick one below.",
    )
    menu: list[MenuItem] = Field(default_factory=_default_menu, max_length=10)
    # Phrases that ask for a person, beyond the built-in ones (轉真人, agent, human…).
    handoff_keywords: list[str] = Field(default_factory=list, max_length=50)
    # Outside business hours: collect an email or phone and the question instead of a plain
    # handoff (the conversation still waits in the queue for the morning).
    after_hours_collection: bool = True
    # A conversation still with the bot and quiet this long is resolved (0: never); one the
    # bot queued for a person (after hours) is never closed this way.
    idle_resolve_hours: int = Field(default=24, ge=0, le=720)
    generative: GenerativeSettings = GenerativeSettings()

    @field_validator("handoff_keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [k.strip() for k in value if k.strip()]
        if any(len(k) > 50 for k in cleaned):
            raise ValueError("a handoff keyword is at most 50 characters")
        return cleaned

    @field_validator("menu")
    @classmethod
    def _menu(cls, value: list[MenuItem]) -> list[MenuItem]:
        for item in value:
            if not (item.label.zh_tw or item.label.en):
                raise ValueError("a menu item needs a label")
            if item.kind != "handoff" and not item.value.strip():
                raise ValueError(f"a {item.kind} menu item needs a value")
        return value


def bot_settings(inbox: Inbox) -> BotSettings:
    """The inbox's settings; defaults (bot off) for anything unset or unreadable."""
    raw = inbox.settings.get("bot") if inbox.settings else None
    if not raw:
        return BotSettings()
    try:
        return BotSettings.model_validate(raw)
    except ValidationError:
        return BotSettings()


def bot_enabled(inbox: Inbox) -> bool:
    raw = inbox.settings.get("bot") if inbox.settings else None
    return bool(isinstance(raw, dict) and raw.get("enabled")) and bot_settings(inbox).enabled
