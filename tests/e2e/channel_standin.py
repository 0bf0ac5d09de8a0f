"""Stand-in channel adapters for the console's browser tests, installed only in the kefu server
process those tests start (tests/e2e/channel_server.py). They stand in for the real
"telegram" and "whatsapp" adapters, which have their own tests against fake provider APIs:
here the provider is this module (no HTTP), so the browser tests exercise the console and the
core (webhook route, inbound, outbox, delivery states, retry, window, templates) without one.

- Webhook: `{"update_id", "user", "name", "text", "mid"}` (optional: "html", "phone",
  "email", "verified_phone") with the header
  X-Standin-Secret = the inbox's `webhook_secret`.
- Send: a message whose text contains "[fail]" fails once ("Forbidden: bot was blocked by the
  user"), then succeeds; anything else succeeds at once.
"""

from __future__ import annotations

import hmac
import itertools
import secrets as _secrets
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import orjson
from pydantic import Field

from kefu.channels import base
from kefu.channels.base import (
    ChannelAdapter,
    ChannelConfig,
    ChannelContext,
    ChannelSecrets,
    InboundEvent,
    OutgoingMessage,
    PayloadInvalid,
    SendFailed,
    SendResult,
    SignatureInvalid,
    TemplateInfo,
    WebhookRequest,
)

FAIL_ONCE = "[fail]"
_failed: set[int] = set()
_ids = itertools.count(1)


class StandInConfig(ChannelConfig):
    api_base: str = "https://provider.invalid"
    phone_number_id: str = ""
    waba_id: str = ""


class StandInSecrets(ChannelSecrets):
    bot_token: str = ""
    access_token: str = ""
    app_secret: str = ""
    verify_token: str = ""
    webhook_secret: str = Field(default_factory=lambda: _secrets.token_urlsafe(24))


class StandInTelegram(ChannelAdapter):
    channel_type: ClassVar[str] = "telegram"
    config_model: ClassVar[type[ChannelConfig]] = StandInConfig
    secrets_model: ClassVar[type[ChannelSecrets]] = StandInSecrets

    def verify(self, request: WebhookRequest, secrets: Any) -> None:
        given = request.headers.get("x-standin-secret", "")
        if not hmac.compare_digest(given, secrets.webhook_secret):
            raise SignatureInvalid("bad secret")

    def parse(self, request: WebhookRequest, config: Any) -> list[InboundEvent]:
        try:
            item = orjson.loads(request.body)
            return [
                InboundEvent(
                    kind="message",
                    event_id=str(item["update_id"]),
                    external_user_id=str(item["user"]),
                    occurred_at=datetime.now(UTC),
                    text=item.get("text", ""),
                    profile_name=item.get("name"),
                    external_message_id=item.get("mid"),
                    # Contact details for one-customer-one-history matching: claimed ones,
                    # and a number the provider vouches for (as WhatsApp does).
                    phone=item.get("phone"),
                    email=item.get("email"),
                    verified_phone=item.get("verified_phone"),
                    # An email's sanitised HTML, as the email adapter carries it.
                    extra={"html": item["html"]} if "html" in item else {},
                )
            ]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise PayloadInvalid(str(exc)) from exc

    async def send(self, ctx: ChannelContext, message: OutgoingMessage) -> SendResult:
        if FAIL_ONCE in message.text and message.message_id not in _failed:
            _failed.add(message.message_id)
            raise SendFailed("Forbidden: bot was blocked by the user")
        return SendResult(f"standin-{next(_ids)}")


class StandInWhatsApp(StandInTelegram):
    channel_type: ClassVar[str] = "whatsapp"
    reply_window: ClassVar[timedelta | None] = timedelta(hours=24)
    supports_templates: ClassVar[bool] = True

    async def list_templates(self, ctx: ChannelContext) -> list[TemplateInfo]:
        return [
            TemplateInfo("order_update", "zh_TW", "UTILITY", "您的訂單 {{1}} 已於 {{2}} 出貨", 2)
        ]


def install() -> None:
    """Replace whatever is registered under these names, in this (test server) process only."""
    import kefu.channels.adapters  # noqa: F401  (the real adapters register first)

    base._ADAPTERS["telegram"] = StandInTelegram()
    base._ADAPTERS["whatsapp"] = StandInWhatsApp()
