"""Telegram through the whole app: the admin creates the inbox and registers the webhook through
the API, updates come in with the secret header, agents answer, the outbox calls the fake Bot
API over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.auth.sealing import SecretBox
from kefu.channels.secrets import open_secrets
from kefu.config import Settings
from kefu.contacts.models import Contact
from kefu.db import utcnow
from kefu.inboxes.models import Inbox
from kefu.outbox.models import OutboxJob
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.settings import RoutingSettings
from kefu.runtime import Runtime
from tests.attachments.samples import JPEG
from tests.channels.provider_server import serve_asgi
from tests.channels.telegram.conftest import fixture_body
from tests.channels.telegram.fake_api import TOKEN, FakeTelegram
from tests.conftest import Workspace, agent_client

PERMISSION_TESTED = {"POST /api/v1/inboxes/{inbox_id}/telegram/webhook"}
CHAT = 587312904


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Telegram delivers only to https webhook URLs.
    return settings.model_copy(update={"public_url": "https://kefu.example"})


@dataclass
class TelegramApp:
    fake: FakeTelegram
    inbox_id: int
    public_key: str
    secret: str
    client: httpx.AsyncClient
    agent: httpx.AsyncClient
    runtime: Runtime

    async def post(self, body: bytes, secret: str | None = None) -> httpx.Response:
        return await self.client.post(
            f"/webhooks/telegram/{self.public_key}",
            content=body,
            headers={
                "content-type": "application/json",
                "x-telegram-bot-api-secret-token": self.secret if secret is None else secret,
            },
        )

    async def conversation(self) -> dict[str, Any]:
        page = (await self.agent.get("/api/v1/conversations", params={"status": "all"})).json()
        [conversation] = [c for c in page["items"] if c["inbox_id"] == self.inbox_id]
        return conversation  # type: ignore[no-any-return]

    async def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        page = await self.agent.get(f"/api/v1/conversations/{conversation_id}/messages")
        return page.json()["items"]  # type: ignore[no-any-return]

    async def answer(self, conversation_id: int, text: str) -> dict[str, Any]:
        response = await self.agent.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def run_outbox(self) -> None:
        await self.runtime.worker.outbox.run_due()


async def create_inbox(admin: httpx.AsyncClient, api: str, member: int) -> dict[str, Any]:
    created = await admin.post(
        "/api/v1/inboxes",
        json={
            "name": "Telegram bot",
            "channel_type": "telegram",
            "member_ids": [member],
            "channel_config": {"api_base": api},
            "channel_secrets": {"bot_token": TOKEN},
        },
    )
    assert created.status_code == 201, created.text
    assert TOKEN not in created.text
    return created.json()  # type: ignore[no-any-return]


@pytest.fixture
async def telegram_app(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> AsyncIterator[TelegramApp]:
    fake = FakeTelegram()
    fake.chats.add(CHAT)
    async with serve_asgi(fake.app()) as api:
        admin = await agent_client(app, workspace.admin.email)
        inbox = await create_inbox(admin, api, workspace.agent.id)
        registered = await admin.post(f"/api/v1/inboxes/{inbox['id']}/telegram/webhook")
        assert registered.status_code == 200, registered.text
        await admin.aclose()
        async with runtime.db.write() as session:
            row = await session.get(Inbox, inbox["id"])
            assert row is not None
            quiet = RoutingSettings(
                greeting_enabled=False,
                queued_reply_enabled=False,
                outside_hours_reply_enabled=False,
            )
            await do_update_inbox_routing(
                session, actor=SystemPrincipal(), inbox=row, settings=quiet
            )
        agent = await agent_client(app, workspace.agent.email)
        secret = fake.webhook["secret_token"]
        yield TelegramApp(fake, inbox["id"], inbox["public_key"], secret, client, agent, runtime)
        await agent.aclose()


async def test_registering_the_webhook(
    app: FastAPI, runtime: Runtime, workspace: Workspace
) -> None:
    fake = FakeTelegram()
    async with serve_asgi(fake.app()) as api:
        admin = await agent_client(app, workspace.admin.email)
        inbox = await create_inbox(admin, api, workspace.agent.id)
        agent = await agent_client(app, workspace.agent.email)
        denied = await agent.post(f"/api/v1/inboxes/{inbox['id']}/telegram/webhook")
        assert denied.status_code in (403, 404)
        not_telegram = await admin.post(f"/api/v1/inboxes/{workspace.inbox.id}/telegram/webhook")
        assert not_telegram.status_code == 422
        assert fake.webhook == {}

        first = await admin.post(f"/api/v1/inboxes/{inbox['id']}/telegram/webhook")
        assert first.status_code == 200, first.text
        url = f"https://kefu.example/webhooks/telegram/{inbox['public_key']}"
        assert first.json() == {
            "url": url,
            "allowed_updates": ["message", "edited_message", "callback_query", "my_chat_member"],
        }
        secret = fake.webhook["secret_token"]
        assert fake.webhook["url"] == url and len(secret) == 64
        async with runtime.db.read() as session:
            row = await session.get(Inbox, inbox["id"])
        assert row is not None
        stored = open_secrets(SecretBox(runtime.settings.effective_secret_key), row.channel_secrets)
        assert stored == {"bot_token": TOKEN, "webhook_secret": secret}
        assert secret not in first.text
        # Registering again keeps the secret.
        await admin.post(f"/api/v1/inboxes/{inbox['id']}/telegram/webhook")
        assert fake.webhook["secret_token"] == secret
        # Telegram's refusal is the admin's answer, and nothing changes.
        fake.script(
            "setWebhook", (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        )
        refused = await admin.post(f"/api/v1/inboxes/{inbox['id']}/telegram/webhook")
        assert refused.status_code == 502
        assert refused.json()["error"] == {
            "code": "telegram_webhook_refused",
            "message": "Telegram 拒絕設定 Webhook："
            "Telegram 401: Unauthorized (check the bot token)",
        }
        await admin.aclose()
        await agent.aclose()


async def test_message_then_answer(telegram_app: TelegramApp) -> None:
    response = await telegram_app.post(fixture_body("text.json"))
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "messages": 1, "duplicates": 0}
    conversation = await telegram_app.conversation()
    assert conversation["contact"]["name"] == "小明 王"  # from the update: no profile call
    cid = conversation["id"]
    [incoming] = await telegram_app.messages(cid)
    assert incoming["text"] == "請問週末有營業嗎？"
    await telegram_app.answer(cid, "週末 10:00–18:00 有營業")
    await telegram_app.run_outbox()
    [send] = telegram_app.fake.called("sendMessage")
    assert send.params == {"chat_id": str(CHAT), "text": "週末 10:00–18:00 有營業"}
    [*_, sent] = await telegram_app.messages(cid)
    assert sent["delivery_status"] == "sent"


async def test_duplicate_update_is_stored_once(telegram_app: TelegramApp) -> None:
    body = fixture_body("text.json")
    await telegram_app.post(body)
    again = await telegram_app.post(body)
    assert again.json() == {"ok": True, "messages": 0, "duplicates": 1}
    assert len(await telegram_app.messages((await telegram_app.conversation())["id"])) == 1


async def test_wrong_secret_is_401_and_stores_nothing(telegram_app: TelegramApp) -> None:
    body = fixture_body("text.json")
    wrong = await telegram_app.post(body, secret=telegram_app.secret[:-1] + "x")
    missing = await telegram_app.client.post(
        f"/webhooks/telegram/{telegram_app.public_key}", content=body
    )
    assert (wrong.status_code, missing.status_code) == (401, 401)
    async with telegram_app.runtime.db.read() as session:
        assert await session.scalar(select(func.count(Contact.id))) == 0


async def test_malformed_update_is_a_json_400(telegram_app: TelegramApp) -> None:
    response = await telegram_app.post(b'{"message": {"text": "no update_id"}}')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"


async def test_photo_is_fetched_and_attached(telegram_app: TelegramApp) -> None:
    telegram_app.fake.files["AgACAgUAAxkBAAMFZ1large"] = ("photos/file_3.jpg", JPEG)
    await telegram_app.post(fixture_body("photo.json"))
    await telegram_app.run_outbox()
    assert telegram_app.fake.downloads == ["photos/file_3.jpg"]
    [message] = await telegram_app.messages((await telegram_app.conversation())["id"])
    assert message["text"] == "收據在這裡"
    [attachment] = message["attachments"]
    assert (attachment["content_type"], attachment["size"]) == ("image/jpeg", len(JPEG))


async def test_flood_control_retry_after_is_honoured(telegram_app: TelegramApp) -> None:
    await telegram_app.post(fixture_body("text.json"))
    cid = (await telegram_app.conversation())["id"]
    telegram_app.fake.script(
        "sendMessage",
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 90",
                "parameters": {"retry_after": 90},
            },
        ),
    )
    await telegram_app.answer(cid, "稍等")
    before = utcnow()
    await telegram_app.run_outbox()
    async with telegram_app.runtime.db.read() as session:
        job = await session.scalar(select(OutboxJob).where(OutboxJob.kind == "channel.send"))
    assert job is not None and job.status == "pending"
    wait = (job.next_attempt_at - before).total_seconds()
    assert 89 <= wait <= 95, wait  # Telegram's retry_after, not kefu's backoff
    [*_, queued] = await telegram_app.messages(cid)
    assert queued["delivery_status"] == "queued"
    assert "retry after 90" in queued["delivery_error"]
    async with telegram_app.runtime.db.write() as session:
        await session.execute(
            OutboxJob.__table__.update().values(next_attempt_at=utcnow())  # type: ignore[attr-defined]
        )
    await telegram_app.run_outbox()
    assert len(telegram_app.fake.called("sendMessage")) == 2
    [*_, sent] = await telegram_app.messages(cid)
    assert (sent["delivery_status"], sent["delivery_error"]) == ("sent", None)


async def test_a_blocked_bot_fails_with_telegrams_words(telegram_app: TelegramApp) -> None:
    await telegram_app.post(fixture_body("text.json"))
    await telegram_app.post(fixture_body("blocked.json"))
    telegram_app.fake.blocked.add(CHAT)
    cid = (await telegram_app.conversation())["id"]
    await telegram_app.answer(cid, "還在嗎？")
    await telegram_app.run_outbox()
    [*_, failed] = await telegram_app.messages(cid)
    assert failed["delivery_status"] == "failed"
    assert failed["delivery_error"] == "Telegram 403: Forbidden: bot was blocked by the user"
    contact_id = (await telegram_app.conversation())["contact"]["id"]
    activity = (await telegram_app.agent.get(f"/api/v1/contacts/{contact_id}/activity")).json()
    assert "channel_unfollowed" in [a["action"] for a in activity]


async def test_a_button_tap_is_a_message_and_is_answered(telegram_app: TelegramApp) -> None:
    await telegram_app.post(fixture_body("text.json"))
    await telegram_app.post(fixture_body("callback_long.json"))
    [_, tapped] = await telegram_app.messages((await telegram_app.conversation())["id"])
    assert tapped["text"] == "請幫我查詢上個月所有的訂單與退款紀錄"
    assert tapped["channel_payload"]["telegram_callback_query_id"] == "2522411883375405372"
    # The webhook answers the tap after the commit (the customer's button stops spinning).
    for _ in range(200):
        if telegram_app.fake.called("answerCallbackQuery"):
            break
        await asyncio.sleep(0.01)
    [answer] = telegram_app.fake.called("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "2522411883375405372"
