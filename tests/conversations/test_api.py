from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from kefu.events import types
from tests.conftest import EventCapture, Workspace, agent_client, login, visitor_send


async def test_visitor_message_reaches_agent_and_reply_reaches_visitor(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, capture_events: EventCapture
) -> None:
    sent = await visitor_send(client, workspace.inbox, "你好,我想問退款 😀")
    assert sent["created"] is True
    assert sent["message"]["seq"] == 1
    token = sent["visitor_token"]
    public_id = sent["conversation"]["id"]
    assert not public_id.isdigit()

    agent = await agent_client(app, workspace.agent.email)
    listing = (await agent.get("/api/v1/conversations")).json()
    assert len(listing["items"]) == 1
    conv = listing["items"][0]
    assert conv["unread_count"] == 1
    assert conv["last_message_preview"] == "你好,我想問退款 😀"

    reply = await agent.post(
        f"/api/v1/conversations/{conv['id']}/messages", json={"text": "您好,請提供訂單編號"}
    )
    assert reply.status_code == 201, reply.text
    note = await agent.post(
        f"/api/v1/conversations/{conv['id']}/messages", json={"text": "VIP", "kind": "note"}
    )
    assert note.json()["kind"] == "note"

    session = await client.get(
        f"/api/v1/widget/{workspace.inbox.public_key}/session", headers={"x-kefu-visitor": token}
    )
    texts = [m["text"] for m in session.json()["messages"]]
    assert texts == ["你好,我想問退款 😀", "您好,請提供訂單編號"]  # the note is not shown

    created = capture_events.of_type(types.MESSAGE_CREATED)
    assert [e.contact is None for e in created] == [False, False, True]
    await agent.aclose()


