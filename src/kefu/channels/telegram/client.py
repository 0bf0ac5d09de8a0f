"""Calls to the Telegram Bot API (https://core.telegram.org/bots/api).

Every method is `POST {api_base}/bot<token>/<method>`; the answer is always JSON:
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": 429, "description": "...",
"parameters": {"retry_after": 5}}`. The token is part of the URL, so URLs are never logged or
put in error reasons.

Files go up as multipart uploads (sendPhoto, sendDocument) from OutgoingAttachment.read(): kefu's
public URL may not be reachable from Telegram's servers. Files come down with getFile and then
`GET {api_base}/file/bot<token>/<file_path>`.

Telegram has no idempotency key: a send retried after a timeout whose request did arrive is
delivered twice. Each kefu message is one call in the common case (text, or one file).
"""

from __future__ import annotations

import mimetypes
import posixpath
from typing import Any

import httpx
import orjson

from kefu.channels.base import (
    FetchedMedia,
    MediaRef,
    OutgoingAttachment,
    OutgoingMessage,
    SendFailed,
    SendResult,
    SendRetryable,
    retry_after_seconds,
)
from kefu.channels.telegram.webhook import INDEX_PREFIX, VALUE_PREFIX

TEXT_MAX_UTF16 = 4096  # sendMessage text: 1-4096 characters (Telegram counts UTF-16 units)
CALLBACK_DATA_MAX_BYTES = 64
MAX_BUTTONS = 100
PHOTO_MAX_BYTES = 10 * 1024 * 1024  # sendPhoto: 10 MB
UPLOAD_MAX_BYTES = 50 * 1024 * 1024  # sendDocument: 50 MB
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
# What kefu asks Telegram to deliver (setWebhook allowed_updates).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


