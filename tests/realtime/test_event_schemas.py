"""Every event a flow produces round-trips through JSON and validates against its schema, and
state rebuilt from the events equals the state fetched afresh (Zulip's verify_action idea)."""

from __future__ import annotations

import httpx
import orjson
from fastapi import FastAPI

from kefu.events import types
from kefu.events.schemas import validate_payload
from tests.conftest import EventCapture, Workspace, agent_client, visitor_send


async def test_every_event_validates_and_replays_to_fresh_state(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, capture_events: EventCapture
) -> None:
    first = await visitor_send(client, workspace.inbox, "你好")
    token = first["visitor_token"]
    agent = await agent_client(app, workspace.agent.email)
    conv_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]
    base = f"/api/v1/conversations/{conv_id}"
    await agent.post(f"{base}/messages", json={"text": "hello"})
    await agent.post(f"{base}/messages", json={"text": "note", "kind": "note"})
    await agent.post(f"{base}/assign", json={"assignee_id": workspace.agent.id})
    await agent.post(f"{base}/read", json={"seq": 3})
    await client.post(
        f"/api/v1/widget/{workspace.inbox.public_key}/conversations/{first['conversation']['id']}/read",
        json={"seq": 2},
        headers={"x-kefu-visitor": token},
    )
    await agent.post(f"{base}/status", json={"status": "resolved"})
    await visitor_send(client, workspace.inbox, "again", token=token)  # reopens
    admin = await agent_client(app, workspace.admin.email)
    await admin.patch(
        f"/api/v1/inboxes/{workspace.inbox.id}", json={"member_ids": [workspace.agent.id]}
    )

    seen_types = set()
    for event in capture_events.events:
        seen_types.add(event.type)
        wire = orjson.loads(orjson.dumps(event.to_wire()))
        validate_payload(event.type, wire["agent"], audience="agent")
        if wire["contact"] is not None:
            validate_payload(event.type, wire["contact"], audience="contact")
    assert seen_types >= {
        types.MESSAGE_CREATED,
        types.CONVERSATION_CREATED,
        types.CONVERSATION_UPDATED,
        types.CONVERSATION_READ,
        types.INBOX_CHANGED,
    }

    # Apply the events to an empty client-side model, as a console would.
    messages: dict[int, dict[str, object]] = {}
    conversation: dict[str, object] = {}
    for event in capture_events.events:
        if event.agent.get("conversation_id") != conv_id:
            continue
        if event.type == types.MESSAGE_CREATED:
            messages[event.agent["seq"]] = event.agent["message"]
        elif event.type in (types.CONVERSATION_CREATED, types.CONVERSATION_UPDATED):
            conversation = dict(event.agent["conversation"])
        elif event.type == types.CONVERSATION_READ and event.agent["reader"] == "contact":
            conversation["contact_last_read_seq"] = event.agent["seq"]
        elif event.type == types.CONVERSATION_READ:
            conversation["agent_last_read_seq"] = event.agent["seq"]

    fresh_messages = (await agent.get(f"{base}/messages?limit=200")).json()["items"]
    assert [messages[m["seq"]] for m in fresh_messages] == fresh_messages
    assert sorted(messages) == [m["seq"] for m in fresh_messages]
    fresh = (await agent.get(base)).json()
    for key in ("status", "assignee", "last_seq", "resolved_at", "first_reply_at"):
        assert conversation[key] == fresh[key], key
    await agent.aclose()
    await admin.aclose()
