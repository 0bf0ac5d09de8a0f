"""Calls to the LINE Messaging API: reply, push, profile and message content.

Two hosts: api.line.me (`api_base`: messages, profiles) and api-data.line.me (`api_data_base`:
the bytes of what users send). Every call carries `Authorization: Bearer <channel access token>`.

Reply or push. A reply (POST /v2/bot/message/reply) is free of charge but needs the event's reply
token, which LINE documents must be used within one minute of the webhook and only once
(https://developers.line.biz/en/reference/messaging-api/#send-reply-message); the core passes
OutgoingMessage.reply_token only while it thinks the token fresh (REPLY_TOKEN_TTL), and when LINE
still answers 400 "Invalid reply token" the same send falls back to a push. A push
(POST /v2/bot/message/push) carries an X-Line-Retry-Key derived from kefu's message id, so an
outbox retry after a timeout or a 5xx cannot deliver twice: LINE answers 409 when the key was
already accepted, which is a success
(https://developers.line.biz/en/docs/messaging-api/retrying-api-request/).
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from kefu.channels.base import (
    FetchedMedia,
    MediaRef,
    OutgoingMessage,
    Profile,
    SendFailed,
    SendResult,
    SendRetryable,
    retry_after_seconds,
)

# LINE: "use the reply token within one minute"; 10 s of margin for the queue and the request.
REPLY_TOKEN_TTL = timedelta(seconds=50)
MAX_MESSAGES_PER_REQUEST = 5  # reply and push take 1-5 message objects
TEXT_MAX = 5000  # characters in a text message
QUICK_REPLY_MAX_ITEMS = 13
QUICK_REPLY_LABEL_MAX = 20  # characters of a button's label
MESSAGE_ACTION_TEXT_MAX = 300  # characters a message action sends
IMAGE_MAX_BYTES = 10 * 1024 * 1024  # originalContentUrl: JPEG or PNG up to 10 MB
IMAGE_TYPES = ("image/jpeg", "image/png")
INVALID_REPLY_TOKEN = "Invalid reply token"
# A fixed namespace: the same kefu message, recipient and part always give the same retry key.
_RETRY_KEY_NAMESPACE = uuid.UUID("5b0c0d0e-6c1f-4f25-9a38-4b1e0f3c2d71")


def retry_key(message: OutgoingMessage, part: int) -> str:
    """X-Line-Retry-Key (a UUID, valid 24 hours at LINE) for one push request of a message."""
    return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, f"{message.recipient}:{message.message_id}:{part}"))


def build_messages(message: OutgoingMessage) -> list[dict[str, Any]]:
    """LINE message objects for one kefu message: its text, then each attachment (JPEG and PNG
    images as image messages, anything else as a link: LINE has no file message for bots), with
    the quick replies on the last object (LINE shows them only there)."""
    objects: list[dict[str, Any]] = []
    text = message.text
    while text:
        objects.append({"type": "text", "text": text[:TEXT_MAX]})
        text = text[TEXT_MAX:]
    for attachment in message.attachments:
        if not attachment.public_url.startswith("https://"):
            # LINE downloads media itself and accepts only HTTPS URLs.
            raise SendFailed(
                f"LINE needs an HTTPS link to send {attachment.file_name!r}; kefu's public URL "
                f"is not HTTPS (set the public base URL to https://...)."
            )
        if attachment.content_type in IMAGE_TYPES and attachment.size <= IMAGE_MAX_BYTES:
            # The preview is the same file: kefu keeps no thumbnails; LINE scales it down.
            objects.append(
                {
                    "type": "image",
                    "originalContentUrl": attachment.public_url,
                    "previewImageUrl": attachment.public_url,
                }
            )
        else:
            objects.append(
                {"type": "text", "text": f"{attachment.file_name}\n{attachment.public_url}"}
            )
    if not objects:
        raise SendFailed("Nothing to send: the message has no text and no files.")
    if message.quick_replies:
        objects[-1]["quickReply"] = {"items": quick_reply_items(message.quick_replies)}
    return objects


def quick_reply_items(quick_replies: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    """Message actions: tapping one sends its text as the customer's message. LINE allows 13
    buttons with labels of at most 20 characters; longer labels are cut with an ellipsis."""
    items = []
    for label, value in quick_replies[:QUICK_REPLY_MAX_ITEMS]:
        if len(label) > QUICK_REPLY_LABEL_MAX:
            label = label[: QUICK_REPLY_LABEL_MAX - 1] + "…"
        items.append(
            {
                "type": "action",
                "action": {
                    "type": "message",
                    "label": label,
                    "text": (value or label)[:MESSAGE_ACTION_TEXT_MAX],
                },
            }
        )
    return items


async def send(
    http: httpx.AsyncClient, api_base: str, token: str, message: OutgoingMessage
) -> SendResult:
    objects = build_messages(message)
    parts = [
        objects[i : i + MAX_MESSAGES_PER_REQUEST]
        for i in range(0, len(objects), MAX_MESSAGES_PER_REQUEST)
    ]
    first_id: str | None = None
    used_reply_token = False
    for index, part in enumerate(parts):
        sent_id: str | None
        if index == 0 and message.reply_token:
            replied, sent_id = await _reply(http, api_base, token, message.reply_token, part)
            if replied:
                used_reply_token = True
                first_id = sent_id
                continue
        sent_id = await _push(http, api_base, token, message, index, part)
        if first_id is None:
            first_id = sent_id
    return SendResult(external_message_id=first_id, used_reply_token=used_reply_token)


async def _reply(
    http: httpx.AsyncClient,
    api_base: str,
    token: str,
    reply_token: str,
    messages: list[dict[str, Any]],
) -> tuple[bool, str | None]:
    """(True, id) when LINE took the reply; (False, None) when the token is no longer valid
    (expired or used), so the caller pushes instead."""
    response = await _post(
        http,
        f"{api_base}/v2/bot/message/reply",
        token,
        {"replyToken": reply_token, "messages": messages},
    )
    if response.status_code == 400 and _json(response).get("message") == INVALID_REPLY_TOKEN:
        return False, None
    _raise_for_status(response)
    return True, _first_sent_id(response)


async def _push(
    http: httpx.AsyncClient,
    api_base: str,
    token: str,
    message: OutgoingMessage,
    part: int,
    messages: list[dict[str, Any]],
) -> str | None:
    response = await _post(
        http,
        f"{api_base}/v2/bot/message/push",
        token,
        {"to": message.recipient, "messages": messages},
        extra_headers={"X-Line-Retry-Key": retry_key(message, part)},
    )
    if response.status_code == 409:
        # An earlier try with this retry key was accepted (its response was lost): delivered.
        return _first_sent_id(response)
    _raise_for_status(response)
    return _first_sent_id(response)


async def get_profile(
    http: httpx.AsyncClient, api_base: str, token: str, user_id: str
) -> Profile | None:
    """The user's display name and picture; None when LINE will not say (the user blocked the
    account, or never added it as a friend: 404)."""
    response = await _get(http, f"{api_base}/v2/bot/profile/{quote(user_id, safe='')}", token)
    if response.status_code == 404:
        return None
    _raise_for_status(response)
    body = _json(response)
    name = body.get("displayName")
    picture = body.get("pictureUrl")
    return Profile(
        name=name if isinstance(name, str) else None,
        avatar_url=picture if isinstance(picture, str) else None,
    )


async def get_content(
    http: httpx.AsyncClient, api_data_base: str, token: str, media: MediaRef
) -> FetchedMedia:
    """The bytes of an image, video, audio or file the user sent. LINE-hosted content is under
    the message id on the data host (kept for a limited time: 404 after); an "external" image is
    fetched from its own URL, without LINE's token (it is a third party's server)."""
    external = media.ref.startswith(("https://", "http://"))
    if external and not external_url_allowed(media.ref, api_data_base):
        raise SendFailed(
            "LINE gave a link to an image that kefu will not fetch (not a public https URL).",
            code="media_unavailable",
        )
    try:
        if external:
            response = await http.get(media.ref)
        else:
            url = f"{api_data_base}/v2/bot/message/{quote(media.ref, safe='')}/content"
            response = await http.get(url, headers=_auth(token))
    except httpx.TransportError as exc:
        raise SendRetryable(f"LINE content download failed: {type(exc).__name__}") from None
    if response.status_code == 202:
        # Video and audio are prepared asynchronously: LINE says to try again later.
        raise SendRetryable("LINE is still preparing the file", retry_after=10.0)
    if response.status_code in (404, 410):
        raise SendFailed(
            "LINE no longer has this file (content is kept for a limited time).",
            code="media_unavailable",
        )
    _raise_for_status(response)
    content_type = response.headers.get("content-type", "").split(";")[0].strip() or None
    return FetchedMedia(
        data=response.content,
        content_type=content_type or media.content_type,
        file_name=media.file_name,
    )


def external_url_allowed(url: str, api_data_base: str) -> bool:
    """An "external" image URL comes from a third party through LINE: kefu fetches only public
    https URLs, so a webhook cannot make it call its own network (DESIGN.md principle 5). A
    deployment whose LINE API is itself on a private host (tests, an on-premises proxy) may."""
    parts = urlsplit(url)
    if parts.scheme == "https" and _public_host(parts.hostname or ""):
        return True
    return not _public_host(urlsplit(api_data_base).hostname or "")


def _public_host(host: str) -> bool:
    host = host.lower()
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return bool(host) and not (
            host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
        )


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _post(
    http: httpx.AsyncClient,
    url: str,
    token: str,
    body: dict[str, Any],
    *,
    extra_headers: dict[str, str] | None = None,
) -> httpx.Response:
    headers = {**_auth(token), **(extra_headers or {})}
    try:
        return await http.post(url, json=body, headers=headers)
    except httpx.TransportError as exc:
        # A timeout may hide an accepted request: a push retried with its key is still safe.
        raise SendRetryable(f"LINE API unreachable: {type(exc).__name__}") from None


async def _get(http: httpx.AsyncClient, url: str, token: str) -> httpx.Response:
    try:
        return await http.get(url, headers=_auth(token))
    except httpx.TransportError as exc:
        raise SendRetryable(f"LINE API unreachable: {type(exc).__name__}") from None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_message(response: httpx.Response) -> str:
    """LINE's error body: {"message": "...", "details": [{"message": ..., "property": ...}]}."""
    body = _json(response)
    message = str(body.get("message") or response.reason_phrase or "error")
    details = body.get("details")
    if isinstance(details, list) and details:
        parts = [
            f"{d.get('property', '')}: {d.get('message', '')}".strip(": ")
            for d in details
            if isinstance(d, dict)
        ]
        message = f"{message} ({'; '.join(parts)})"
    return message


def _raise_for_status(response: httpx.Response) -> None:
    """429 (rate limit, or the monthly message quota, which LINE says can be a temporary
    reservation) and 5xx are retried; any other 4xx is permanent, with LINE's words."""
    if response.status_code < 400:
        return
    reason = f"LINE {response.status_code}: {_error_message(response)}"
    if response.status_code == 429 or response.status_code >= 500:
        raise SendRetryable(reason, retry_after=retry_after_seconds(response))
    raise SendFailed(reason)


def _first_sent_id(response: httpx.Response) -> str | None:
    sent = _json(response).get("sentMessages")
    if isinstance(sent, list) and sent and isinstance(sent[0], dict):
        value = sent[0].get("id")
        return str(value) if value is not None else None
    return None
