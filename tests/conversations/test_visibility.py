"""Inbox visibility and ownership: with `agent_visibility = own` an agent sees only what is
assigned to them, to their teams, or to nobody, in every place a conversation surfaces (list,
lookup, messages, live events); with `reply_permission = assignee` only the assignee (and
supervisors and admins) write to the customer, everyone else may add notes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.notifications.models import Notification
from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client, visitor_send
from tests.realtime.test_resume import _token, recv_until


async def _three_conversations(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, workspace: Workspace
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """unassigned, assigned to 王小美 (team Support), assigned to Alex (no team)."""
    sent = [await visitor_send(client, workspace.inbox, f"customer {i}") for i in range(3)]
    listed = (await admin.get("/api/v1/conversations?status=all")).json()["items"]
    by_preview = {c["last_message_preview"]: c for c in listed}
    ids = [by_preview[f"customer {i}"]["id"] for i in range(3)]
    for conversation_id, user in ((ids[1], workspace.agent), (ids[2], workspace.agent2)):
        assigned = await admin.post(
            f"/api/v1/conversations/{conversation_id}/assign",
            json={"assignee_id": user.id},
        )
        assert assigned.status_code == 200, assigned.text
    for item, conversation_id in zip(sent, ids, strict=True):
        item["id"] = conversation_id
    return sent[0], sent[1], sent[2]


async def _visible_ids(agent: httpx.AsyncClient) -> set[int]:
    items = (await agent.get("/api/v1/conversations?status=all")).json()["items"]
    return {c["id"] for c in items}


async def test_own_visibility_narrows_lists_lookups_and_messages(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    alex = await agent_client(app, workspace.agent2.email)
    mei = await agent_client(app, workspace.agent.email)
    unassigned, meis, alexs = await _three_conversations(client, admin, workspace)
    everything = {unassigned["id"], meis["id"], alexs["id"]}
    assert await _visible_ids(alex) == everything  # default: the whole inbox

    changed = await admin.patch(
        f"/api/v1/inboxes/{workspace.inbox.id}", json={"agent_visibility": "own"}
    )
    assert changed.status_code == 200 and changed.json()["agent_visibility"] == "own"
    refused = await alex.patch(
        f"/api/v1/inboxes/{workspace.inbox.id}", json={"agent_visibility": "all"}
    )
    assert refused.status_code == 403

    # Alex: his own and the unassigned one; 王小美's (team Support, which Alex is not in) is gone.
    assert await _visible_ids(alex) == {unassigned["id"], alexs["id"]}
    hidden = meis["id"]
    for path in ("", "/messages"):
        response = await alex.get(f"/api/v1/conversations/{hidden}{path}")
        assert response.status_code == 404, path
    note = await alex.post(
        f"/api/v1/conversations/{hidden}/messages", json={"text": "x", "kind": "note"}
    )
    assert note.status_code == 404
    # 王小美 is in team Support, the inbox's team: every conversation here is her team's.
    assert await _visible_ids(mei) == everything
    assert await _visible_ids(admin) == everything

    # Joining the team widens Alex's view at once.
    teams = (await admin.get("/api/v1/teams")).json()
    support = next(t for t in teams if t["name"] == "Support")
    joined = await admin.patch(
        f"/api/v1/teams/{support['id']}",
        json={"member_ids": [workspace.agent.id, workspace.agent2.id]},
    )
    assert joined.status_code == 200, joined.text
    assert await _visible_ids(alex) == everything
    for c in (admin, alex, mei):
        await c.aclose()


async def test_only_the_assignee_replies_when_the_inbox_says_so(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    alex = await agent_client(app, workspace.agent2.email)
    mei = await agent_client(app, workspace.agent.email)
    unassigned, meis, alexs = await _three_conversations(client, admin, workspace)
    await admin.patch(
        f"/api/v1/inboxes/{workspace.inbox.id}", json={"reply_permission": "assignee"}
    )

    def send(who: httpx.AsyncClient, conversation: dict[str, Any], kind: str) -> Any:
        return who.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"text": f"{kind} text", "kind": kind},
        )

    refused = await send(mei, alexs, "reply")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "reply_assignee_only"
    assert (await send(mei, unassigned, "reply")).status_code == 403
    assert (await send(mei, alexs, "note")).status_code == 201  # notes stay open to all
    assert (await send(alex, alexs, "reply")).status_code == 201
    assert (await send(admin, meis, "reply")).status_code == 201  # admins and supervisors may
    messages = (await admin.get(f"/api/v1/conversations/{alexs['id']}/messages")).json()["items"]
    texts = [(m["kind"], m["text"]) for m in messages if m["kind"] != "activity"]
    assert texts == [("incoming", "customer 2"), ("note", "note text"), ("outgoing", "reply text")]
    for c in (admin, alex, mei):
        await c.aclose()


async def test_live_events_follow_visibility_and_reassignment(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    unassigned, meis, alexs = await _three_conversations(client, admin, workspace)
    await admin.patch(f"/api/v1/inboxes/{workspace.inbox.id}", json={"agent_visibility": "own"})
    headers = {"Authorization": f"Bearer {await _token(runtime, app, workspace.agent2.email)}"}
    async with websockets.connect(
        f"ws://{live_server}/ws/console", additional_headers=headers
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        # 王小美's customer writes: Alex hears nothing of it; the unassigned one he does.
        await visitor_send(client, workspace.inbox, "secret", token=meis["visitor_token"])
        await visitor_send(client, workspace.inbox, "open", token=unassigned["visitor_token"])
        frames = await recv_until(
            ws, lambda f: f["type"] == "message.created" and f["message"]["text"] == "open"
        )
        assert all(f.get("conversation_id") != meis["id"] for f in frames), frames
        # Alex's conversation goes to 王小美: his console is told to drop it, without details.
        moved = await admin.post(
            f"/api/v1/conversations/{alexs['id']}/assign",
            json={"assignee_id": workspace.agent.id},
        )
        assert moved.status_code == 200
        frames = await recv_until(
            ws,
            lambda f: f["type"] == "conversation.removed" and f["conversation_id"] == alexs["id"],
        )
        assert frames[-1] == {"type": "conversation.removed", "conversation_id": alexs["id"]}
        # The inbox opens up again: the socket follows without reconnecting.
        await admin.patch(f"/api/v1/inboxes/{workspace.inbox.id}", json={"agent_visibility": "all"})
        await asyncio.sleep(0.2)
        await visitor_send(client, workspace.inbox, "now visible", token=meis["visitor_token"])
        frames = await recv_until(
            ws,
            lambda f: f["type"] == "message.created" and f["message"]["text"] == "now visible",
        )
        assert frames[-1]["conversation_id"] == meis["id"]
    await admin.aclose()


async def test_a_follower_who_lost_sight_gets_no_more_notifications(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    alex = await agent_client(app, workspace.agent2.email)
    mei = await agent_client(app, workspace.agent.email)
    unassigned, _, _ = await _three_conversations(client, admin, workspace)
    await admin.patch(f"/api/v1/inboxes/{workspace.inbox.id}", json={"agent_visibility": "own"})
    followed = await alex.post(
        f"/api/v1/conversations/{unassigned['id']}/participants",
        json={"user_id": workspace.agent2.id},
    )
    assert followed.status_code == 200, followed.text
    await visitor_send(client, workspace.inbox, "while visible", token=unassigned["visitor_token"])
    seen = (await alex.get("/api/v1/notifications")).json()["items"]
    assert [n["conversation_id"] for n in seen if n["type"] == "message"] == [unassigned["id"]]
    await alex.post("/api/v1/notifications/read", json={})
    # Given to 王小美 (team Support, which Alex is not in): it leaves Alex's sight, and its
    # messages no longer reach him, even as a follower.
    await admin.post(
        f"/api/v1/conversations/{unassigned['id']}/assign",
        json={"assignee_id": workspace.agent.id},
    )
    await visitor_send(client, workspace.inbox, "after", token=unassigned["visitor_token"])
    after = (await alex.get("/api/v1/notifications")).json()
    assert after["unread_count"] == 0
    async with runtime.db.read() as session:  # not merely hidden from the list: never made
        unread = await session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == workspace.agent2.id, Notification.read_at.is_(None)
            )
        )
    assert unread == 0
    mine = (await mei.get("/api/v1/notifications")).json()["items"]
    assert any(n["conversation_id"] == unassigned["id"] for n in mine)
    for c in (admin, alex, mei):
        await c.aclose()
