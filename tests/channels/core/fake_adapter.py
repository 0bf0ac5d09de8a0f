"""A channel adapter for testing the core (kefu.channels): a provider whose webhook is a JSON
list of events signed with HMAC-SHA256 in X-Fake-Signature, and whose API is the FakeProvider
below. Registered as channel type "fake" (and "fakewin", with a 24-hour reply window)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kefu.channels.base import (
    ChannelAdapter,
    ChannelConfig,
    ChannelContext,
    ChannelSecrets,
    FetchedMedia,
    InboundEvent,
    MediaRef,
    OutgoingMessage,
    PayloadInvalid,
    Profile,
    SendFailed,
    SendResult,
    SignatureInvalid,
    TemplateInfo,
    WebhookRequest,
    raise_for_provider_status,
    register_adapter,
)


class FakeConfig(ChannelConfig):
    api_base: str = "https://fake.example.com"


class FakeSecrets(ChannelSecrets):
    signing_secret: str
    token: str


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeAdapter(ChannelAdapter):
    channel_type: ClassVar[str] = "fake"
    config_model = FakeConfig
    secrets_model = FakeSecrets

    def verify(self, request: WebhookRequest, secrets: Any) -> None:
        given = request.headers.get("x-fake-signature", "")
        if not hmac.compare_digest(given, sign(secrets.signing_secret, request.body)):
            raise SignatureInvalid("bad signature")

    def parse(self, request: WebhookRequest, config: Any) -> list[InboundEvent]:
        try:
            items = orjson.loads(request.body)
            return [_event(item) for item in items]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise PayloadInvalid(f"not a list of events ({exc})") from exc

    async def send(self, ctx: ChannelContext, message: OutgoingMessage) -> SendResult:
        body = {
            "to": message.recipient,
            "text": message.text,
            "reply_token": message.reply_token,
            "template": message.template.name if message.template else None,
            "files": [a.public_url for a in message.attachments],
        }
        response = await ctx.http.post(
            f"{ctx.config.api_base}/send",
            json=body,
            headers={"authorization": f"Bearer {ctx.secrets.token}"},
        )
        raise_for_provider_status(response, response.json().get("error", ""))
        return SendResult(response.json()["id"], used_reply_token=bool(message.reply_token))

    async def fetch_profile(self, ctx: ChannelContext, external_user_id: str) -> Profile | None:
        response = await ctx.http.get(f"{ctx.config.api_base}/profile/{external_user_id}")
        raise_for_provider_status(response, "profile")
        return Profile(name=response.json()["name"])

    async def fetch_media(self, ctx: ChannelContext, media: MediaRef) -> FetchedMedia:
        response = await ctx.http.get(f"{ctx.config.api_base}/media/{media.ref}")
        if response.status_code == 404:
            raise SendFailed("media expired")
        raise_for_provider_status(response, "media")
        return FetchedMedia(response.content, response.headers.get("content-type"), "photo.png")

    async def list_templates(self, ctx: ChannelContext) -> list[TemplateInfo]:
        return [TemplateInfo("order_update", "zh_TW", "UTILITY", "您的訂單 {{1}} 已出貨", 1)]


class FakeWindowAdapter(FakeAdapter):
    channel_type: ClassVar[str] = "fakewin"
    reply_window = timedelta(hours=24)
    supports_templates = True


def _event(item: dict[str, Any]) -> InboundEvent:
    return InboundEvent(
        kind=item.get("kind", "message"),
        event_id=item["id"],
        external_user_id=item.get("user", ""),
        occurred_at=datetime.fromisoformat(item["at"]) if "at" in item else datetime.now(UTC),
        text=item.get("text", ""),
        media=tuple(MediaRef(ref=r, content_type="image/png") for r in item.get("media", ())),
        profile_name=item.get("name"),
        external_message_id=item.get("mid"),
        reply_token=item.get("reply_token"),
        status=item.get("status"),
        status_error=item.get("error"),
        extra={"auto_generated": True} if item.get("auto") else {},
    )


register_adapter(FakeAdapter())
register_adapter(FakeWindowAdapter())


class FakeProvider:
    """The fake API: records requests; `responses` queues (status, body, headers) answers for
    /send, default 200 with a new id."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.responses: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.media: dict[str, bytes] = {}
        self._ids: Iterator[int] = iter(range(1, 10_000))
        self.app = Starlette(
            routes=[
                Route("/send", self._send, methods=["POST"]),
                Route("/profile/{user}", self._profile),
                Route("/media/{ref}", self._media),
            ]
        )

    async def _send(self, request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer tok":
            return JSONResponse({"error": "bad token"}, status_code=401)
        self.sent.append(await request.json())
        if self.responses:
            status, body, headers = self.responses.pop(0)
            return JSONResponse(body, status_code=status, headers=headers)
        return JSONResponse({"id": f"ext-{next(self._ids)}"})

    async def _profile(self, request: Request) -> Response:
        return JSONResponse({"name": f"LINE 用戶 {request.path_params['user']}"})

    async def _media(self, request: Request) -> Response:
        data = self.media.get(request.path_params["ref"])
        if data is None:
            return JSONResponse({"error": "gone"}, status_code=404)
        return Response(data, media_type="image/png")
