"""Local fakes the bot calls over real HTTP (served with tests.channels.provider_server):

- FakeOrderService: a company's order-status endpoint for bot HTTP actions. It verifies the
  X-Kefu-Signature the way docs/bot-actions.md tells companies to, and answers from `orders`;
  `mode` switches it to misbehaving (500, slow, not JSON, huge, redirect).
- FakeChatCompletions: an OpenAI-compatible POST /chat/completions that records each request
  and answers with the scripted `reply` text (what a model would have said).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

ORDER_SECRET = "order-service-shared-secret"


def verify_kefu_signature(secret: str, headers: Any, raw_body: bytes, max_age: int = 300) -> bool:
    """The verification snippet of docs/bot-actions.md, as a company would run it."""
    timestamp = headers.get("X-Kefu-Timestamp", "")
    signature = headers.get("X-Kefu-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > max_age:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256)
    return hmac.compare_digest(signature, "sha256=" + expected.hexdigest())


@dataclass
class FakeOrderService:
    secret: str = ORDER_SECRET
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    # ok | error | slow | not_json | huge | redirect
    mode: str = "ok"
    requests: list[dict[str, Any]] = field(default_factory=list)  # path, headers, body, verified
    admin_hits: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/orders/status", self._status, methods=["POST"]),
                Route("/admin", self._admin, methods=["GET", "POST"]),
            ]
        )

    async def _admin(self, request: Request) -> Response:
        self.admin_hits += 1
        return JSONResponse({"secret": "the admin page"})

    async def _status(self, request: Request) -> Response:
        raw = await request.body()
        verified = verify_kefu_signature(self.secret, request.headers, raw)
        self.requests.append(
            {
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": raw,
                "verified": verified,
            }
        )
        if not verified:
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if self.mode == "error":
            return JSONResponse({"error": "database down"}, status_code=500)
        if self.mode == "slow":
            await asyncio.sleep(3)
        if self.mode == "not_json":
            return Response("<html>oops</html>", media_type="text/html")
        if self.mode == "huge":
            return Response(json.dumps({"status": "x" * 200_000}), media_type="application/json")
        if self.mode == "redirect":
            return RedirectResponse("/admin", status_code=307)
        payload = json.loads(raw)
        order = self.orders.get(payload["value"])
        if order is None:
            return JSONResponse({"error": "no such order"}, status_code=404)
        return JSONResponse(order)


@dataclass
class FakeChatCompletions:
    reply: str = "NO_ANSWER"
    status: int = 200
    delay: float = 0.0
    raw_body: bytes | None = None  # answer exactly this instead of a completion
    requests: list[dict[str, Any]] = field(default_factory=list)  # headers, json

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])

    async def _complete(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append({"headers": dict(request.headers), "json": body})
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.raw_body is not None:
            return Response(self.raw_body, status_code=self.status, media_type="application/json")
        if self.status != 200:
            return JSONResponse({"error": {"message": "overloaded"}}, status_code=self.status)
        return JSONResponse(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": body.get("model", ""),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": self.reply},
                        "finish_reason": "stop",
                    }
                ],
            }
        )
