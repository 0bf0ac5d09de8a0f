"""LINE webhooks: the X-Line-Signature check and the events kefu understands.

LINE signs every webhook request: base64(HMAC-SHA256(channel secret, raw body)) in the
`x-line-signature` header (https://developers.line.biz/en/docs/messaging-api/receiving-messages/
"Verifying signatures"). One request carries any number of events; the console's "Verify" button
sends `{"destination": ..., "events": []}`, which parses to nothing.

Each event has a `webhookEventId` (unique per event, the same on a redelivery, when
`deliveryContext.isRedelivery` is true): it is the InboundEvent's event_id, so a redelivered event
is stored once by the core.

Only one-to-one chats (`source.type == "user"`) become conversations. Group and multi-person chat
events are skipped: kefu's contact is one person, and a reply to a group would be read by everyone
in it (docs/channels/line.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from kefu.channels.base import InboundEvent, MediaRef, PayloadInvalid, SignatureInvalid

SIGNATURE_HEADER = "x-line-signature"

# Message types whose bytes LINE keeps for a while at GET /v2/bot/message/{id}/content, with the
# type to expect (the download's Content-Type is what counts).
_MEDIA_TYPES: dict[str, str | None] = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": None,
    "file": None,
}


def sign(body: bytes, channel_secret: str) -> str:
    """The signature LINE puts in X-Line-Signature for `body` (also used by the tests)."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(body: bytes, headers: Mapping[str, str], channel_secret: str) -> None:
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        raise SignatureInvalid("missing X-Line-Signature")
    # Constant-time comparison of the base64 text, as LINE's own SDK does.
    if not hmac.compare_digest(sign(body, channel_secret).encode(), signature.encode()):
        raise SignatureInvalid("X-Line-Signature does not match the body")


def parse_events(body: bytes) -> list[InboundEvent]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadInvalid(f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise PayloadInvalid('expected an object with an "events" list')
    events: list[InboundEvent] = []
    for raw in payload["events"]:
        if not isinstance(raw, dict):
            raise PayloadInvalid("an event is not an object")
        event = _parse_event(raw)
        if event is not None:
            events.append(event)
    return events


def _parse_event(raw: dict[str, Any]) -> InboundEvent | None:
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise PayloadInvalid("an event has no type")
    if kind not in ("message", "follow", "unfollow", "postback"):
        return None  # join/leave/beacon/accountLink/...: nothing for an agent
    source = raw.get("source")
    if not isinstance(source, dict):
        raise PayloadInvalid(f"a {kind} event has no source")
    if source.get("type") != "user":
        return None  # group or multi-person chat: not supported (see the module docstring)
    user_id = _required_str(source, "userId", kind)
    event_id = _required_str(raw, "webhookEventId", kind)
    timestamp = raw.get("timestamp")
    if not isinstance(timestamp, int):
        raise PayloadInvalid(f"a {kind} event has no timestamp")
    context = raw.get("deliveryContext")
    redelivery = isinstance(context, dict) and context.get("isRedelivery") is True
    common: dict[str, Any] = {
        "event_id": event_id,
        "external_user_id": user_id,
        "occurred_at": datetime.fromtimestamp(timestamp / 1000, tz=UTC),
        # A redelivered event's reply token is usually stale; the core decides by age anyway.
        "reply_token": raw.get("replyToken") if isinstance(raw.get("replyToken"), str) else None,
    }
    extra: dict[str, Any] = {"line_redelivery": True} if redelivery else {}
    if kind == "follow":
        return InboundEvent(kind="follow", extra=extra, **common)
    if kind == "unfollow":
        return InboundEvent(kind="unfollow", extra=extra, **common)
    if kind == "postback":
        return _postback(raw, common, extra)
    return _message(raw, common, extra)


def _postback(raw: dict[str, Any], common: dict[str, Any], extra: dict[str, Any]) -> InboundEvent:
    """A tap on a postback button (rich menus, templates): LINE sends only the button's `data`
    (its displayText is shown in the chat but not sent to the bot), plus `params` for date
    pickers; the data is what the customer chose, so it is the message's text."""
    postback = raw.get("postback")
    if not isinstance(postback, dict) or not isinstance(postback.get("data"), str):
        raise PayloadInvalid("a postback event has no postback.data")
    params: dict[str, Any] = postback["params"] if isinstance(postback.get("params"), dict) else {}
    text = postback["data"]
    picked = " ".join(str(v) for v in params.values() if isinstance(v, str))
    if picked:
        text = f"{text} {picked}"
    extra = {**extra, "line_postback": {"data": postback["data"], "params": params}}
    return InboundEvent(kind="message", text=text, extra=extra, **common)


def _message(raw: dict[str, Any], common: dict[str, Any], extra: dict[str, Any]) -> InboundEvent:
    message = raw.get("message")
    if not isinstance(message, dict):
        raise PayloadInvalid("a message event has no message")
    message_type = _required_str(message, "type", "message")
    message_id = _required_str(message, "id", "message")
    text = ""
    media: tuple[MediaRef, ...] = ()
    if message_type == "text":
        text = str(message.get("text", ""))
    elif message_type in _MEDIA_TYPES:
        media = (_media_ref(message, message_type),)
    elif message_type == "sticker":
        # Stickers are pictures LINE does not let bots download; the console can draw one from
        # the package and sticker ids. Message stickers carry the words the customer typed.
        text = "[sticker]"
        if isinstance(message.get("text"), str) and message["text"]:
            text = f"[sticker] {message['text']}"
        extra = {
            **extra,
            "line_sticker": {
                "packageId": message.get("packageId"),
                "stickerId": message.get("stickerId"),
                "stickerResourceType": message.get("stickerResourceType"),
                "keywords": message.get("keywords") or [],
            },
        }
    elif message_type == "location":
        parts = [message.get("title"), message.get("address")]
        text = " ".join(str(p) for p in parts if p) or "[location]"
        extra = {
            **extra,
            "line_location": {
                "latitude": message.get("latitude"),
                "longitude": message.get("longitude"),
            },
        }
    else:
        text = f"[{message_type}]"  # a type kefu does not render: the agent still sees it came
    return InboundEvent(
        kind="message",
        text=text,
        media=media,
        external_message_id=message_id,
        extra=extra,
        **common,
    )


def _media_ref(message: dict[str, Any], message_type: str) -> MediaRef:
    """Bytes sent by the user stay on LINE's data API under the message id; an image sent
    through another provider (contentProvider.type "external") is only a URL."""
    provider = message.get("contentProvider") or {}
    file_name = message.get("fileName") if message_type == "file" else None
    if provider.get("type") == "external":
        url = provider.get("originalContentUrl")
        if not isinstance(url, str) or not url:
            raise PayloadInvalid("an external content provider without originalContentUrl")
        return MediaRef(ref=url, content_type=_MEDIA_TYPES[message_type], file_name=file_name)
    return MediaRef(
        ref=str(message["id"]), content_type=_MEDIA_TYPES[message_type], file_name=file_name
    )


def _required_str(obj: dict[str, Any], key: str, kind: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadInvalid(f"a {kind} event has no {key}")
    return value
