"""An inbox's routing settings (stored in `inboxes.settings["routing"]`), with the defaults a new
inbox gets. Every text the customer may receive is editable in zh-TW and en."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kefu.bounds import Id
from kefu.inboxes.models import Inbox
from kefu.routing.hours import BusinessHoursSettings
from kefu.routing.sla import SlaSettings

Policy = Literal["balanced", "round_robin"]
OnAgentOffline = Literal["keep", "requeue"]


class LocalizedText(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    zh_tw: str = Field(default="", alias="zh-TW", max_length=1000)
    en: str = Field(default="", max_length=1000)

    def pick(self, locale: str) -> str:
        """The text in `locale`, falling back to the other language if that one is empty."""
        first, second = (self.en, self.zh_tw) if locale == "en" else (self.zh_tw, self.en)
        return first or second


def _text(zh: str, en: str) -> LocalizedText:
    return LocalizedText.model_validate({"zh-TW": zh, "en": en})


class AutoReplies(BaseModel):
    """Placeholders: {queue_number}, {position}, {wait_minutes}, {next_open}."""

    model_config = ConfigDict(extra="forbid")

    greeting: LocalizedText = _text("您好，感謝您的來訊！", "Hi, thanks for getting in touch!")
    queued: LocalizedText = _text(
        "已收到您的訊息。您的號碼是 {queue_number}，預計等待約 {wait_minutes} 分鐘。",
        "We've received your message. Your number is {queue_number}; "
        "the expected wait is about {wait_minutes} minutes.",
    )
    queued_no_estimate: LocalizedText = _text(
        "已收到您的訊息。您的號碼是 {queue_number}，客服人員將盡快為您服務。",
        "We've received your message. Your number is {queue_number}; "
        "an agent will be with you as soon as possible.",
    )
    outside_hours: LocalizedText = _text(
        "目前為非服務時間，我們將於 {next_open} 回覆您。"
        "歡迎留下您的 Email 或電話，我們會主動與您聯繫。",
        "We're closed right now and will be back {next_open}. "
        "Leave your email or phone number and we'll get back to you.",
    )
    topic_question: LocalizedText = _text("請問您想詢問哪一類問題？", "What can we help you with?")


class Topic(BaseModel):
    """A department the customer picks (pre-chat form or quick replies), routed to a team."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    label: LocalizedText
    team_id: Id | None = None


class PrechatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    ask_name: bool = True
    ask_email: bool = True
    ask_phone: bool = False
    # The customer must leave an email or a phone number (whichever fields are asked).
    require_contact: bool = False


class RoutingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_assign: bool = True
    policy: Policy = "balanced"
    max_conversations_per_agent: int = Field(default=5, ge=1, le=100)
    on_agent_offline: OnAgentOffline = "keep"
    agents_can_take: bool = True
    # Which automatic replies are sent (their texts are in auto_replies).
    greeting_enabled: bool = True
    queued_reply_enabled: bool = True
    outside_hours_reply_enabled: bool = True
    business_hours: BusinessHoursSettings = BusinessHoursSettings()
    auto_replies: AutoReplies = AutoReplies()
    sla: SlaSettings = SlaSettings()
    prechat: PrechatSettings = PrechatSettings()
    topics: list[Topic] = Field(default_factory=list, max_length=20)

    def topic(self, key: str | None) -> Topic | None:
        return next((t for t in self.topics if t.key == key), None)


def routing_settings(inbox: Inbox) -> RoutingSettings:
    """The inbox's settings; defaults for anything unset (or, defensively, unreadable)."""
    raw = inbox.settings.get("routing") if inbox.settings else None
    if not raw:
        return RoutingSettings()
    try:
        return RoutingSettings.model_validate(raw)
    except ValidationError:
        return RoutingSettings()


def fill(template: str, **values: object) -> str:
    """Replace the known {placeholders} only: an admin's text may contain other braces."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template
