"""The bot calling real local services over HTTP: a company's order-status endpoint (a bot
HTTP action, signed) and an OpenAI-compatible endpoint (generative answers, off by default)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from kefu.auth.sealing import SecretBox
from kefu.bot.http_actions import seal_action_secret
from kefu.bot.models import BotAction
from kefu.runtime import Runtime
from tests.bot.fake_services import ORDER_SECRET, FakeChatCompletions, FakeOrderService
from tests.bot.helpers import activities, ask, latest, said_by
from tests.bot.kb import enable_bot, seed_kb
from tests.channels.provider_server import serve_asgi
from tests.conftest import Workspace, agent_client


async def test_order_status_from_the_company_service(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    ids = await seed_kb(runtime.db)
    await enable_bot(runtime.db, workspace.inbox.id)
    service = FakeOrderService(orders={"A1234": {"id": "A1234", "status": "已出貨"}})
    async with serve_asgi(service.app()) as base:
        box = SecretBox(runtime.settings.effective_secret_key)
        async with runtime.db.write() as session:
            await session.execute(
                update(BotAction)
                .where(BotAction.id == ids["order"])
                .values(url=f"{base}/orders/status", secret=seal_action_secret(box, ORDER_SECRET))
            )
        token = await ask(client, runtime, workspace, "查詢訂單")
        await ask(client, runtime, workspace, "A1234", token)
        admin = await agent_client(app, workspace.admin.email)
        assert said_by(await latest(admin), "bot")[-1] == "訂單 A1234：已出貨"
        [request] = service.requests
        assert request["verified"] and b"A1234" in request["body"] and request["query"] == ""

        await ask(client, runtime, workspace, "訂單狀態", token)
        await ask(client, runtime, workspace, "Z9999", token)
        assert said_by(await latest(admin), "bot")[-1] == "查無此訂單，請確認編號。"

        service.mode = "error"  # the company's system is down: a polite handoff
        await ask(client, runtime, workspace, "訂單狀態", token)
        await ask(client, runtime, workspace, "A1234", token)
        conv = await latest(admin)
        [handoff] = activities(conv, "bot_handoff")
        assert handoff["reason"] == "action_failed" and conv["queued_at"] is not None
        assert "database down" not in " ".join(said_by(conv, "bot"))
        await admin.aclose()


@pytest.mark.parametrize(
    ("reply", "answered"),
    [
        ("營業時間為週一至週五 09:00–18:00，週六 10:00–16:00 [1]", True),
        ("NO_ANSWER", False),
    ],
)
async def test_generative_answer_grounded_in_the_articles(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    reply: str,
    answered: bool,
) -> None:
    await seed_kb(runtime.db)
    model = FakeChatCompletions(reply=reply)
    async with serve_asgi(model.app()) as base:
        generative = {"enabled": True, "base_url": f"{base}/v1", "model": "kefu-test"}
        await enable_bot(runtime.db, workspace.inbox.id, generative=generative)
        admin = await agent_client(app, workspace.admin.email)
        url = f"/api/v1/inboxes/{workspace.inbox.id}/bot"
        settings = (await admin.get(url)).json()
        settings.pop("generative_api_key_set")
        put = await admin.put(url, json={**settings, "generative_api_key": "sk-local"})
        assert put.status_code == 200, put.text
        token = await ask(client, runtime, workspace, "你好")
        # Below the threshold, but an article matches a little: the model drafts from it.
        await ask(client, runtime, workspace, "國定假日的停車場收費標準", token)
        conv = await latest(admin)
        [request] = model.requests
        assert request["headers"]["authorization"] == "Bearer sk-local"
        assert "國定假日的停車場收費標準" in str(request["json"]["messages"])
        if answered:
            text = said_by(conv, "bot")[-1]
            assert text.startswith("營業時間為週一至週五")
            assert "/help/zh-TW/articles/opening-hours" in text
            assert conv["routing_state"] == "bot"
        else:
            [handoff] = activities(conv, "bot_handoff")
            assert handoff["reason"] == "low_confidence"
        await admin.aclose()
