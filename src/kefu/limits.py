"""Refuse request bodies over the configured size, and NUL characters in API requests, before
anything parses them."""

from __future__ import annotations

import re
from collections.abc import Sequence

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kefu.i18n import pick_locale, translate


class BodySizeLimitMiddleware:
    """`max_bytes` for every request, except POSTs to the paths in `larger` (regular
    expressions, each with its own limit): the upload routes, which accept bigger bodies and
    enforce their per-inbox limits themselves while streaming (kefu/attachments/upload.py)."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = [(re.compile(pattern), limit) for pattern, limit in larger]

    def limit_for(self, scope: Scope) -> int:
        if scope["method"] == "POST":
            for pattern, limit in self.larger:
                if pattern.fullmatch(scope["path"]):
                    return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > max_bytes:
                await _too_large(send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = orjson.dumps(
        {"error": {"code": "payload_too_large", "message": "The request body is too large."}}
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class NulCharacterMiddleware:
    """Refuse a NUL character anywhere in an API request's path, query or JSON body (422
    `bad_text`): PostgreSQL cannot store one in text (a 500 otherwise) and SQLite would keep it
    silently. Only JSON bodies are read here; uploads stream through untouched."""

    def __init__(self, app: ASGIApp, *, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            await _nul_refused(scope, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
        if not content_type.startswith(b"application/json"):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # disconnected: nothing to answer
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if b"\\u0000" in body and _has_nul(body):
            await _nul_refused(scope, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _has_nul(body: bytes) -> bool:
    try:
        stack: list[object] = [orjson.loads(body)]
    except orjson.JSONDecodeError:
        return False  # the route refuses it as invalid JSON
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


async def _nul_refused(scope: Scope, send: Send) -> None:
    locale = pick_locale(dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1"))
    message = translate("bad_text", locale, "The request contains a NUL character.")
    body = orjson.dumps({"error": {"code": "bad_text", "message": message}})
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
