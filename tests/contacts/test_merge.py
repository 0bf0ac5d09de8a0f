"""Merging contacts: all history kept, identities combined, the primary's values win, the
"one unresolved conversation per contact and inbox" clash resolved, the merged-away visitor's
token (HTTP and WebSocket) resolving to the survivor; who may merge."""

from __future__ import annotations

import json

import httpx
import orjson
import websockets
from fastapi import FastAPI
from sqlalchemy import select

from kefu.contacts.models import Contact
from kefu.events import types
from kefu.events.schemas import validate_payload
from kefu.messages.models import Message
from kefu.runtime import Runtime
from tests.conftest import EventCapture, Workspace, agent_client
from tests.contacts.helpers import (
    add_member,
    chat,
    contact_of,
    conversation_with,
    define,
    make_user,
    widget_session,
)

PERMISSION_TESTED = {"POST /api/v1/contacts/{contact_id}/merge"}


async def recv_until(ws: websockets.ClientConnection, kind: str) -> dict[str, object]:
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == kind:
            return dict(frame)


async def test_merge_keeps_history_and_the_old_token_works(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    capture_events: EventCapture,
    live_server: str,
) -> None:
    inbox = workspace.inbox
    token_a = await chat(client, inbox, "from A")
    token_b = await chat(client, inbox, "from B")
    token_b = await chat(client, inbox, "B again", token=token_b)  # B's is the newer activity
    admin = await agent_client(app, workspace.admin.email)
    a = await contact_of(admin, "from A")
    b = await contact_of(admin, "B again")
    conv_a = (await conversation_with(admin, "from A"))["id"]
    conv_b = (await conversation_with(admin, "B again"))["id"]
    await define(admin, "contact", "plan", "list", ["free", "pro"])
    await define(admin, "contact", "city", "text")
    await admin.patch(
        f"/api/v1/contacts/{a}",
        json={"name": "Alice", "attributes": {"plan": "pro"}},
    )
    await admin.patch(
        f"/api/v1/contacts/{b}",
        json={
            "name": "Bob",
            "email": "b@example.com",
            "company": "B Corp",
            "attributes": {"plan": "free", "city": "台北"},
        },
    )
    await admin.post(f"/api/v1/contacts/{a}/notes", json={"text": "note on A"})
    await admin.post(f"/api/v1/contacts/{b}/notes", json={"text": "note on B"})

    # B's widget is connected when the merge happens.
    ws_url = f"ws://{live_server}/ws/widget?inbox={inbox.public_key}&token={token_b}"
    async with websockets.connect(ws_url) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        r = await admin.post(f"/api/v1/contacts/{a}/merge", json={"other_id": b})
        assert r.status_code == 200, r.text
        # Closed with "reconnect": its token now stands for the survivor.
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1012
    survivor = r.json()
    assert survivor["id"] == a
    # The primary's values win; the secondary's fill the gaps.
    assert survivor["name"] == "Alice" and survivor["email"] == "b@example.com"
    assert survivor["company"] == "B Corp"
    assert survivor["attributes"] == {"plan": "pro", "city": "台北"}
    assert [i["channel_type"] for i in survivor["identities"]] == ["web", "web"]

    timeline = (await admin.get(f"/api/v1/contacts/{a}/conversations")).json()["items"]
    assert [c["id"] for c in timeline] == [conv_b, conv_a]
    # Clash: both were open in one inbox; the older (A's) is resolved, pointing to B's.
    by_id = {c["id"]: c for c in timeline}
    assert by_id[conv_a]["status"] == "resolved" and by_id[conv_b]["status"] == "open"
    lines = (await admin.get(f"/api/v1/conversations/{conv_a}/messages")).json()["items"]
    assert lines[-1]["activity"] == {
        "type": "merge_resolved",
        "by": "Admin",
        "continued_in": conv_b,
    }
    moved = (await admin.get(f"/api/v1/conversations/{conv_b}/messages")).json()["items"]
    assert moved[-1]["activity"]["type"] == "contact_merged"
    assert [m["sender"]["id"] for m in moved if m["kind"] == "incoming"] == [a, a]
    async with runtime.db.read() as session:
        senders = set(await session.scalars(select(Message.sender_contact_id)))
        tombstone = await session.get(Contact, b)
    assert b not in senders
    assert tombstone is not None and tombstone.merged_into_id == a
    notes = (await admin.get(f"/api/v1/contacts/{a}/notes")).json()
    assert sorted(n["text"] for n in notes) == ["note on A", "note on B"]
    trail = (await admin.get(f"/api/v1/contacts/{a}/activity")).json()
    assert trail[0]["action"] == "merged" and trail[0]["details"]["merged_id"] == b
    assert any(t["details"].get("changes", {}).get("company") for t in trail)  # B's trail moved
    assert b not in [c["id"] for c in (await admin.get("/api/v1/contacts")).json()["items"]]
    assert (await admin.get(f"/api/v1/contacts/{b}")).json()["id"] == a

    # Both visitors' tokens resolve to the survivor: its current conversation, all history.
    for token in (token_a, token_b):
        session = await widget_session(client, inbox, token)
        assert [m["text"] for m in session["messages"]] == ["from B", "B again"]
    fresh = await chat(client, inbox, "after merge", token=token_b)
    assert fresh == runtime.signer.sign_visitor(a, inbox.id)  # the survivor's own token back
    assert (await conversation_with(admin, "after merge"))["id"] == conv_b
    # The reconnecting widget resumes B's conversation under the survivor.
    public_b = (await widget_session(client, inbox, token_b))["conversation"]["id"]
    async with websockets.connect(ws_url) as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "resume", "conversation_id": public_b, "last_seq": 0}))
        assert (await recv_until(ws, "resumed"))["conversation_id"] == public_b
        await ws.send(json.dumps({"type": "message.send", "text": "ws", "client_msg_id": "w1"}))
        ack = await recv_until(ws, "ack")
        assert ack["conversation_id"] == public_b and ack["duplicate"] is False

    merged = capture_events.of_type(types.CONTACT_MERGED)
    agent_side = [e for e in merged if e.user_ids is not None]
    assert len(agent_side) == 1 and agent_side[0].agent == {
        "type": "contact.merged",
        "contact_id": a,
        "merged_id": b,
    }
    assert {workspace.admin.id, workspace.agent.id} <= set(agent_side[0].user_ids or ())
    widget_side = [e for e in merged if e.contact is not None]
    assert len(widget_side) == 1 and widget_side[0].contact_id == b
    for event in capture_events.events:
        wire = orjson.loads(orjson.dumps(event.to_wire()))
        if wire["agent"]:
            validate_payload(event.type, wire["agent"], audience="agent")
        if wire["contact"] is not None:
            validate_payload(event.type, wire["contact"], audience="contact")
    updated = {
        e.agent["conversation_id"]
        for e in capture_events.of_type(types.CONVERSATION_UPDATED)
        if e.agent["conversation"]["contact"]["id"] == a
    }
    assert {conv_a, conv_b} <= updated
    await admin.aclose()