class TelegramApi:
    def __init__(self, http: httpx.AsyncClient, api_base: str, token: str) -> None:
        self._http = http
        self._base = api_base.rstrip("/")
        self._token = token

    async def call(
        self,
        method: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        """The method's `result`, or SendRetryable / SendFailed with Telegram's description."""
        url = f"{self._base}/bot{self._token}/{method}"
        try:
            if files is not None:
                response = await self._http.post(url, data=data, files=files)
            else:
                response = await self._http.post(url, json=json or {})
        except httpx.TransportError as exc:
            raise SendRetryable(f"Telegram API unreachable: {type(exc).__name__}") from None
        return _result(response, method)

    async def download(self, file_path: str) -> httpx.Response:
        url = f"{self._base}/file/bot{self._token}/{file_path.lstrip('/')}"
        try:
            return await self._http.get(url)
        except httpx.TransportError as exc:
            raise SendRetryable(f"Telegram file download failed: {type(exc).__name__}") from None


def _result(response: httpx.Response, method: str) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        # A proxy's HTML error page, say: only the status is known.
        if response.status_code == 429 or response.status_code >= 500:
            raise SendRetryable(
                f"Telegram {method}: HTTP {response.status_code}",
                retry_after=retry_after_seconds(response),
            )
        raise SendFailed(f"Telegram {method}: HTTP {response.status_code}")
    if body.get("ok") is True and response.status_code < 400:
        return body.get("result")
    code = body.get("error_code") if isinstance(body.get("error_code"), int) else None
    code = code or response.status_code
    description = str(body.get("description") or f"error {code}")
    parameters: dict[str, Any] = (
        body["parameters"] if isinstance(body.get("parameters"), dict) else {}
    )
    reason = f"Telegram {code}: {description}"
    retry_after = parameters.get("retry_after")
    if code == 429 or isinstance(retry_after, int | float):
        # Flood control: Telegram says how long to wait, in the body rather than a header.
        wait = float(retry_after) if isinstance(retry_after, int | float) else None
        raise SendRetryable(reason, retry_after=wait or retry_after_seconds(response))
    if code >= 500:
        raise SendRetryable(reason)
    if "migrate_to_chat_id" in parameters:
        raise SendFailed(f"{reason} (the group became a supergroup)")
    if code == 401:
        raise SendFailed(f"{reason} (check the bot token)")
    # 403 "Forbidden: bot was blocked by the user", 400 "Bad Request: chat not found"...
    raise SendFailed(reason)


def split_text(text: str, limit: int = TEXT_MAX_UTF16) -> list[str]:
    """Pieces of at most `limit` UTF-16 code units (an emoji outside the BMP counts two)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        parts.append("".join(current))
    return parts


def inline_keyboard(quick_replies: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """One button a row. callback_data is 1-64 bytes: the value itself when it fits ("v:..."),
    else the button's position ("i:3") and the label stands for the value when it comes back."""
    rows = []
    for index, (label, value) in enumerate(quick_replies[:MAX_BUTTONS]):
        data = VALUE_PREFIX + (value or label)
        if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
            data = f"{INDEX_PREFIX}{index}"
        rows.append([{"text": label, "callback_data": data}])
    return {"inline_keyboard": rows}


async def send(api: TelegramApi, message: OutgoingMessage) -> SendResult:
    chat_id = message.recipient
    markup = inline_keyboard(message.quick_replies) if message.quick_replies else None
    texts = split_text(message.text)
    if not texts and not message.attachments:
        raise SendFailed("Nothing to send: the message has no text and no files.")
    calls = len(texts) + len(message.attachments)
    first_id: str | None = None
    done = 0
    for text in texts:
        done += 1
        body: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if markup is not None and done == calls:
            body["reply_markup"] = markup
        sent = _message_id(await api.call("sendMessage", json=body))
        first_id = first_id or sent
    for attachment in message.attachments:
        done += 1
        sent = await _send_file(api, chat_id, attachment, markup if done == calls else None)
        first_id = first_id or sent
    return SendResult(external_message_id=first_id)


async def _send_file(
    api: TelegramApi,
    chat_id: str,
    attachment: OutgoingAttachment,
    markup: dict[str, Any] | None,
) -> str | None:
    if attachment.size > UPLOAD_MAX_BYTES:
        raise SendFailed(
            f"{attachment.file_name!r} is larger than the 50 MB Telegram lets bots upload."
        )
    as_photo = attachment.content_type in PHOTO_TYPES and attachment.size <= PHOTO_MAX_BYTES
    method, field = ("sendPhoto", "photo") if as_photo else ("sendDocument", "document")
    data = {"chat_id": chat_id}
    if markup is not None:
        # Multipart fields are strings: the keyboard goes as JSON text.
        data["reply_markup"] = orjson.dumps(markup).decode()
    content = await attachment.read()
    files = {field: (attachment.file_name, content, attachment.content_type)}
    return _message_id(await api.call(method, data=data, files=files))


def _message_id(result: Any) -> str | None:
    if isinstance(result, dict) and result.get("message_id") is not None:
        return str(result["message_id"])
    return None


async def answer_callback_query(api: TelegramApi, callback_query_id: str) -> None:
    """Stops the client's progress indicator on the tapped button (no text shown)."""
    await api.call("answerCallbackQuery", json={"callback_query_id": callback_query_id})


async def set_webhook(api: TelegramApi, url: str, secret_token: str) -> None:
    """Points the bot's updates at kefu, with the secret Telegram sends back in every request."""
    result = await api.call(
        "setWebhook",
        json={
            "url": url,
            "secret_token": secret_token,
            "allowed_updates": list(ALLOWED_UPDATES),
        },
    )
    if result is not True:
        raise SendFailed("Telegram did not confirm the webhook")


async def get_file(api: TelegramApi, media: MediaRef) -> FetchedMedia:
    """getFile gives a temporary path (valid at least an hour); then the bytes. Bots can
    download files of up to 20 MB."""
    result = await api.call("getFile", json={"file_id": media.ref})
    file_path = result.get("file_path") if isinstance(result, dict) else None
    if not isinstance(file_path, str) or not file_path:
        raise SendFailed("Telegram gave no file path for this file.", code="media_unavailable")
    response = await api.download(file_path)
    if response.status_code == 404:
        raise SendFailed("Telegram no longer has this file.", code="media_unavailable")
    if response.status_code == 429 or response.status_code >= 500:
        raise SendRetryable(
            f"Telegram file download: HTTP {response.status_code}",
            retry_after=retry_after_seconds(response),
        )
    if response.status_code >= 400:
        raise SendFailed(f"Telegram file download: HTTP {response.status_code}")
    file_name = media.file_name or posixpath.basename(file_path)
    content_type = media.content_type or mimetypes.guess_type(file_name)[0]
    return FetchedMedia(data=response.content, content_type=content_type, file_name=file_name)
