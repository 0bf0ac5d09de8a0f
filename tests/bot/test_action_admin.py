"""The admin API for bot HTTP actions: admins only, validation, the write-only secret, audit
entries, the KB index revision, and the test endpoint against a local fake order service."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kefu.audit.models import AuditEntry
from kefu.auth.sealing import SecretBox
from kefu.bot.http_actions import open_action_secret
from kefu.bot.models import BotAction
from kefu.kb.models import KbState
from kefu.runtime import Runtime
from tests.bot.fake_services import ORDER_SECRET, FakeOrderService
from tests.channels.provider_server import serve_asgi
from tests.conftest import Workspace, agent_client
from tests.contacts.helpers import make_user

PERMISSION_TESTED = {
    "GET /api/v1/bot/actions",
    "POST /api/v1/bot/actions",
    "GET /api/v1/bot/actions/{action_id}",
    "PATCH /api/v1/bot/actions/{action_id}",
    "DELETE /api/v1/bot/actions/{action_id}",
    "POST /api/v1/bot/actions/{action_id}/test",
}
URL = "/api/v1/bot/actions"


def action_body(url: str = "https://orders.example.com/status", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": "order_status",
        "names": {"zh-TW": "查詢訂單", "en": "Order status"},
        "triggers": ["查詢訂單", "訂單狀態", "where is my order", "  where   is my order "],
        "prompts": {"zh-TW": "請輸入訂單編號", "en": "Your order number?"},
        "param_pattern": r"[A-Z][0-9]{5}",
        "url": url,
        "secret": ORDER_SECRET,
        "timeout_seconds": 3,
        "answer_templates": {"zh-TW": "訂單 {{status}}", "en": "Order is {{status}}."},
        "not_found_templates": {"zh-TW": "查無此訂單。", "en": "No such order."},
    }
    body.update(changes)
    return body


async def revision(runtime: Runtime) -> int:
    async with runtime.db.read() as session:
        return int(await session.scalar(select(KbState.revision).where(KbState.id == 1)) or 0)


async def audits(runtime: Runtime) -> list[AuditEntry]:
    async with runtime.db.read() as session:
        query = select(AuditEntry).where(AuditEntry.target_type == "bot_action")
        return list((await session.scalars(query.order_by(AuditEntry.id))).all())


async def test_crud_secret_audit_and_revision(
    app: FastAPI, workspace: Workspace, runtime: Runtime
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    start = await revision(runtime)
    created = await admin.post(URL, json=action_body())
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["secret_set"] is True and "secret" not in out
    assert ORDER_SECRET not in created.text
    assert out["triggers"] == ["查詢訂單", "訂單狀態", "where is my order"]
    assert out["names"] == {"en": "Order status", "zh-TW": "查詢訂單"}
    assert await revision(runtime) == start + 1
    action_id = out["id"]

    # Sealed at rest, opened for the call.
    async with runtime.db.read() as session:
        row = await session.get(BotAction, action_id)
        assert row is not None and row.secret and ORDER_SECRET not in row.secret
        box = SecretBox(runtime.settings.effective_secret_key)
        assert open_action_secret(box, row) == ORDER_SECRET

    listed = await admin.get(URL)
    assert [a["key"] for a in listed.json()] == ["order_status"]
    assert ORDER_SECRET not in listed.text
    got = await admin.get(f"{URL}/{action_id}")
    assert got.json()["secret_set"] is True

    # Absent secret: kept; a new value replaces it; null removes it.
    patched = await admin.patch(f"{URL}/{action_id}", json={"timeout_seconds": 7, "enabled": False})
    assert patched.status_code == 200, patched.text
    assert patched.json()["timeout_seconds"] == 7 and patched.json()["secret_set"] is True
    assert await revision(runtime) == start + 2
    new_secret = "another-secret-of-enough-length"
    await admin.patch(f"{URL}/{action_id}", json={"secret": new_secret})
    async with runtime.db.read() as session:
        row = await session.get(BotAction, action_id)
        assert row is not None and open_action_secret(box, row) == new_secret
    removed = await admin.patch(f"{URL}/{action_id}", json={"secret": None})
    assert removed.json()["secret_set"] is False

    deleted = await admin.delete(f"{URL}/{action_id}")
    assert deleted.status_code == 204
    assert (await admin.get(f"{URL}/{action_id}")).status_code == 404
    assert await revision(runtime) == start + 5

    entries = await audits(runtime)
    assert [e.action for e in entries] == [
        "bot_action.created",
        "bot_action.updated",
        "bot_action.updated",
        "bot_action.updated",
        "bot_action.deleted",
    ]
    assert entries[0].actor_user_id == workspace.admin.id
    assert entries[1].details["changed"] == ["enabled", "timeout_seconds"]
    assert entries[2].details["changed"] == ["secret"]
    for entry in entries:  # never the secret's value
        assert ORDER_SECRET not in str(entry.details) and new_secret not in str(entry.details)


async def test_only_admins(app: FastAPI, workspace: Workspace, runtime: Runtime) -> None:
    admin = await agent_client(app, workspace.admin.email)
    action_id = (await admin.post(URL, json=action_body())).json()["id"]
    await make_user(runtime, "lead@example.com", "supervisor")
    for email in ("lead@example.com", workspace.agent.email):
        other = await agent_client(app, email)
        for method, path, body in (
            ("GET", URL, None),
            ("POST", URL, action_body(key="other")),
            ("GET", f"{URL}/{action_id}", None),
            ("PATCH", f"{URL}/{action_id}", {"enabled": False}),
            ("DELETE", f"{URL}/{action_id}", None),
            ("POST", f"{URL}/{action_id}/test", {"value": "A12345"}),
        ):
            response = await other.request(method, path, json=body)
            assert response.status_code == 403, (email, method, path, response.text)
    assert len(await audits(runtime)) == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"key": "Order Status"}, "bad_action_key"),
        ({"key": "-x"}, "bad_action_key"),
        ({"param_pattern": "[A-Z"}, "bad_param_pattern"),
        ({"param_pattern": "[0-9]*"}, "bad_param_pattern"),
        ({"param_pattern": "a|"}, "bad_param_pattern"),
        ({"url": "ftp://orders.example.com/"}, "bad_action_url"),
        ({"url": "not a url"}, "bad_action_url"),
        ({"url": "https://orders.example.com/status/{value}"}, "bad_action_url"),
        ({"names": {"en": "  "}}, "missing_name"),
        ({"answer_templates": {}}, "missing_answer_template"),
        ({"answer_templates": {"en": "x" * 2001}}, "text_too_long"),
        ({"triggers": ["ok", "bad\x00"]}, "bad_text"),
        ({"names": {"en": "Order\x00"}}, "bad_text"),
        ({"answer_templates": {"en": "{{status}}\x00"}}, "bad_text"),
        ({"param_pattern": "[A-Z]\x00"}, "bad_text"),
        ({"url": "https://orders.example.com/\x00"}, "bad_text"),
        ({"url": "https://orders.example.com/\nHost: evil"}, "bad_text"),
        ({"timeout_seconds": 0.5}, "invalid_input"),
        ({"timeout_seconds": 11}, "invalid_input"),
        ({"secret": "short"}, "invalid_input"),
        ({"names": {"fr": "Commande"}}, "invalid_input"),
        ({"unexpected": 1}, "invalid_input"),
    ],
)
async def test_validation(
    app: FastAPI, workspace: Workspace, runtime: Runtime, changes: dict[str, Any], code: str
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    response = await admin.post(URL, json=action_body(**changes))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    async with runtime.db.read() as session:
        assert (await session.scalars(select(BotAction))).all() == []


async def test_private_urls_refused_unless_allowed(
    app: FastAPI, workspace: Workspace, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    monkeypatch.setattr(runtime.settings, "channel_allow_private_urls", False)
    for url in (
        "http://orders.example.com/status",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/admin",
        "https://localhost/x",
        "https://10.1.2.3/x",
    ):
        response = await admin.post(URL, json=action_body(url=url))
        assert response.status_code == 422, (url, response.text)
        assert response.json()["error"]["code"] == "bad_action_url"
    ok = await admin.post(URL, json=action_body())
    assert ok.status_code == 201
    patched = await admin.patch(f"{URL}/{ok.json()['id']}", json={"url": "https://[::1]/x"})
    assert patched.status_code == 422


async def test_duplicate_key_conflicts(app: FastAPI, workspace: Workspace) -> None:
    admin = await agent_client(app, workspace.admin.email)
    assert (await admin.post(URL, json=action_body())).status_code == 201
    again = await admin.post(URL, json=action_body())
    assert again.status_code == 409 and again.json()["error"]["code"] == "action_key_taken"
    other = await admin.post(URL, json=action_body(key="refund"))
    renamed = await admin.patch(f"{URL}/{other.json()['id']}", json={"key": "order_status"})
    assert renamed.status_code == 409


async def test_triggers_are_searchable_after_a_change(
    app: FastAPI, workspace: Workspace, runtime: Runtime
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    created = (await admin.post(URL, json=action_body())).json()
    index = await runtime.kb_index.current()
    [match, *_] = index.search("where is my order", kinds=frozenset({"action"}))
    assert match.document.ref_id == created["id"]
    await admin.patch(f"{URL}/{created['id']}", json={"enabled": False})
    index = await runtime.kb_index.current()
    assert index.search("where is my order", kinds=frozenset({"action"})) == []


async def test_the_test_endpoint(app: FastAPI, workspace: Workspace) -> None:
    service = FakeOrderService(orders={"A12345": {"status": "shipped"}})
    admin = await agent_client(app, workspace.admin.email)
    async with serve_asgi(service.app()) as base:
        created = await admin.post(URL, json=action_body(url=base + "/orders/status"))
        action_id = created.json()["id"]
        test_url = f"{URL}/{action_id}/test"
        found = await admin.post(test_url, json={"value": "A12345", "locale": "en"})
        assert found.json() == {
            "ok": True,
            "not_found": False,
            "text": "Order is shipped.",
            "error": None,
        }
        assert service.requests[-1]["verified"] is True
        missing = await admin.post(test_url, json={"value": "B00000"})
        assert missing.json() == {
            "ok": True,
            "not_found": True,
            "text": "查無此訂單。",
            "error": None,
        }
        bad = await admin.post(test_url, json={"value": "../../admin"})
        assert bad.json()["ok"] is False and "pattern" in bad.json()["error"]
        service.mode = "error"
        failed = await admin.post(test_url, json={"value": "A12345"})
        assert failed.json() == {"ok": False, "not_found": False, "text": None, "error": "HTTP 500"}
    assert service.admin_hits == 0
    assert len(service.requests) == 3
    too_long = await admin.post(test_url, json={"value": "A" * 65})
    assert too_long.status_code == 422
    assert (await admin.post(f"{URL}/99999/test", json={"value": "A12345"})).status_code == 404


async def test_hostile_input_is_refused_cleanly(
    app: FastAPI, workspace: Workspace, client: httpx.AsyncClient
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    for body in (
        action_body(param_pattern="(a" * 300),
        action_body(triggers=["x" * 201]),
        action_body(triggers=["t"] * 31),
        action_body(key="k" * 41),
        action_body(url="https://" + "a" * 600 + ".com"),
        action_body(timeout_seconds="soon"),
    ):
        response = await admin.post(URL, json=body)
        assert response.status_code == 422, response.text
        assert "error" in response.json()
