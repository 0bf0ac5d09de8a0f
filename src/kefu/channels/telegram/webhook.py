"""Telegram webhooks: the secret-token check and the updates kefu understands
(https://core.telegram.org/bots/api#getting-updates).

Telegram does not sign its requests. When kefu registers the webhook (setWebhook, client.py) it
gives a `secret_token`, and Telegram sends it back in the `X-Telegram-Bot-Api-Secret-Token`
header of every update: kefu compares it in constant time. One request carries one Update;
`update_id` is unique per bot, so "tg:<update_id>" is the event id and a redelivered update is
stored once.

What becomes what:
  * message (private chats): text, or a photo (the largest size) / document with its caption;
    the customer is the chat id (in a private chat, the user's id);
  * edited_message: a new message marked `extra["telegram_edited"]`, so the agent sees the
    customer's correction instead of losing it (kefu messages are not rewritten);
  * callback_query (a tap on one of kefu's quick-reply buttons): a message with the button's
    value; the adapter answers it (answerCallbackQuery) so the client stops its spinner;
  * my_chat_member in a private chat: "kicked" (the user blocked the bot) -> unfollow,
    "member" -> follow.
Groups, supergroups and channels are skipped: kefu's contact is one person (docs/channels/
telegram.md).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from kefu.channels.base import (
    InboundEvent,
    InboundKind,
    MediaRef,
    PayloadInvalid,
    SignatureInvalid,
)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Quick-reply buttons carry "v:<value>" when the value fits Telegram's 64-byte callback_data,
# else "i:<index>" and the value is the button's label (read back from the message's keyboard).
VALUE_PREFIX = "v:"
INDEX_PREFIX = "i:"


def verify_secret(headers: Mapping[str, str], webhook_secret: str) -> None:
    given = headers.get(SECRET_HEADER)
    if not given:
        raise SignatureInvalid("missing X-Telegram-Bot-Api-Secret-Token")
    if not hmac.compare_digest(given.encode(), webhook_secret.encode()):
        raise SignatureInvalid("X-Telegram-Bot-Api-Secret-Token does not match")


def parse_update(body: bytes) -> list[InboundEvent]:
    try:
        update = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadInvalid(f"the body is not JSON: {exc}") from None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise PayloadInvalid("expected an Update object with an integer update_id")
    event_id = f"tg:{update['update_id']}"
    if "message" in update:
        event = _message(event_id, _object(update, "message"), edited=False)
    elif "edited_message" in update:
        event = _message(event_id, _object(update, "edited_message"), edited=True)
    elif "callback_query" in update:
        event = _callback(event_id, _object(update, "callback_query"))
    elif "my_chat_member" in update:
        event = _membership(event_id, _object(update, "my_chat_member"))
    else:
        event = None  # channel posts, inline queries, polls...: nothing for an agent
    return [event] if event is not None else []


def profile_name(user: Mapping[str, Any]) -> str | None:
    """ "First Last", else @username: what the Telegram client shows for this person."""
    name = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k)).strip()
    if name:
        return name
    return f"@{user['username']}" if user.get("username") else None


def _private_chat_id(message: Mapping[str, Any]) -> str | None:
    chat = message.get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        raise PayloadInvalid("a message without chat.id")
    if chat.get("type") != "private":
        return None
    return str(chat["id"])


def _message(event_id: str, message: dict[str, Any], *, edited: bool) -> InboundEvent | None:
    chat_id = _private_chat_id(message)
    if chat_id is None:
        return None
    sender = _optional_object(message, "from")
    if sender.get("is_bot"):
        return None
    message_id = message.get("message_id")
    date = message.get("edit_date") if edited else message.get("date")
    if not isinstance(message_id, int) or not isinstance(date, int):
        raise PayloadInvalid("a message without message_id or date")
    text = str(message.get("text") or message.get("caption") or "")
    media: tuple[MediaRef, ...] = ()
    photos = message.get("photo")
    document = message.get("document")
    if isinstance(photos, list) and photos:
        # PhotoSize objects, several resolutions of one picture: keep the largest.
        largest = max(
            (p for p in photos if isinstance(p, dict) and p.get("file_id")),
            key=lambda p: (p.get("width", 0) * p.get("height", 0), p.get("file_size", 0)),
            default=None,
        )
        if largest is None:
            raise PayloadInvalid("a photo without file_id")
        media = (MediaRef(ref=str(largest["file_id"]), content_type="image/jpeg"),)
    elif isinstance(document, dict) and document.get("file_id"):
        media = (
            MediaRef(
                ref=str(document["file_id"]),
                content_type=document.get("mime_type"),
                file_name=document.get("file_name"),
            ),
        )
    elif not text:
        # Stickers, voice, locations...: shown as their kind so the agent knows something came.
        kind = next(
            (
                k
                for k in ("sticker", "voice", "video", "audio", "location", "contact")
                if k in message
            ),
            "message",
        )
        text = f"[{kind}]"
        sticker = message.get("sticker")
        if isinstance(sticker, dict) and isinstance(sticker.get("emoji"), str):
            text = f"[sticker] {sticker['emoji']}"
    extra: dict[str, Any] = {}
    if sender.get("username"):
        extra["telegram_username"] = sender["username"]
    external_message_id = str(message_id)
    if edited:
        extra["telegram_edited"] = True
        extra["telegram_message_id"] = message_id
        external_message_id = f"{message_id}:edit:{date}"
    return InboundEvent(
        kind="message",
        event_id=event_id,
        external_user_id=chat_id,
        occurred_at=datetime.fromtimestamp(date, tz=UTC),
        text=text,
        media=media,
        profile_name=profile_name(sender),
        external_message_id=external_message_id,
        extra=extra,
    )


def _callback(event_id: str, query: dict[str, Any]) -> InboundEvent | None:
    sender = query.get("from")
    if not isinstance(sender, dict) or not isinstance(sender.get("id"), int):
        raise PayloadInvalid("a callback_query without from.id")
    if not isinstance(query.get("id"), str):
        raise PayloadInvalid("a callback_query without id")
    message = query.get("message") if isinstance(query.get("message"), dict) else None
    chat_id = str(sender["id"])  # a private chat's id is the user's id
    if message is not None and isinstance(message.get("chat"), dict):
        found = _private_chat_id(message)
        if found is None:
            return None
        chat_id = found
    data = query.get("data")
    if not isinstance(data, str):
        return None  # a game button: nothing to show
    text = _button_value(data, message)
    return InboundEvent(
        kind="message",
        event_id=event_id,
        external_user_id=chat_id,
        # A callback query has no date; it happened now (updates arrive within seconds).
        occurred_at=datetime.now(UTC),
        text=text,
        profile_name=profile_name(sender),
        extra={"telegram_callback_query_id": query["id"]},
    )


def _button_value(data: str, message: Mapping[str, Any] | None) -> str:
    if data.startswith(VALUE_PREFIX):
        return data[len(VALUE_PREFIX) :]
    if data.startswith(INDEX_PREFIX) and message is not None:
        keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        for row in keyboard:
            for button in row if isinstance(row, list) else []:
                if isinstance(button, dict) and button.get("callback_data") == data:
                    return str(button.get("text", data))
    return data  # a button kefu did not make: its data is all there is


def _membership(event_id: str, update: dict[str, Any]) -> InboundEvent | None:
    chat = update.get("chat")
    new = update.get("new_chat_member")
    if not isinstance(chat, dict) or not isinstance(new, dict) or chat.get("type") != "private":
        return None
    status = new.get("status")
    kind: InboundKind
    if status == "kicked":
        kind = "unfollow"
    elif status == "member":
        kind = "follow"
    else:
        return None
    date = update.get("date")
    if not isinstance(date, int) or not isinstance(chat.get("id"), int):
        return None
    sender = _optional_object(update, "from")
    return InboundEvent(
        kind=kind,
        event_id=event_id,
        external_user_id=str(chat["id"]),
        occurred_at=datetime.fromtimestamp(date, tz=UTC),
        profile_name=profile_name(sender),
    )


def _object(update: dict[str, Any], key: str) -> dict[str, Any]:
    value = update[key]
    if not isinstance(value, dict):
        raise PayloadInvalid(f"{key} is not an object")
    return value


def _optional_object(parent: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}
