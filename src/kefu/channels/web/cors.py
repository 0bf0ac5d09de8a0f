"""CORS for the widget API, which host sites call from their own origin.

The middleware only echoes the Origin so the browser can read responses (including errors);
whether that origin may use the inbox is decided per request in views.py, against the inbox's
allowed origins. No cookies are involved (visitors authenticate with a header token).
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIXES = ("/api/v1/widget/",)
ALLOW_HEADERS = "content-type, x-kefu-visitor"


class WidgetCORSMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIXES):
            await self.app(scope, receive, send)
            return
        origin = Headers(scope=scope).get("origin")
        if not origin:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            headers = {
                "access-control-allow-origin": origin,
                "access-control-allow-methods": "GET, POST",
                "access-control-allow-headers": ALLOW_HEADERS,
                "access-control-max-age": "600",
                "vary": "Origin",
            }
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["access-control-allow-origin"] = origin
                headers.append("vary", "Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)
