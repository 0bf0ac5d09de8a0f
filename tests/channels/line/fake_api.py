"""A fake LINE Messaging API: the endpoints kefu calls, with LINE's documented checks and answers
(https://developers.line.biz/en/reference/messaging-api/).

  api host:   POST /v2/bot/message/reply, POST /v2/bot/message/push, GET /v2/bot/profile/{userId}
  data host:  GET /v2/bot/message/{messageId}/content
  (and an "external" image host for contentProvider.type == "external")

Every request is recorded; `script(path, *responses)` makes the next requests to a path answer
with given statuses (500, 429...) before the normal behaviour resumes.
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "line-channel-access-token-for-tests"
SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # Accept the push anyway (LINE may have taken a request whose answer was a 5xx or lost).
    accept: bool = False


@dataclass
class FakeLine:
    token: str = TOKEN
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    external: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    reply_tokens: set[str] = field(default_factory=set)  # issued and not yet used
    accepted_retry_keys: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    received: list[Recorded] = field(default_factory=list)
    scripted: dict[str, list[Scripted]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(600000000000000001))

    def script(self, path: str, *responses: Scripted) -> None:
        self.scripted.setdefault(path, []).extend(responses)

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.received if r.path == path]

    # -- apps ---------------------------------------------------------------------------------
    def api_app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/bot/message/reply", self._reply, methods=["POST"]),
                Route("/v2/bot/message/push", self._push, methods=["POST"]),
                Route("/v2/bot/profile/{user_id}", self._profile, methods=["GET"]),
            ]
        )

    def data_app(self) -> Starlette:
        return Starlette(
            routes=[Route("/v2/bot/message/{message_id}/content", self._content, methods=["GET"])]
        )

    def external_app(self) -> Starlette:
        return Starlette(routes=[Route("/photos/{name}", self._external, methods=["GET"])])

    # -- helpers ------------------------------------------------------------------------------
    async def _record(self, request: Request) -> Recorded:
        raw = await request.body()
        body: Any = None
        if raw:
            try:
                body = await request.json()
            except ValueError:
                body = raw
        recorded = Recorded(request.method, request.url.path, dict(request.headers), body)
        self.received.append(recorded)
        return recorded

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def _unauthorized(self) -> JSONResponse:
        return JSONResponse(
            {
                "message": "Authentication failed. Confirm that the access token in the "
                "authorization header is valid."
            },
            status_code=401,
        )

    def _next_scripted(self, path: str) -> Scripted | None:
        queue = self.scripted.get(path)
        return queue.pop(0) if queue else None

    def _sent(self, count: int) -> list[dict[str, str]]:
        return [{"id": str(next(self._ids)), "quoteToken": uuid.uuid4().hex} for _ in range(count)]

    @staticmethod
    def _check_messages(messages: Any) -> str | None:
        """LINE's documented message object rules kefu relies on; the error text LINE gives."""
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            return "Size must be between 1 and 5"
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                return f"messages[{index}] must be an object"
            kind = message.get("type")
            if kind == "text":
                text = message.get("text")
                if not isinstance(text, str) or not 1 <= len(text) <= 5000:
                    return f"messages[{index}].text: Length must be between 1 and 5000"
            elif kind == "image":
                for key in ("originalContentUrl", "previewImageUrl"):
                    url = message.get(key)
                    if not isinstance(url, str) or not url.startswith("https://"):
                        return f"messages[{index}].{key}: Must be an https url"
            else:
                return f"messages[{index}].type: unsupported in this fake"
            quick = message.get("quickReply")
            if quick is not None:
                items = quick.get("items")
                if not isinstance(items, list) or not 1 <= len(items) <= 13:
                    return f"messages[{index}].quickReply.items: Size must be between 1 and 13"
                for item in items:
                    action = item.get("action") or {}
                    if item.get("type") != "action" or action.get("type") != "message":
                        return "quickReply: only message actions in this fake"
                    if not 1 <= len(action.get("label", "")) <= 20:
                        return "quickReply.items[].action.label: Length must be between 1 and 20"
                    if not 1 <= len(action.get("text", "")) <= 300:
                        return "quickReply.items[].action.text: Length must be between 1 and 300"
        return None

    @staticmethod
    def _bad_request(detail: str) -> JSONResponse:
        return JSONResponse(
            {
                "message": "The request body has 1 error(s)",
                "details": [{"message": detail, "property": "messages"}],
            },
            status_code=400,
        )

    # -- endpoints ----------------------------------------------------------------------------
    async def _reply(self, request: Request) -> Response:
        recorded = await self._record(request)
        if not self._authorized(request):
            return self._unauthorized()
        scripted = self._next_scripted(request.url.path)
        if scripted is not None:
            return JSONResponse(scripted.body, scripted.status, headers=scripted.headers)
        body = recorded.body if isinstance(recorded.body, dict) else {}
        error = self._check_messages(body.get("messages"))
        if error:
            return self._bad_request(error)
        token = body.get("replyToken")
        if token not in self.reply_tokens:  # unknown, expired or already used
            return JSONResponse({"message": "Invalid reply token"}, status_code=400)
        self.reply_tokens.discard(token)
        return JSONResponse({"sentMessages": self._sent(len(body["messages"]))})

    async def _push(self, request: Request) -> Response:
        recorded = await self._record(request)
        if not self._authorized(request):
            return self._unauthorized()
        key = request.headers.get("x-line-retry-key")
        if key is not None:
            try:
                uuid.UUID(key)
            except ValueError:
                return JSONResponse(
                    {"message": "The value for the 'X-Line-Retry-Key' header is invalid"}, 400
                )
            if key in self.accepted_retry_keys:
                return JSONResponse(
                    {
                        "message": "The retry key is already accepted",
                        "sentMessages": self.accepted_retry_keys[key],
                    },
                    status_code=409,
                    headers={"x-line-accepted-request-id": uuid.uuid4().hex},
                )
        body = recorded.body if isinstance(recorded.body, dict) else {}
        scripted = self._next_scripted(request.url.path)
        if scripted is not None:
            if scripted.accept and key is not None:
                self.accepted_retry_keys[key] = self._sent(len(body.get("messages") or [1]))
            return JSONResponse(scripted.body, scripted.status, headers=scripted.headers)
        error = self._check_messages(body.get("messages"))
        if error:
            return self._bad_request(error)
        if not re.fullmatch(r"U[0-9a-f]{32}", str(body.get("to", ""))):
            return JSONResponse({"message": "Failed to send messages"}, status_code=400)
        sent = self._sent(len(body["messages"]))
        if key is not None:
            self.accepted_retry_keys[key] = sent
        return JSONResponse({"sentMessages": sent})

    async def _profile(self, request: Request) -> Response:
        await self._record(request)
        if not self._authorized(request):
            return self._unauthorized()
        scripted = self._next_scripted(request.url.path)
        if scripted is not None:
            return JSONResponse(scripted.body, scripted.status, headers=scripted.headers)
        profile = self.profiles.get(request.path_params["user_id"])
        if profile is None:
            return JSONResponse({"message": "Not found"}, status_code=404)
        return JSONResponse(profile)

    async def _content(self, request: Request) -> Response:
        await self._record(request)
        if not self._authorized(request):
            return self._unauthorized()
        scripted = self._next_scripted(request.url.path)
        if scripted is not None:
            return JSONResponse(scripted.body, scripted.status, headers=scripted.headers)
        content = self.contents.get(request.path_params["message_id"])
        if content is None:
            return JSONResponse({"message": "Not found"}, status_code=404)
        return Response(content[0], media_type=content[1])

    async def _external(self, request: Request) -> Response:
        await self._record(request)
        content = self.external.get(request.path_params["name"])
        if content is None:
            return Response(status_code=404)
        return Response(content[0], media_type=content[1])
