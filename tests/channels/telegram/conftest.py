"""Telegram test helpers: updates as Telegram posts them, and the fake Bot API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kefu.channels.base import ChannelContext, WebhookRequest
from kefu.channels.telegram.adapter import TelegramConfig, TelegramSecrets
from tests.channels.provider_server import serve_asgi
from tests.channels.telegram.fake_api import TOKEN, FakeTelegram

FIXTURES = Path(__file__).parent / "fixtures"
WEBHOOK_SECRET = "kefu-telegram_webhook-secret-0123456789"


def fixture_body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def delivered(body: bytes, secret: str = WEBHOOK_SECRET) -> WebhookRequest:
    """The request as Telegram sends it to a webhook set with secret_token."""
    return WebhookRequest(
        body=body,
        headers={"content-type": "application/json", "x-telegram-bot-api-secret-token": secret},
        query={},
    )


@dataclass
class TelegramWorld:
    fake: FakeTelegram
    ctx: ChannelContext


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramWorld]:
    fake = FakeTelegram()
    async with serve_asgi(fake.app()) as base, httpx.AsyncClient(timeout=5) as http:
        ctx = ChannelContext(
            config=TelegramConfig.model_validate({"api_base": base}),
            secrets=TelegramSecrets(bot_token=TOKEN, webhook_secret=WEBHOOK_SECRET),
            http=http,
            inbox_id=1,
        )
        yield TelegramWorld(fake, ctx)
