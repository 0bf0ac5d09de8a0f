"""The bot in a Telegram inbox, driven through its webhook with the fake Bot API: answers go out
through the channel outbox with their buttons (inline keyboards), a tap comes back as a
callback query, a handoff reaches the queue, and a 100 KB message is handled safely."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from kefu.runtime import Runtime
from tests.bot.helpers import activities, settle
from tests.bot.kb import enable_bot, seed_kb
from tests.channels.telegram import test_integration as telegram_tests
from tests.channels.telegram.conftest import fixture_body
from tests.channels.telegram.test_integration import TelegramApp

# The Telegram integration tests' fixtures: an https public URL, and the inbox with its webhook.
settings = telegram_tests.settings
telegram_app = telegram_tests.telegram_app

TEXT = json.loads(fixture_body("text.json"))
CALLBACK = json.loads(fixture_body("callback.json"))
_updates = iter(range(900_000_000, 999_999_999))


def text_update(text: str) -> bytes:
    update = copy.deepcopy(TEXT)
    update["update_id"] = next(_updates)
    update["message"]["message_id"] = next(_updates) % 1_000_000
    update["message"]["text"] = text
    return json.dumps(update).encode()


def tap(data: str) -> bytes:
    update = copy.deepcopy(CALLBACK)
    update["update_id"] = next(_updates)
    update["callback_query"]["id"] = str(next(_updates))
    update["callback_query"]["data"] = data
    return json.dumps(update).encode()


async def send(app: TelegramApp, body: bytes) -> None:
    response = await app.post(body)
    assert response.status_code == 200, response.text
    await settle(app.runtime)
    await app.run_outbox()


def sent(app: TelegramApp) -> list[dict[str, Any]]:
    return [c.params for c in app.fake.called("sendMessage")]


async def test_bot_answers_on_telegram_and_hands_off(
    telegram_app: TelegramApp, runtime: Runtime
) -> None:
    await seed_kb(runtime.db)
    await enable_bot(runtime.db, telegram_app.inbox_id)
    await send(telegram_app, text_update("你們幾點開門?"))
    welcome, answer = sent(telegram_app)
    assert welcome["text"].startswith("您好，我是小幫手") and "reply_markup" not in welcome
    assert answer["text"].startswith("營業時間：你們幾點開門？")
    assert answer["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "這有幫助", "callback_data": "v:bot:helped"}],
            [{"text": "轉真人", "callback_data": "v:bot:human"}],
        ]
    }
    conversation = await telegram_app.conversation()
    assert conversation["routing_state"] == "bot"

    # The customer taps "轉真人": a callback query with the button's value.
    await send(telegram_app, tap("v:bot:human"))
    assert telegram_app.fake.called("answerCallbackQuery")
    assert sent(telegram_app)[-1]["text"].startswith("已為您轉接真人客服")
    conversation = await telegram_app.conversation()
    assert conversation["routing_state"] == "routed" and conversation["queued_at"] is not None
    messages = await telegram_app.messages(conversation["id"])
    [handoff] = activities({"messages": messages}, "bot_handoff")
    assert handoff["reason"] == "not_helped"
    assert handoff["summary"] == "客戶詢問:你們幾點開門?(回答沒有幫助)"
    queue = (await telegram_app.agent.get("/api/v1/queue")).json()
    assert [q["conversation_id"] for q in queue] == [conversation["id"]]
    # Activity lines never go to the customer.
    assert all("bot_handoff" not in p["text"] for p in sent(telegram_app))


async def test_menu_tap_and_a_huge_message(telegram_app: TelegramApp, runtime: Runtime) -> None:
    await seed_kb(runtime.db)
    await enable_bot(runtime.db, telegram_app.inbox_id)
    await send(telegram_app, text_update("hello there"))
    [menu] = sent(telegram_app)
    buttons = [row[0] for row in menu["reply_markup"]["inline_keyboard"]]
    assert [b["text"] for b in buttons] == ["Order status", "Returns", "Talk to a person"]
    assert buttons[1]["callback_data"] == "v:menu:article:returns"
    await send(telegram_app, tap(buttons[1]["callback_data"]))
    assert sent(telegram_app)[-1]["text"].startswith("Returns and exchanges\n\nYou can return")

    started = time.perf_counter()
    await send(telegram_app, text_update("請問" + "啊" * 100_000))
    assert time.perf_counter() - started < 5
    conversation = await telegram_app.conversation()
    messages = await telegram_app.messages(conversation["id"])
    incoming = [m for m in messages if m["kind"] == "incoming"]
    assert len(incoming[-1]["text"]) >= 4096  # stored as the channel gave it
    # Nothing matched the flood: a handoff, with a summary cut to one short line.
    [handoff] = activities({"messages": messages}, "bot_handoff")
    assert handoff["reason"] == "low_confidence" and len(handoff["summary"]) <= 160
    assert conversation["queued_at"] is not None
