"""Telegram sends, files and webhook registration over real HTTP to the fake Bot API."""

from __future__ import annotations

import json

import pytest

from kefu.channels.base import (
    InboundEvent,
    MediaRef,
    OutgoingAttachment,
    OutgoingMessage,
    SendFailed,
    SendRetryable,
)
from kefu.channels.telegram.adapter import ADAPTER, TelegramConfig
from kefu.channels.telegram.client import ALLOWED_UPDATES, split_text
from tests.channels.telegram.conftest import (
    WEBHOOK_SECRET,
    TelegramWorld,
    delivered,
    fixture_body,
)

CHAT = 587312904


def outgoing(**kwargs: object) -> OutgoingMessage:
    values: dict[str, object] = {"message_id": 7, "recipient": str(CHAT), "text": "週末有營業喔"}
    values.update(kwargs)
    return OutgoingMessage(**values)  # type: ignore[arg-type]


def attachment(name: str, content_type: str, data: bytes) -> OutgoingAttachment:
    async def read() -> bytes:
        return data

    # A URL Telegram could not reach: the file must be uploaded.
    return OutgoingAttachment(name, content_type, len(data), "http://10.0.0.5/f/1", read)


async def test_text(telegram: TelegramWorld) -> None:
    telegram.fake.chats.add(CHAT)
    result = await ADAPTER.send(telegram.ctx, outgoing())
    [call] = telegram.fake.calls
    assert call.method == "sendMessage"
    assert call.content_type == "application/json"
    assert call.params == {"chat_id": str(CHAT), "text": "週末有營業喔"}
    assert result.external_message_id == "1001"


async def test_quick_replies_are_an_inline_keyboard(telegram: TelegramWorld) -> None:
    telegram.fake.chats.add(CHAT)
    long_value = "請幫我查詢上個月所有的訂單與退款紀錄"  # 54 bytes + "v:" would be 56: fits
    longer = long_value * 2
    await ADAPTER.send(
        telegram.ctx,
        outgoing(quick_replies=(("好", "yes"), ("查詢", long_value), ("更多", longer))),
    )
    keyboard = telegram.fake.calls[0].params["reply_markup"]["inline_keyboard"]
    assert keyboard == [
        [{"text": "好", "callback_data": "v:yes"}],
        [{"text": "查詢", "callback_data": "v:" + long_value}],
        [{"text": "更多", "callback_data": "i:2"}],
    ]


async def test_photo_and_document_are_uploaded(telegram: TelegramWorld) -> None:
    telegram.fake.chats.add(CHAT)
    message = outgoing(
        attachments=(
            attachment("map.png", "image/png", b"\x89PNG-map"),
            attachment("terms.pdf", "application/pdf", b"%PDF-1.7"),
        ),
        quick_replies=(("好", "yes"),),
    )
    result = await ADAPTER.send(telegram.ctx, message)
    text, photo, document = telegram.fake.calls
    assert text.method == "sendMessage" and "reply_markup" not in text.params
    assert photo.method == "sendPhoto" and photo.content_type == "multipart/form-data"
    assert photo.params["chat_id"] == str(CHAT)
    assert photo.params["photo"] == ("map.png", "image/png", b"\x89PNG-map")
    assert document.method == "sendDocument"
    assert document.params["document"] == ("terms.pdf", "application/pdf", b"%PDF-1.7")
    # The keyboard goes with the last message, as JSON text in a multipart field.
    assert json.loads(document.params["reply_markup"])["inline_keyboard"][0][0]["text"] == "好"
    assert result.external_message_id == "1001"


async def test_long_text_is_split_by_utf16_units(telegram: TelegramWorld) -> None:
    telegram.fake.chats.add(CHAT)
    await ADAPTER.send(telegram.ctx, outgoing(text="😀" * 2049))  # 4098 UTF-16 units
    assert [len(c.params["text"]) for c in telegram.fake.calls] == [2048, 1]
    assert split_text("ab", limit=1) == ["a", "b"]
    assert split_text("") == []


