from __future__ import annotations

import httpx
from fastapi import FastAPI

from kefu.inboxes.models import Inbox
from kefu.kb.models import KbArticle
from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client, visitor_send


async def test_widget_config_and_origin_check(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    key = workspace.inbox.public_key
    ok = await client.get(
        f"/api/v1/widget/{key}/config", headers={"origin": "https://shop.example.com"}
    )
    assert ok.status_code == 200
    config = ok.json()
    assert config.pop("attachments")["max_bytes"] == 10 * 1024 * 1024  # tests/attachments
    assert config == {
        "name": "Website",
        "greeting": "Hi",
        "color": "#1f6feb",
        "locale": "zh-TW",
        "prechat": None,
        "open_now": None,
        "transcript": False,  # no SMTP configured
        "help_articles": False,  # nothing published: the widget hides its help search
    }
    assert ok.headers["access-control-allow-origin"] == "https://shop.example.com"
    evil = await client.post(
        f"/api/v1/widget/{key}/messages",
        json={"text": "hi"},
        headers={"origin": "https://evil.example.net"},
    )
    assert evil.status_code == 403
    assert evil.json()["error"]["code"] == "origin_not_allowed"
    unknown = await client.get("/api/v1/widget/nope/config")
    assert unknown.status_code == 404


async def test_cors_preflight(client: httpx.AsyncClient, workspace: Workspace) -> None:
    r = await client.options(
        f"/api/v1/widget/{workspace.inbox.public_key}/messages",
        headers={
            "origin": "https://shop.example.com",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, x-kefu-visitor",
        },
    )
    assert r.status_code == 204
    assert "x-kefu-visitor" in r.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in r.headers


async def test_visitor_message_into_resolved_conversation_reopens_it(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    first = await visitor_send(client, workspace.inbox, "one")
    agent = await agent_client(app, workspace.agent.email)
    conv = (await agent.get("/api/v1/conversations")).json()["items"][0]
    await agent.post(f"/api/v1/conversations/{conv['id']}/status", json={"status": "resolved"})
    again = await visitor_send(client, workspace.inbox, "two", token=first["visitor_token"])
    assert again["conversation"]["id"] == first["conversation"]["id"]
    assert again["conversation"]["status"] == "open"
    await agent.aclose()


async def test_message_text_validation(client: httpx.AsyncClient, workspace: Workspace) -> None:
    key = workspace.inbox.public_key
    blank = await client.post(f"/api/v1/widget/{key}/messages", json={"text": "   "})
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "empty_message"
    long = await client.post(f"/api/v1/widget/{key}/messages", json={"text": "x" * 10_001})
    assert long.status_code == 422
    extra = await client.post(f"/api/v1/widget/{key}/messages", json={"text": "x", "admin": True})
    assert extra.status_code == 422


async def test_xss_payload_is_stored_and_returned_verbatim(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    payload = "<img src=x onerror=alert(1)>"
    sent = await visitor_send(client, workspace.inbox, payload)
    assert sent["message"]["text"] == payload


async def test_message_after_reopen_window_starts_new_conversation(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    first = await visitor_send(client, workspace.inbox, "one")
    admin = await agent_client(app, workspace.admin.email)
    conv = (await admin.get("/api/v1/conversations")).json()["items"][0]
    await admin.post(f"/api/v1/conversations/{conv['id']}/status", json={"status": "resolved"})
    async with runtime.db.write() as session:
        inbox = await session.get(Inbox, workspace.inbox.id)
        assert inbox is not None
        inbox.settings = {"reopen_window_hours": 0}
    again = await visitor_send(client, workspace.inbox, "new topic", token=first["visitor_token"])
    assert again["conversation"]["id"] != first["conversation"]["id"]
    assert again["message"]["seq"] == 1
    await admin.aclose()


async def test_visitor_read_mark_never_moves_back(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    first = await visitor_send(client, workspace.inbox, "one")
    token = first["visitor_token"]
    agent = await agent_client(app, workspace.agent.email)
    conv = (await agent.get("/api/v1/conversations")).json()["items"][0]
    for text in ("a", "b"):
        await agent.post(f"/api/v1/conversations/{conv['id']}/messages", json={"text": text})
    public_id = first["conversation"]["id"]
    url = f"/api/v1/widget/{workspace.inbox.public_key}/conversations/{public_id}/read"
    headers = {"x-kefu-visitor": token}
    assert (await client.post(url, json={"seq": 3}, headers=headers)).status_code == 204
    assert (await client.post(url, json={"seq": 2}, headers=headers)).status_code == 204
    assert (await client.post(url, json={"seq": 99}, headers=headers)).status_code == 204
    fresh = (await agent.get(f"/api/v1/conversations/{conv['id']}")).json()
    assert fresh["contact_last_read_seq"] == 3  # not back to 2, and capped at last_seq
    await agent.aclose()


async def test_widget_config_says_when_there_are_help_articles(
    client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    url = f"/api/v1/widget/{workspace.inbox.public_key}/config"
    async with runtime.db.write() as session:
        draft = KbArticle(slug="draft-only", status="draft")
        session.add(draft)
    assert (await client.get(url)).json()["help_articles"] is False  # drafts are not public
    async with runtime.db.write() as session:
        session.add(KbArticle(slug="published", status="published"))
    assert (await client.get(url)).json()["help_articles"] is True
