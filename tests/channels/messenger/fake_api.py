"""A fake Messenger Platform (Graph API) speaking the documented contract of the endpoints kefu
calls, for tests over real HTTP:

  POST /{version}/{page_id}/messages        Send API (text + quick_replies, attachment by URL)
  GET  /{version}/{psid}                    User Profile API (fields=first_name,last_name,...)
  GET  /cdn/{name}                          attachment downloads (a CDN: no token wanted)

The page token is accepted as Meta documents it (access_token in the query) or as an OAuth
Bearer header; a wrong one is 401 code 190. Bodies are checked like the real API (400 code
100); people in `outside_window` get "(#10) This message is sent outside of allowed window"
unless the message carries the HUMAN_AGENT tag and `human_agent_allowed`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.channels import meta_harness as harness

VERSION = "v21.0"
PAGE_ID = "1234567890123456"
PAGE_TOKEN = "EAAB-page-access-token"
APP_SECRET = "messenger-app-secret"
VERIFY_TOKEN = "kefu-messenger-verify"


def meta_signature(body: bytes, app_secret: str = APP_SECRET) -> str:
    return harness.meta_signature(body, app_secret)


graph_error = harness.graph_error


WINDOW_CLOSED = graph_error(
    400,
    10,
    "(#10) This message is sent outside of allowed window. Learn more about the new policy "
    "here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
    subcode=2018278,
)


Recorded = harness.Recorded


@dataclass
class FakeMessenger:
    page_token: str = PAGE_TOKEN
    requests: list[Recorded] = field(default_factory=list)
    fail_next: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # CDN files by name
    outside_window: set[str] = field(default_factory=set)
    human_agent_allowed: bool = False
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [r.json for r in self.requests if r.path.endswith("/messages")]

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{version}/{page_id}/messages", self._messages, methods=["POST"]),
                Route("/cdn/{name}", self._cdn, methods=["GET"]),
                Route("/{version}/{psid}", self._profile, methods=["GET"]),
            ]
        )

    def _record(self, request: Request, body: Any = None) -> None:
        self.requests.append(
            Recorded(
                request.method,
                request.url.path,
                dict(request.headers),
                dict(request.query_params),
                body,
            )
        )

    def _refused(self, request: Request) -> Response | None:
        if request.path_params["version"] != VERSION:
            return _error(*graph_error(400, 2500, "Unknown path components"))
        token = request.query_params.get("access_token")
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            token = header.removeprefix("Bearer ")
        if token != self.page_token:
            return _error(*graph_error(401, 190, "Invalid OAuth access token - Cannot parse"))
        return None

    async def _messages(self, request: Request) -> Response:
        body = await request.json()
        self._record(request, body)
        refused = self._refused(request)
        if refused is None and request.path_params["page_id"] not in {PAGE_ID, "me"}:
            refused = _error(*graph_error(400, 100, "(#100) Invalid page id"))
        if refused is not None:
            return refused
        if self.fail_next:
            return _error(*self.fail_next.pop(0))
        problem = _send_problem(body)
        if problem:
            return _error(*graph_error(400, 100, f"(#100) {problem}"))
        psid = body["recipient"]["id"]
        tagged = body["messaging_type"] == "MESSAGE_TAG" and body.get("tag") == "HUMAN_AGENT"
        if psid in self.outside_window and not (tagged and self.human_agent_allowed):
            return _error(*WINDOW_CLOSED)
        return JSONResponse({"recipient_id": psid, "message_id": f"m_FAKE{next(self._ids)}"})

    async def _profile(self, request: Request) -> Response:
        self._record(request)
        refused = self._refused(request)
        if refused is not None:
            return refused
        if self.fail_next:
            return _error(*self.fail_next.pop(0))
        psid = request.path_params["psid"]
        if psid not in self.profiles:
            return _error(*graph_error(400, 100, "(#100) No profile available for that user"))
        wanted = request.query_params.get("fields", "").split(",")
        profile = self.profiles[psid]
        return JSONResponse({"id": psid, **{k: v for k, v in profile.items() if k in wanted}})

    async def _cdn(self, request: Request) -> Response:
        self._record(request)
        name = request.path_params["name"]
        if name not in self.files:
            return Response("URL signature expired", status_code=403)
        data, mime = self.files[name]
        return Response(data, media_type=mime)


def _error(status: int, body: dict[str, Any], headers: dict[str, str]) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def _send_problem(body: Any) -> str:
    """What the real Send API would refuse ("" if nothing)."""
    if not isinstance(body, dict) or not isinstance(body.get("recipient"), dict):
        return "recipient is required"
    if not body["recipient"].get("id"):
        return "recipient.id is required"
    kind = body.get("messaging_type")
    if kind not in {"RESPONSE", "UPDATE", "MESSAGE_TAG"}:
        return "messaging_type must be RESPONSE, UPDATE or MESSAGE_TAG"
    if kind == "MESSAGE_TAG" and not body.get("tag"):
        return "a tag is required with MESSAGE_TAG"
    message = body.get("message")
    if not isinstance(message, dict) or ("text" in message) == ("attachment" in message):
        return "message must have exactly one of text or attachment"
    if "text" in message and not 0 < len(message["text"]) < 2000:
        return "text must be 1 to 1999 characters"
    if "attachment" in message:
        attachment = message["attachment"]
        if attachment.get("type") not in {"image", "video", "audio", "file", "template"}:
            return "bad attachment type"
        if not str(attachment.get("payload", {}).get("url", "")).startswith("https://"):
            return "attachment payload.url must be an https URL"
    replies = message.get("quick_replies")
    if replies is not None:
        if not 1 <= len(replies) <= 13:
            return "1 to 13 quick replies"
        for reply in replies:
            if reply.get("content_type") != "text" or not 1 <= len(reply.get("title", "")) <= 20:
                return "quick reply titles are 1 to 20 characters"
            if not reply.get("payload"):
                return "quick reply payload is required"
    return ""
