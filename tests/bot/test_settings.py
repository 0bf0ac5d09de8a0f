"""GET/PUT /api/v1/inboxes/{id}/bot: defaults, validation, admins only, the sealed API key."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from kefu.audit.models import AuditEntry
from kefu.auth.sealing import SecretBox
from kefu.bot.settings import DEFAULT_THRESHOLD, bot_settings
from kefu.inboxes.models import Inbox
from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client

PERMISSION_TESTED = {"GET /api/v1/inboxes/{inbox_id}/bot", "PUT /api/v1/inboxes/{inbox_id}/bot"}


async def test_defaults_update_and_the_sealed_key(
    app: FastAPI, runtime: Runtime, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    url = f"/api/v1/inboxes/{workspace.inbox.id}/bot"
    got = await admin.get(url)
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    assert body["enabled"] is False and body["threshold"] == DEFAULT_THRESHOLD
    assert body["name"] == {"zh-TW": "小幫手", "en": "Assistant"}
    assert body["generative"]["enabled"] is False and body["generative_api_key_set"] is False

    body.update(
        enabled=True,
        threshold=0.4,
        handoff_keywords=["  找店長 "],
        menu=[
            {
                "label": {"zh-TW": "查詢訂單", "en": "Order status"},
                "kind": "action",
                "value": "order_status",
            },
            {"label": {"zh-TW": "真人客服", "en": "Agent"}, "kind": "handoff"},
        ],
        generative_api_key="sk-test-123",
    )
    body.pop("generative_api_key_set")
    put = await admin.put(url, json=body)
    assert put.status_code == 200, put.text
    out = put.json()
    assert out["generative_api_key_set"] is True and "sk-test-123" not in put.text
    assert out["handoff_keywords"] == ["找店長"] and out["threshold"] == 0.4
    async with runtime.db.read() as session:
        inbox = await session.get(Inbox, workspace.inbox.id)
        assert inbox is not None
        assert bot_settings(inbox).enabled and bot_settings(inbox).menu[0].value == "order_status"
        sealed = inbox.settings["bot_secrets"]
        assert "sk-test" not in str(inbox.settings)
        assert SecretBox(runtime.settings.effective_secret_key).open(sealed) == "sk-test-123"
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "inbox.bot_updated")
        )
        assert audit is not None and audit.target_id == workspace.inbox.id

    # Omitting the key keeps it; "" removes it.
    body.pop("generative_api_key")
    assert (await admin.put(url, json=body)).json()["generative_api_key_set"] is True
    cleared = await admin.put(url, json={**body, "generative_api_key": ""})
    assert cleared.json()["generative_api_key_set"] is False
    await admin.aclose()


async def test_validation_errors_are_json(app: FastAPI, workspace: Workspace) -> None:
    admin = await agent_client(app, workspace.admin.email)
    url = f"/api/v1/inboxes/{workspace.inbox.id}/bot"
    for bad in (
        {"threshold": 1.5},
        {"menu": [{"label": {"zh-TW": "", "en": ""}, "kind": "handoff"}]},
        {"menu": [{"label": {"en": "Returns"}, "kind": "article", "value": " "}]},
        {"menu": [{"label": {"en": "x"}, "kind": "script", "value": "x"}]},
        {"handoff_keywords": ["x" * 51]},
        {"surprise": True},
        {"welcome": {"en": "x" * 1001}},
    ):
        response = await admin.put(url, json=bad)
        assert response.status_code == 422, (bad, response.text)
        assert set(response.json()["error"]) >= {"code", "message"}
    missing = await admin.get("/api/v1/inboxes/999999/bot")
    assert missing.status_code == 404
    await admin.aclose()


async def test_only_admins(app: FastAPI, workspace: Workspace) -> None:
    agent = await agent_client(app, workspace.agent.email)
    url = f"/api/v1/inboxes/{workspace.inbox.id}/bot"
    assert (await agent.get(url)).status_code == 403
    assert (await agent.put(url, json={"enabled": True})).status_code == 403
    await agent.aclose()
