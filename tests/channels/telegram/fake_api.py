"""A fake Telegram Bot API: the methods kefu calls, with Telegram's documented checks and answers
(https://core.telegram.org/bots/api).

  POST /bot<token>/<method>   sendMessage, sendPhoto, sendDocument, getFile, answerCallbackQuery,
                              setWebhook (JSON, form or multipart bodies, as Telegram accepts)
  GET  /file/bot<token>/<path> the bytes of a file getFile pointed at

Every call is recorded with its parameters (uploaded files as (name, type, bytes));
`script(method, *responses)` makes the next calls to a method fail as given.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Kefu Shop", "username": "kefu_shop_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    content_type: str


@dataclass
class FakeTelegram:
    token: str = TOKEN
    chats: set[int] = field(default_factory=set)  # private chats that exist (users who wrote)
    blocked: set[int] = field(default_factory=set)  # users who blocked the bot
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file_id -> (path, bytes)
    webhook: dict[str, Any] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    scripted: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def script(self, method: str, *responses: tuple[int, dict[str, Any]]) -> None:
        self.scripted.setdefault(method, []).extend(responses)

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._method, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )

    @staticmethod
    def error(code: int, description: str, **parameters: Any) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return JSONResponse(body, status_code=code)

    async def _params(self, request: Request) -> tuple[dict[str, Any], str]:
        content_type = request.headers.get("content-type", "").split(";")[0]
        params: dict[str, Any] = dict(request.query_params)
        if content_type == "application/json":
            params.update(await request.json())
        elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            async with request.form() as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        params[key] = (value.filename, value.content_type, await value.read())
                    else:
                        params[key] = value
        return params, content_type

    async def _method(self, request: Request) -> Response:
        method = request.path_params["method"]
        params, content_type = await self._params(request)
        self.calls.append(Call(method, params, content_type))
        if request.path_params["token"] != self.token:
            return self.error(401, "Unauthorized")
        queue = self.scripted.get(method)
        if queue:
            status, body = queue.pop(0)
            return JSONResponse(body, status_code=status)
        handler = {
            "sendMessage": self._send_message,
            "sendPhoto": self._send_file,
            "sendDocument": self._send_file,
            "getFile": self._get_file,
            "answerCallbackQuery": self._answer_callback,
            "setWebhook": self._set_webhook,
        }.get(method)
        if handler is None:
            return self.error(404, "Not Found: method not found")
        return handler(method, params)

    def _chat(self, params: dict[str, Any]) -> int | JSONResponse:
        try:
            chat_id = int(params.get("chat_id", ""))
        except ValueError:
            return self.error(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            return self.error(403, "Forbidden: bot was blocked by the user")
        if chat_id not in self.chats:
            return self.error(400, "Bad Request: chat not found")
        return chat_id

    def _markup_error(self, params: dict[str, Any]) -> JSONResponse | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data", "")
                if not button.get("text") or not 1 <= len(data.encode()) <= 64:
                    return self.error(400, "Bad Request: BUTTON_DATA_INVALID")
        return None

    def _message(self, chat_id: int, **content: Any) -> JSONResponse:
        message = {
            "message_id": next(self._ids),
            "from": BOT,
            "chat": {"id": chat_id, "type": "private"},
            "date": int(time.time()),
            **content,
        }
        return JSONResponse({"ok": True, "result": message})

    def _send_message(self, method: str, params: dict[str, Any]) -> Response:
        chat = self._chat(params)
        if isinstance(chat, JSONResponse):
            return chat
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return self.error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return self.error(400, "Bad Request: message is too long")
        return self._markup_error(params) or self._message(chat, text=text)

    def _send_file(self, method: str, params: dict[str, Any]) -> Response:
        chat = self._chat(params)
        if isinstance(chat, JSONResponse):
            return chat
        field_name = "photo" if method == "sendPhoto" else "document"
        upload = params.get(field_name)
        if not isinstance(upload, tuple) or not upload[2]:
            return self.error(400, f"Bad Request: there is no {field_name} in the request")
        error = self._markup_error(params)
        if error is not None:
            return error
        file_id = f"F{next(self._ids)}"
        if method == "sendPhoto":
            sizes = [{"file_id": file_id, "file_unique_id": file_id, "width": 90, "height": 90}]
            return self._message(chat, photo=sizes)
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": upload[0],
            "mime_type": upload[1],
        }
        return self._message(chat, document=document)

    def _get_file(self, method: str, params: dict[str, Any]) -> Response:
        file_id = params.get("file_id")
        if file_id not in self.files:
            return self.error(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        result = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(data),
            "file_path": path,
        }
        return JSONResponse({"ok": True, "result": result})

    def _answer_callback(self, method: str, params: dict[str, Any]) -> Response:
        if not params.get("callback_query_id"):
            return self.error(400, "Bad Request: query is too old and response timeout expired")
        return JSONResponse({"ok": True, "result": True})

    def _set_webhook(self, method: str, params: dict[str, Any]) -> Response:
        url = params.get("url", "")
        if url and not url.startswith("https://"):
            return self.error(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            return self.error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = params
        return JSONResponse({"ok": True, "result": True, "description": "Webhook was set"})

    async def _download(self, request: Request) -> Response:
        self.downloads.append(request.path_params["path"])
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        for path, data in self.files.values():
            if path == request.path_params["path"]:
                return Response(data, media_type="application/octet-stream")
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
