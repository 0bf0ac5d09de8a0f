"""The LINE channel: a LINE Official Account's Messaging API channel as a kefu inbox.

Setup (docs/channels/line.md): the admin pastes the channel secret and a long-lived channel
access token from the LINE Developers Console, and kefu's webhook URL into the console.
"""

from __future__ import annotations

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
    Profile,
    SendResult,
    WebhookRequest,
    api_base_url,
    register_adapter,
)
from kefu.channels.line import client, webhook


class LineConfig(ChannelConfig):
    # Plain strings (not HttpUrl) so that kefu.channels.settings checks them like every
    # provider URL: https to a public host unless private URLs are allowed (tests).
    api_base: str = "https://api.line.me"
    api_data_base: str = "https://api-data.line.me"

    @field_validator("api_base", "api_data_base")
    @classmethod
    def _plain_base(cls, value: str) -> str:
        return api_base_url(value)

    def base(self) -> str:
        return self.api_base

    def data_base(self) -> str:
        return self.api_data_base


class LineSecrets(ChannelSecrets):
    # LINE Developers Console > the channel > Basic settings > Channel secret (32 hex digits).
    channel_secret: str = Field(min_length=1, max_length=200)
    # Messaging API > Channel access token (long-lived), or one issued by the token API.
    channel_access_token: str = Field(min_length=1, max_length=2000)


class LineAdapter(ChannelAdapter):
    channel_type: ClassVar[str] = "line"
    config_model: ClassVar[type[ChannelConfig]] = LineConfig
    secrets_model: ClassVar[type[ChannelSecrets]] = LineSecrets
    reply_window: ClassVar[timedelta | None] = None  # push messages are allowed at any time
    # How long kefu treats an inbound event's reply token as usable (LINE: one minute).
    reply_token_ttl: ClassVar[timedelta] = client.REPLY_TOKEN_TTL

    def verify(self, request: WebhookRequest, secrets: Any) -> None:
        webhook.verify_signature(request.body, request.headers, secrets.channel_secret)

    def parse(self, request: WebhookRequest, config: Any) -> list[InboundEvent]:
        return webhook.parse_events(request.body)

    async def send(self, ctx: ChannelContext, message: OutgoingMessage) -> SendResult:
        return await client.send(
            ctx.http, ctx.config.base(), ctx.secrets.channel_access_token, message
        )

    async def fetch_profile(self, ctx: ChannelContext, external_user_id: str) -> Profile | None:
        return await client.get_profile(
            ctx.http, ctx.config.base(), ctx.secrets.channel_access_token, external_user_id
        )

    async def fetch_media(self, ctx: ChannelContext, media: MediaRef) -> FetchedMedia:
        if media.data is not None:
            return FetchedMedia(media.data, media.content_type, media.file_name)
        return await client.get_content(
            ctx.http, ctx.config.data_base(), ctx.secrets.channel_access_token, media
        )


ADAPTER = LineAdapter()
register_adapter(ADAPTER)