async def test_flood_control_retry_after_is_honoured(telegram: TelegramWorld) -> None:
    telegram.fake.chats.add(CHAT)
    telegram.fake.script(
        "sendMessage",
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 35",
                "parameters": {"retry_after": 35},
            },
        ),
    )
    with pytest.raises(SendRetryable) as limited:
        await ADAPTER.send(telegram.ctx, outgoing())
    assert limited.value.retry_after == 35.0
    assert limited.value.reason == "Telegram 429: Too Many Requests: retry after 35"
    assert (await ADAPTER.send(telegram.ctx, outgoing())).external_message_id


async def test_server_errors_are_retryable(telegram: TelegramWorld) -> None:
    telegram.fake.chats.add(CHAT)
    telegram.fake.script(
        "sendMessage",
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
    )
    with pytest.raises(SendRetryable, match="Bad Gateway"):
        await ADAPTER.send(telegram.ctx, outgoing())


async def test_blocked_user_is_a_permanent_failure(telegram: TelegramWorld) -> None:
    telegram.fake.blocked.add(CHAT)
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(telegram.ctx, outgoing())
    assert failed.value.reason == "Telegram 403: Forbidden: bot was blocked by the user"


async def test_other_errors_carry_telegrams_description(telegram: TelegramWorld) -> None:
    with pytest.raises(SendFailed) as missing:
        await ADAPTER.send(telegram.ctx, outgoing(recipient="42"))
    assert missing.value.reason == "Telegram 400: Bad Request: chat not found"
    telegram.fake.token = "987:other"
    with pytest.raises(SendFailed) as unauthorized:
        await ADAPTER.send(telegram.ctx, outgoing())
    assert unauthorized.value.reason == "Telegram 401: Unauthorized (check the bot token)"
    assert "987:other" not in unauthorized.value.reason
    assert "AAHdq" not in unauthorized.value.reason  # the token never appears in a reason


async def test_unreachable_api_is_retryable(telegram: TelegramWorld) -> None:
    telegram.ctx.config.api_base = "http://127.0.0.1:9"
    with pytest.raises(SendRetryable) as failed:
        await ADAPTER.send(telegram.ctx, outgoing())
    assert "AAHdq" not in failed.value.reason


async def test_photo_download_through_get_file(telegram: TelegramWorld) -> None:
    telegram.fake.files["AgACAgUAAxkBAAMFZ1large"] = ("photos/file_12.jpg", b"\xff\xd8large")
    fetched = await ADAPTER.fetch_media(
        telegram.ctx, MediaRef(ref="AgACAgUAAxkBAAMFZ1large", content_type="image/jpeg")
    )
    assert (fetched.data, fetched.content_type, fetched.file_name) == (
        b"\xff\xd8large",
        "image/jpeg",
        "file_12.jpg",
    )
    assert telegram.fake.called("getFile")[0].params == {"file_id": "AgACAgUAAxkBAAMFZ1large"}
    assert telegram.fake.downloads == ["photos/file_12.jpg"]
    with pytest.raises(SendFailed, match="invalid file_id"):
        await ADAPTER.fetch_media(telegram.ctx, MediaRef(ref="gone"))


async def test_register_webhook(telegram: TelegramWorld) -> None:
    url = "https://kefu.example/webhooks/telegram/pk_1"
    await ADAPTER.register_webhook(telegram.ctx, url, WEBHOOK_SECRET)
    assert telegram.fake.webhook == {
        "url": "https://kefu.example/webhooks/telegram/pk_1",
        "secret_token": WEBHOOK_SECRET,
        "allowed_updates": list(ALLOWED_UPDATES),
    }
    with pytest.raises(SendFailed, match="HTTPS"):
        await ADAPTER.register_webhook(telegram.ctx, url.replace("https", "http"), WEBHOOK_SECRET)


async def test_callback_queries_are_answered(telegram: TelegramWorld) -> None:
    events = ADAPTER.parse(delivered(fixture_body("callback.json")), TelegramConfig())
    plain = InboundEvent(
        kind="message",
        event_id="tg:1",
        external_user_id=str(CHAT),
        occurred_at=events[0].occurred_at,
    )
    await ADAPTER.acknowledge(telegram.ctx, [*events, plain])
    [call] = telegram.fake.called("answerCallbackQuery")
    assert call.params == {"callback_query_id": "2522411883375405371"}
