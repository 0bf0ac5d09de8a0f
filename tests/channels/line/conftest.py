"""LINE test helpers: fixtures as signed webhook requests, and the fake API served over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kefu.channels.base import ChannelContext, WebhookRequest
from kefu.channels.line.adapter import LineConfig, LineSecrets
from kefu.channels.line.webhook import sign
from tests.channels.line.fake_api import SECRET, TOKEN, FakeLine
from tests.channels.provider_server import serve_asgi

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_body(name: str, **replace: str) -> bytes:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for key, value in replace.items():
        text = text.replace(key, value)
    return text.encode()


def signed(body: bytes, secret: str = SECRET) -> WebhookRequest:
    """The request exactly as LINE sends it: X-Line-Signature = base64(HMAC-SHA256(body))."""
    return WebhookRequest(
        body=body,
        headers={"content-type": "application/json", "x-line-signature": sign(body, secret)},
        query={},
    )


@dataclass
class LineWorld:
    fake: FakeLine
    ctx: ChannelContext
    external_base: str


@pytest.fixture
async def line() -> AsyncIterator[LineWorld]:
    fake = FakeLine()
    async with (
        serve_asgi(fake.api_app()) as api,
        serve_asgi(fake.data_app()) as data,
        serve_asgi(fake.external_app()) as external,
        httpx.AsyncClient(timeout=5) as http,
    ):
        ctx = ChannelContext(
            config=LineConfig.model_validate({"api_base": api, "api_data_base": data}),
            secrets=LineSecrets(channel_secret=SECRET, channel_access_token=TOKEN),
            http=http,
            inbox_id=1,
        )
        yield LineWorld(fake, ctx, external)
