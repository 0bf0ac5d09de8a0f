"""The Telegram channel: a bot (from @BotFather) as a kefu inbox.

Setup (docs/channels/telegram.md): the admin pastes the bot token; kefu generates the webhook
secret and registers its webhook URL with setWebhook (`register_webhook`), so there is nothing to
paste at Telegram's side.
"""

from __future__ import annotations

import contextlib
import secrets as _secrets
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, field_validator

from kefu.channels.base import (
    ChannelAdapter,
    ChannelConfig,
    ChannelContext,
    ChannelSecrets,
    FetchedMedia,
    InboundEvent,
    MediaRef,
    OutgoingMessage,
    SendFailed,
    SendResult,
    SendRetryable,
    SignatureInvalid,
    WebhookRequest,
    api_base_url,
    register_adapter,
)
from kefu.channels.telegram import client, webhook


class TelegramConfig(ChannelConfig):
    # Tests (or a self-hosted Bot API server) point this elsewhere; a plain string so that
    # kefu.channels.settings checks it like every provider URL.
    api_base: str = "https://api.telegram.org"

    @field_validator("api_base")
    @classmethod
    def _plain_base(cls, value: str) -> str:
        return api_base_url(value)

    def base(self) -> str:
        return self.api_base


def generate_webhook_secret() -> str:
    return _secrets.token_urlsafe(48)  # 64 characters of A-Z a-z 0-9 _ -


class TelegramSecrets(ChannelSecrets):
    # From @BotFather: "123456789:AA..." (the bot's id, a colon, the secret part).
    bot_token: str = Field(min_length=1, max_length=200, pattern=r"^\d+:[A-Za-z0-9_-]+$")
    # Given to Telegram by setWebhook and checked on every update: Telegram allows 1-256
    # characters of A-Z, a-z, 0-9, "_" and "-". Unset until kefu registers the webhook
    # (POST /api/v1/inboxes/{id}/telegram/webhook generates and stores one); until then every
    # update is refused.
    webhook_secret: str | None = Field(
        default=None, min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_-]+$"
    )


class TelegramAdapter(ChannelAdapter):
    channel_type: ClassVar[str] = "telegram"
    config_model: ClassVar[type[ChannelConfig]] = TelegramConfig
    secrets_model: ClassVar[type[ChannelSecrets]] = TelegramSecrets
    reply_window: ClassVar[timedelta | None] = None  # a bot may write whenever the user lets it

    def verify(self, request: WebhookRequest, secrets: Any) -> None:
        if not secrets.webhook_secret:
            raise SignatureInvalid("no webhook secret yet: register the webhook first")
        webhook.verify_secret(request.headers, secrets.webhook_secret)

    def parse(self, request: WebhookRequest, config: Any) -> list[InboundEvent]:
        return webhook.parse_update(request.body)

    async def send(self, ctx: ChannelContext, message: OutgoingMessage) -> SendResult:
        return await client.send(self._api(ctx), message)

    async def fetch_media(self, ctx: ChannelContext, media: MediaRef) -> FetchedMedia:
        if media.data is not None:
            return FetchedMedia(media.data, media.content_type, media.file_name)
        return await client.get_file(self._api(ctx), media)

    async def acknowledge(self, ctx: ChannelContext, events: list[InboundEvent]) -> None:
        """After the events are stored: answer the button taps among them (best effort: an
        unanswered callback only leaves a spinner on the customer's button for a while)."""
        for event in events:
            query_id = event.extra.get("telegram_callback_query_id")
            if isinstance(query_id, str):
                with contextlib.suppress(SendFailed, SendRetryable):
                    await client.answer_callback_query(self._api(ctx), query_id)

    async def register_webhook(self, ctx: ChannelContext, url: str, secret: str) -> None:
        """setWebhook with kefu's webhook URL for this inbox and the secret Telegram must send
        back (raises SendFailed or SendRetryable with Telegram's description)."""
        await client.set_webhook(self._api(ctx), url, secret)

    @staticmethod
    def _api(ctx: ChannelContext) -> client.TelegramApi:
        return client.TelegramApi(ctx.http, ctx.config.base(), ctx.secrets.bot_token)


ADAPTER = TelegramAdapter()
register_adapter(ADAPTER)