async def test_merge_chains_and_who_may_merge(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    token_x = await chat(client, workspace.inbox, "x")
    await chat(client, workspace.inbox, "y")
    await chat(client, workspace.inbox, "z")
    await chat(client, workspace.other_inbox, "far")
    admin = await agent_client(app, workspace.admin.email)
    x, y, z, far = [await contact_of(admin, m) for m in ("x", "y", "z", "far")]
    supervisor = await make_user(runtime, "lead@example.com", "supervisor")
    await add_member(admin, workspace.inbox, supervisor.id)
    lead = await agent_client(app, "lead@example.com")
    agent = await agent_client(app, workspace.agent.email)

    refused = await agent.post(f"/api/v1/contacts/{x}/merge", json={"other_id": y})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "merge_not_allowed"
    # A supervisor must see both contacts; another inbox's contact is not found.
    assert (
        await lead.post(f"/api/v1/contacts/{x}/merge", json={"other_id": far})
    ).status_code == 404
    assert (
        await lead.post(f"/api/v1/contacts/{far}/merge", json={"other_id": x})
    ).status_code == 404
    same = await lead.post(f"/api/v1/contacts/{x}/merge", json={"other_id": x})
    assert same.status_code == 409 and same.json()["error"]["code"] == "merge_same_contact"
    bad = await lead.post(f"/api/v1/contacts/{x}/merge", json={"other_id": 0})
    assert bad.status_code == 422
    assert (await lead.post(f"/api/v1/contacts/{y}/merge", json={"other_id": x})).status_code == 200
    # x is now a tombstone of y; merging y into z re-points x to z (one hop), and x's token
    # follows all the way.
    assert (await lead.post(f"/api/v1/contacts/{z}/merge", json={"other_id": y})).status_code == 200
    async with runtime.db.read() as session:
        assert (await session.get(Contact, x)).merged_into_id == z  # type: ignore[union-attr]
    again = await lead.post(f"/api/v1/contacts/{z}/merge", json={"other_id": x})
    assert again.status_code == 409  # x resolves to z itself
    session_x = await widget_session(client, workspace.inbox, token_x)
    assert session_x["conversation"] is not None
    assert len((await admin.get(f"/api/v1/contacts/{z}/conversations")).json()["items"]) == 3
    for c in (lead, agent, admin):
        await c.aclose()
