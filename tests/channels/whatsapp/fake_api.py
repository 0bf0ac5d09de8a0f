"""A fake WhatsApp Cloud API (Graph API) speaking the documented contract of the endpoints kefu
calls, for tests over real HTTP:

  POST /{version}/{phone_number_id}/messages          send (text, interactive, media, template)
  POST /{version}/{phone_number_id}/media              upload (multipart: file, type, product)
  GET  /{version}/{media_id}                           media info with a download URL
  GET  /media-download/{media_id}                      the download (Bearer token required)
  GET  /{version}/{waba_id}/message_templates          templates, cursor-paged

Requests are checked as the real API checks them (Bearer token -> 401 code 190, body shape ->
400 code 100) and recorded; `fail_next` scripts answers (429, 5xx, Graph error codes).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.channels import meta_harness as harness

VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
ACCESS_TOKEN = "EAAG-test-access-token"
APP_SECRET = "whatsapp-app-secret"
VERIFY_TOKEN = "kefu-verify-token"
SEND_TYPES = {"text", "image", "document", "audio", "video", "sticker", "interactive", "template"}


def meta_signature(body: bytes, app_secret: str = APP_SECRET) -> str:
    return harness.meta_signature(body, app_secret)


def graph_error(
    status: int, code: int, message: str, *, subcode: int | None = None, details: str = ""
) -> tuple[int, dict[str, Any], dict[str, str]]:
    data = {"messaging_product": "whatsapp", "details": details} if details else None
    return harness.graph_error(status, code, message, subcode=subcode, error_data=data)


Recorded = harness.Recorded


@dataclass
class FakeWhatsApp:
    access_token: str = ACCESS_TOKEN
    requests: list[Recorded] = field(default_factory=list)
    # Scripted answers for the next sends/uploads, in order: (status, json body, headers).
    fail_next: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    uploads: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # inbound files by id
    templates: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [r.json for r in self.requests if r.path.endswith("/messages")]

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{version}/{phone_number_id}/messages", self._messages, methods=["POST"]),
                Route("/{version}/{phone_number_id}/media", self._upload, methods=["POST"]),
                Route("/{version}/{waba_id}/message_templates", self._templates, methods=["GET"]),
                Route("/media-download/{media_id}", self._download, methods=["GET"]),
                Route("/{version}/{media_id}", self._media_info, methods=["GET"]),
            ]
        )

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.access_token}"

    def _record(self, request: Request, **kwargs: Any) -> None:
        self.requests.append(
            Recorded(
                request.method,
                request.url.path,
                dict(request.headers),
                dict(request.query_params),
                **kwargs,
            )
        )

    def _scripted(self) -> Response | None:
        if not self.fail_next:
            return None
        status, body, headers = self.fail_next.pop(0)
        return JSONResponse(body, status_code=status, headers=headers)

    def _check_path(self, request: Request) -> Response | None:
        if request.path_params["version"] != VERSION:
            return _error(*graph_error(400, 2500, "Unknown path components"))
        if request.path_params.get("phone_number_id", PHONE_NUMBER_ID) != PHONE_NUMBER_ID:
            return _error(*graph_error(400, 100, "Unsupported post request. Object does not exist"))
        if not self._authorized(request):
            return _error(*graph_error(401, 190, "Invalid OAuth access token - Cannot parse"))
        return None

    async def _messages(self, request: Request) -> Response:
        body = await request.json()
        self._record(request, json=body)
        refused = self._check_path(request) or self._scripted()
        if refused is not None:
            return refused
        problem = _message_problem(body)
        if problem:
            return _error(*graph_error(400, 100, "(#100) Invalid parameter", details=problem))
        to = body["to"]
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.FAKE{next(self._ids)}"}],
            }
        )

    async def _upload(self, request: Request) -> Response:
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            files = {}
            for key, value in form.items():
                if not isinstance(value, str):
                    files[key] = (
                        value.filename or "",
                        value.content_type or "",
                        await value.read(),
                    )
        self._record(request, form=fields, files=files)
        refused = self._check_path(request) or self._scripted()
        if refused is not None:
            return refused
        if (
            fields.get("messaging_product") != "whatsapp"
            or "file" not in files
            or not fields.get("type")
        ):
            return _error(*graph_error(400, 100, "(#100) Invalid parameter"))
        media_id = f"{next(self._ids)}0000"
        self.uploads[media_id] = (files["file"][2], fields["type"])
        return JSONResponse({"id": media_id})

    async def _media_info(self, request: Request) -> Response:
        self._record(request)
        refused = self._check_path(request)
        if refused is not None:
            return refused
        media_id = request.path_params["media_id"]
        if media_id not in self.media:
            return _error(*graph_error(404, 100, "Unsupported get request."))
        data, mime = self.media[media_id]
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{request.base_url}media-download/{media_id}",
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": media_id,
            }
        )

    async def _download(self, request: Request) -> Response:
        self._record(request)
        if not self._authorized(request):
            return Response(status_code=401)
        media_id = request.path_params["media_id"]
        if media_id not in self.media:
            return Response(status_code=404)
        data, mime = self.media[media_id]
        return Response(data, media_type=mime)

    async def _templates(self, request: Request) -> Response:
        self._record(request)
        if request.path_params["waba_id"] != WABA_ID:
            return _error(*graph_error(400, 100, "Unsupported get request."))
        refused = self._check_path(request) or self._scripted()
        if refused is not None:
            return refused
        wanted = request.query_params.get("status")
        rows = [t for t in self.templates if wanted is None or t["status"] == wanted]
        start = int(request.query_params.get("after", "0") or 0)
        limit = min(self.page_size, int(request.query_params.get("limit", "25")))
        page = rows[start : start + limit]
        body: dict[str, Any] = {"data": page, "paging": {"cursors": {"before": str(start)}}}
        if start + limit < len(rows):
            body["paging"]["cursors"]["after"] = str(start + limit)
            body["paging"]["next"] = f"https://graph.facebook.com/next?after={start + limit}"
        return JSONResponse(body)


def _error(status: int, body: dict[str, Any], headers: dict[str, str]) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def _message_problem(body: Any) -> str:
    """What the real API would refuse in a send body ("" if nothing)."""
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if not isinstance(body.get("to"), str) or not body["to"]:
        return "to is required"
    kind = body.get("type", "text")
    if kind not in SEND_TYPES or not isinstance(body.get(kind), dict):
        return f"a {kind} object is required"
    part = body[kind]
    if kind == "text":
        if not part.get("body") or len(part["body"]) > 4096:
            return "text.body is required and at most 4096 characters"
    elif kind == "interactive":
        buttons = part.get("action", {}).get("buttons", [])
        if part.get("type") != "button" or not part.get("body", {}).get("text"):
            return "interactive button messages need a body text"
        if not 1 <= len(buttons) <= 3:
            return "1 to 3 buttons"
        for button in buttons:
            reply = button.get("reply", {})
            if button.get("type") != "reply" or not 1 <= len(reply.get("title", "")) <= 20:
                return "button titles are 1 to 20 characters"
            if not reply.get("id"):
                return "button ids are required"
    elif kind == "template":
        if not part.get("name") or not part.get("language", {}).get("code"):
            return "template name and language.code are required"
    elif ("id" in part) == ("link" in part):
        return f"{kind} needs exactly one of id or link"
    elif "caption" in part and kind in {"audio", "sticker"}:
        return f"{kind} takes no caption"
    return ""
