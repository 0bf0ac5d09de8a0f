"""Telegram webhook secret check and update parsing, on fixtures as Telegram posts them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.channels.base import InboundEvent, PayloadInvalid, SignatureInvalid, WebhookRequest
from kefu.channels.telegram.adapter import (
    ADAPTER,
    TelegramConfig,
    TelegramSecrets,
    generate_webhook_secret,
)
from tests.channels.telegram.conftest import WEBHOOK_SECRET, delivered, fixture_body
from tests.channels.telegram.fake_api import TOKEN

SECRETS = TelegramSecrets(bot_token=TOKEN, webhook_secret=WEBHOOK_SECRET)
CHAT = "587312904"


def parse(name: str) -> list[InboundEvent]:
    request = delivered(fixture_body(name))
    ADAPTER.verify(request, SECRETS)
    return ADAPTER.parse(request, TelegramConfig())


def test_text() -> None:
    [event] = parse("text.json")
    assert event.kind == "message"
    assert event.event_id == "tg:804215317"
    assert event.external_user_id == CHAT
    assert event.text == "請問週末有營業嗎？"
    assert event.profile_name == "小明 王"
    assert event.external_message_id == "52"
    assert event.occurred_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert event.extra == {"telegram_username": "xiaoming_w"}


def test_photo_takes_the_largest_size_and_the_caption() -> None:
    [event] = parse("photo.json")
    assert event.text == "收據在這裡"
    [media] = event.media
    assert media.ref == "AgACAgUAAxkBAAMFZ1large"
    assert media.data is None and media.content_type == "image/jpeg"


def test_document() -> None:
    [event] = parse("document.json")
    [media] = event.media
    assert (media.ref, media.content_type, media.file_name) == (
        "BQACAgUAAxkBAAMGdoc",
        "application/pdf",
        "invoice.pdf",
    )
    assert event.profile_name == "小明"


def test_an_edit_is_a_new_marked_message() -> None:
    [event] = parse("edited.json")
    assert event.event_id == "tg:804215320"
    assert event.text == "請問週日有營業嗎？"
    assert event.extra["telegram_edited"] is True
    assert event.extra["telegram_message_id"] == 52
    assert event.external_message_id == "52:edit:1700000030"
    assert event.occurred_at == datetime.fromtimestamp(1700000030, tz=UTC)


def test_button_taps_come_back_as_the_buttons_value() -> None:
    [short] = parse("callback.json")
    assert (short.kind, short.text, short.external_user_id) == ("message", "yes", CHAT)
    assert short.extra == {"telegram_callback_query_id": "2522411883375405371"}
    [long] = parse("callback_long.json")
    assert long.text == "請幫我查詢上個月所有的訂單與退款紀錄"  # the label stood for a long value


def test_blocking_the_bot_is_an_unfollow() -> None:
    [event] = parse("blocked.json")
    assert (event.kind, event.external_user_id) == ("unfollow", CHAT)


def test_sticker_shows_its_emoji() -> None:
    [event] = parse("sticker.json")
    assert event.text == "[sticker] 👍"


def test_groups_are_skipped() -> None:
    assert parse("group.json") == []


def test_unknown_update_types_are_skipped() -> None:
    body = b'{"update_id": 5, "inline_query": {"id": "1", "query": "x"}}'
    assert ADAPTER.parse(delivered(body), TelegramConfig()) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-telegram-bot-api-secret-token": ""},
        {"x-telegram-bot-api-secret-token": WEBHOOK_SECRET + "x"},
        {"x-telegram-bot-api-secret-token": WEBHOOK_SECRET[:-1]},
    ],
)
def test_wrong_or_missing_secret(headers: dict[str, str]) -> None:
    request = WebhookRequest(body=fixture_body("text.json"), headers=headers, query={})
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify(request, SECRETS)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>",
        b"[]",
        b'{"message": {}}',
        b'{"update_id": "5"}',
        b'{"update_id": 5, "message": []}',
        b'{"update_id": 5, "message": {"message_id": 1, "date": 1}}',
        b'{"update_id": 5, "message": {"chat": {"id": 1, "type": "private"}}}',
        b'{"update_id": 5, "callback_query": {"id": "1"}}',
    ],
)
def test_malformed_updates(body: bytes) -> None:
    with pytest.raises(PayloadInvalid):
        ADAPTER.parse(delivered(body), TelegramConfig())


def test_secrets_validation() -> None:
    with pytest.raises(ValueError):
        TelegramSecrets(bot_token=TOKEN, webhook_secret="has spaces")
    with pytest.raises(ValueError):
        TelegramSecrets(bot_token="not a token")
    assert len(generate_webhook_secret()) == 64
    TelegramSecrets(bot_token=TOKEN, webhook_secret=generate_webhook_secret())


def test_no_secret_yet_refuses_every_update() -> None:
    unregistered = TelegramSecrets(bot_token=TOKEN)
    for headers in ({}, {"x-telegram-bot-api-secret-token": "anything"}):
        request = WebhookRequest(body=fixture_body("text.json"), headers=headers, query={})
        with pytest.raises(SignatureInvalid):
            ADAPTER.verify(request, unregistered)
