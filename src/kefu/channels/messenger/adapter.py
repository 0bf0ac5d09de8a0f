"""The Facebook Messenger channel (docs/channels/messenger.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

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
    register_adapter,
)
from kefu.channels.messenger import client
from kefu.channels.messenger.config import MessengerConfig, MessengerSecrets
from kefu.channels.messenger.webhook import parse_webhook
from kefu.channels.meta.webhook import answer_handshake, check_signature

# With the HUMAN_AGENT tag (config.human_agent_tag) a person may answer for 7 days.
HUMAN_AGENT_WINDOW = timedelta(days=7)


class MessengerAdapter(ChannelAdapter):
    channel_type: ClassVar[str] = "messenger"
    config_model: ClassVar[type[ChannelConfig]] = MessengerConfig
    secrets_model: ClassVar[type[ChannelSecrets]] = MessengerSecrets
    # The standard messaging window: 24 hours after the customer's last message.
    reply_window: ClassVar[timedelta | None] = timedelta(hours=24)

    def reply_window_for(self, config: Any) -> timedelta | None:
        """This inbox's window: 7 days for an app approved for the HUMAN_AGENT tag (proposed
        contract addition)."""
        return HUMAN_AGENT_WINDOW if config.human_agent_tag else self.reply_window

    def handshake(self, request: WebhookRequest, secrets: Any) -> str | None:
        return answer_handshake(request.query, secrets.verify_token)

    def verify(self, request: WebhookRequest, secrets: Any) -> None:
        check_signature(request.body, request.headers, secrets.app_secret)

    def parse(self, request: WebhookRequest, config: Any) -> list[InboundEvent]:
        return parse_webhook(request.body, config.page_id)

    async def send(self, ctx: ChannelContext, message: OutgoingMessage) -> SendResult:
        return SendResult(external_message_id=await client.send_message(ctx, message))

    async def fetch_profile(self, ctx: ChannelContext, external_user_id: str) -> Profile | None:
        return await client.fetch_profile(ctx, external_user_id)

    async def fetch_media(self, ctx: ChannelContext, media: MediaRef) -> FetchedMedia:
        if media.data is not None:
            return await super().fetch_media(ctx, media)
        return await client.fetch_media(ctx, media)


ADAPTER = register_adapter(MessengerAdapter())