async def test_client_msg_id_deduplicates_retries(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    first = await visitor_send(client, workspace.inbox, "hello", client_msg_id="m-1")
    again = await visitor_send(
        client, workspace.inbox, "hello", token=first["visitor_token"], client_msg_id="m-1"
    )
    assert again["created"] is False
    assert again["message"]["seq"] == first["message"]["seq"]


async def test_assign_resolve_reopen_leave_activity_lines(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await visitor_send(client, workspace.inbox, "hi")
    agent = await agent_client(app, workspace.agent.email)
    conv_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]
    base = f"/api/v1/conversations/{conv_id}"
    outsider = await agent.post(f"{base}/assign", json={"assignee_id": workspace.outsider.id})
    assert outsider.status_code == 422
    assert outsider.json()["error"]["code"] == "assignee_not_in_inbox"
    assigned = await agent.post(f"{base}/assign", json={"assignee_id": workspace.agent2.id})
    assert assigned.json()["assignee"]["id"] == workspace.agent2.id
    # Now it is a colleague's conversation: only a supervisor may move it on.
    grab = await agent.post(f"{base}/assign", json={"assignee_id": workspace.agent.id})
    assert grab.status_code == 403
    assert grab.json()["error"]["code"] == "not_your_conversation"
    resolved = await agent.post(f"{base}/status", json={"status": "resolved"})
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_at"] is not None
    reopened = await agent.post(f"{base}/status", json={"status": "open"})
    assert reopened.json()["status"] == "open"
    messages = (await agent.get(f"{base}/messages")).json()["items"]
    activities = [m["activity"] for m in messages if m["kind"] == "activity"]
    assert [a["type"] for a in activities] == ["assigned", "status_changed", "status_changed"]
    assert [m["seq"] for m in messages] == [1, 2, 3, 4]
    await agent.aclose()


async def test_history_is_paged(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    first = await visitor_send(client, workspace.inbox, "m0")
    for i in range(1, 75):
        await visitor_send(client, workspace.inbox, f"m{i}", token=first["visitor_token"])
    agent = await agent_client(app, workspace.agent.email)
    conv_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]
    page = (await agent.get(f"/api/v1/conversations/{conv_id}/messages?limit=50")).json()
    assert page["has_more"] is True
    assert [m["seq"] for m in page["items"]] == list(range(26, 76))
    older = await agent.get(f"/api/v1/conversations/{conv_id}/messages?before_seq=26&limit=50")
    assert [m["seq"] for m in older.json()["items"]] == list(range(1, 26))
    assert older.json()["has_more"] is False
    await agent.aclose()


async def test_concurrent_senders_get_gapless_seq(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    first = await visitor_send(client, workspace.inbox, "start")
    token = first["visitor_token"]
    agent = await agent_client(app, workspace.agent.email)
    conv_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]

    async def send(i: int) -> int:
        if i % 2:
            r = await agent.post(
                f"/api/v1/conversations/{conv_id}/messages", json={"text": f"a{i}"}
            )
            seq: int = r.json()["seq"]
            return seq
        body = await visitor_send(client, workspace.inbox, f"v{i}", token=token)
        seq = body["message"]["seq"]
        return seq

    seqs = await asyncio.gather(*(send(i) for i in range(20)))
    assert sorted(seqs) == list(range(2, 22))
    await agent.aclose()


async def test_unread_count_clears_on_read(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    first = await visitor_send(client, workspace.inbox, "one")
    await visitor_send(client, workspace.inbox, "two", token=first["visitor_token"])
    agent = await agent_client(app, workspace.agent.email)
    conv = (await agent.get("/api/v1/conversations")).json()["items"][0]
    assert conv["unread_count"] == 2
    r = await agent.post(f"/api/v1/conversations/{conv['id']}/read", json={"seq": 2})
    assert r.status_code == 204
    conv = (await agent.get("/api/v1/conversations")).json()["items"][0]
    assert conv["unread_count"] == 0
    assert conv["agent_last_read_seq"] == 2
    other = await agent_client(app, workspace.agent2.email)
    assert (await other.get("/api/v1/conversations")).json()["items"][0]["unread_count"] == 2
    await agent.aclose()
    await other.aclose()


async def test_outsider_cannot_see_or_touch_conversation(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await visitor_send(client, workspace.inbox, "secret")
    agent = await agent_client(app, workspace.agent.email)
    conv_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]
    outsider = await agent_client(app, workspace.outsider.email)
    assert (await outsider.get("/api/v1/conversations")).json()["items"] == []
    base = f"/api/v1/conversations/{conv_id}"
    assert (await outsider.get(base)).status_code == 404
    assert (await outsider.get(f"{base}/messages")).status_code == 404
    r = await outsider.post(f"{base}/messages", json={"text": "x"})
    assert r.status_code == 404
    assert (await outsider.post(f"{base}/status", json={"status": "resolved"})).status_code == 404
    assert (await outsider.post(f"{base}/assign", json={"assignee_id": None})).status_code == 404
    admin = await agent_client(app, workspace.admin.email)
    assert (await admin.get(base)).status_code == 200
    for c in (agent, outsider, admin):
        await c.aclose()


async def test_writes_need_csrf_with_cookie_session(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await login(client, workspace.agent.email)
    del client.headers["x-csrf-token"]
    r = await client.post("/api/v1/me/tokens", json={"name": "ci"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"


async def test_bad_input_gets_json_error(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    r = await agent.post("/api/v1/conversations/1/messages", json={"text": ""})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_input"
    r = await agent.get("/api/v1/conversations?status=bogus")
    assert r.status_code == 422
    r = await agent.get("/api/v1/conversations?cursor=nonsense")
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_cursor"
    r = await agent.post(
        "/api/v1/conversations/1/messages",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    big = await agent.post("/api/v1/me/tokens", content=b"x" * 2_000_000)
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "payload_too_large"
    await agent.aclose()


async def test_unread_counts_are_per_conversation(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    alice = await visitor_send(client, workspace.inbox, "a1")
    for text in ("a2", "a3"):
        await visitor_send(client, workspace.inbox, text, token=alice["visitor_token"])
    bob = await visitor_send(client, workspace.inbox, "b1")
    await visitor_send(client, workspace.inbox, "b2", token=bob["visitor_token"])
    agent = await agent_client(app, workspace.agent.email)
    items = (await agent.get("/api/v1/conversations")).json()["items"]
    by_preview = {c["last_message_preview"]: c for c in items}
    await agent.post(f"/api/v1/conversations/{by_preview['a3']['id']}/read", json={"seq": 3})
    await agent.post(f"/api/v1/conversations/{by_preview['b2']['id']}/read", json={"seq": 1})
    items = (await agent.get("/api/v1/conversations")).json()["items"]
    unread = {c["last_message_preview"]: c["unread_count"] for c in items}
    assert unread == {"a3": 0, "b2": 1}
    await agent.aclose()
