"""The WhatsApp Cloud API channel (docs/channels/whatsapp.md)."""

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
    SendResult,
    TemplateInfo,
    WebhookRequest,
    register_adapter,
)
from kefu.channels.meta.webhook import answer_handshake, check_signature
from kefu.channels.whatsapp import client, templates
from kefu.channels.whatsapp.config import WhatsAppConfig, WhatsAppSecrets
from kefu.channels.whatsapp.webhook import parse_webhook


class WhatsAppAdapter(ChannelAdapter):
    channel_type: ClassVar[str] = "whatsapp"
    config_model: ClassVar[type[ChannelConfig]] = WhatsAppConfig
    secrets_model: ClassVar[type[ChannelSecrets]] = WhatsAppSecrets
    # The customer-service window: free-form messages only within 24 hours of the customer's
    # last message; after that only approved templates (error 131047 otherwise).
    reply_window: ClassVar[timedelta | None] = timedelta(hours=24)
    supports_templates: ClassVar[bool] = True

    def handshake(self, request: WebhookRequest, secrets: Any) -> str | None:
        return answer_handshake(request.query, secrets.verify_token)

    def verify(self, request: WebhookRequest, secrets: Any) -> None:
        check_signature(request.body, request.headers, secrets.app_secret)

    def parse(self, request: WebhookRequest, config: Any) -> list[InboundEvent]:
        return parse_webhook(request.body, config.phone_number_id)

    async def send(self, ctx: ChannelContext, message: OutgoingMessage) -> SendResult:
        return SendResult(external_message_id=await client.send_message(ctx, message))

    async def list_templates(self, ctx: ChannelContext) -> list[TemplateInfo]:
        return await templates.list_templates(ctx)

    async def fetch_media(self, ctx: ChannelContext, media: MediaRef) -> FetchedMedia:
        if media.data is not None:
            return await super().fetch_media(ctx, media)
        return await client.fetch_media(ctx, media)


ADAPTER = register_adapter(WhatsAppAdapter())
