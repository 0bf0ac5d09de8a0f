"""Snooze: until a time or until the customer writes; it wakes by itself (worker job, once,
even with several nodes) and whenever the customer writes (both message paths); snoozed
conversations leave the queue and do not count toward an agent's capacity."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event as sa_event
from sqlalchemy import update

from kefu.auth.principals import VisitorPrincipal
from kefu.conversations.models import Conversation
from kefu.conversations.snooze import do_wake_due_snoozes, run_snooze_wakeups
from kefu.events import types
from kefu.events.schemas import validate_payload
from kefu.messages.actions import IncomingItem, NeedsSlowPath, do_append_incoming_batch
from kefu.routing.queries import agent_load
from kefu.runtime import Runtime
from tests.conftest import EventCapture, Workspace, agent_client, visitor_send

PERMISSION_TESTED = {"POST /api/v1/conversations/{conversation_id}/snooze"}


async def start(
    client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime, text: str = "hi"
) -> tuple[int, dict[str, Any]]:
    """A customer's conversation in the main inbox (routed, waiting in the queue)."""
    sent = await visitor_send(client, workspace.inbox, text)
    await runtime.dispatcher.settle()
    async with runtime.db.read() as session:
        conversation_id = await session.scalar(
            Conversation.__table__.select()
            .with_only_columns(Conversation.id)
            .where(Conversation.public_id == sent["conversation"]["id"])
        )
    assert conversation_id is not None
    return int(conversation_id), sent


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def activities(agent: httpx.AsyncClient, conversation_id: int) -> list[dict[str, Any]]:
    page = (await agent.get(f"/api/v1/conversations/{conversation_id}/messages?limit=200")).json()
    return [m["activity"] for m in page["items"] if m["kind"] == "activity"]


async def make_due(runtime: Runtime, conversation_id: int) -> None:
    """As if the snooze time had come (a test cannot wait for it)."""
    async with runtime.db.write() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(snoozed_until=datetime.now(UTC) - timedelta(seconds=1))
        )


async def test_snooze_until_a_time_wakes_once_by_the_worker(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    runtime: Runtime,
    capture_events: EventCapture,
) -> None:
    conv_id, _ = await start(client, workspace, runtime)
    agent = await agent_client(app, workspace.agent.email)
    base = f"/api/v1/conversations/{conv_id}"
    assert (await agent.get(base)).json()["queued_at"] is not None
    until = later(hours=2)
    snoozed = await agent.post(f"{base}/snooze", json={"until": until})
    assert snoozed.status_code == 200, snoozed.text
    body = snoozed.json()
    assert body["status"] == "snoozed"
    assert datetime.fromisoformat(body["snoozed_until"]) == datetime.fromisoformat(until)
    assert body["queued_at"] is None  # out of the queue while snoozed
    # It leaves the open list and appears under the snoozed filter.
    open_ids = [c["id"] for c in (await agent.get("/api/v1/conversations")).json()["items"]]
    assert conv_id not in open_ids
    snoozed_list = (await agent.get("/api/v1/conversations?status=snoozed")).json()["items"]
    assert [c["id"] for c in snoozed_list] == [conv_id]

    await run_snooze_wakeups(runtime.db)  # not due yet: nothing happens
    assert (await agent.get(base)).json()["status"] == "snoozed"
    await make_due(runtime, conv_id)
    # Two nodes' workers at once: the conditional UPDATE lets exactly one wake it.
    woke = await asyncio.gather(run_snooze_wakeups(runtime.db), run_snooze_wakeups(runtime.db))
    assert sorted(woke) == [0, 1]
    async with runtime.db.write() as session:
        assert await do_wake_due_snoozes(session) == 0
    await runtime.dispatcher.settle()
    fresh = (await agent.get(base)).json()
    assert fresh["status"] == "open" and fresh["snoozed_until"] is None
    assert fresh["queued_at"] is not None  # unassigned: back in the queue
    lines = await activities(agent, conv_id)
    assert [a["type"] for a in lines[-2:]] == ["snoozed", "unsnoozed"]
    assert lines[-2]["by"] == workspace.agent.name
    assert lines[-1]["reason"] == "timer"
    # The visitor never sees "snoozed"; every event matches its schema.
    for event in capture_events.events:
        validate_payload(event.type, event.agent, audience="agent")
        if event.contact is not None:
            validate_payload(event.type, event.contact, audience="contact")
            assert event.contact.get("conversation", {}).get("status") != "snoozed"
    updates = capture_events.of_type(types.CONVERSATION_UPDATED)
    assert [e.agent["conversation"]["status"] for e in updates][-1] == "open"
    await agent.aclose()


async def test_customer_message_wakes_a_snoozed_conversation_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    conv_id, sent = await start(client, workspace, runtime)
    agent = await agent_client(app, workspace.agent.email)
    base = f"/api/v1/conversations/{conv_id}"
    await agent.post(f"{base}/assign", json={"assignee_id": workspace.agent.id})
    # Until the customer replies (no time); the assignee stays.
    body = (await agent.post(f"{base}/snooze", json={})).json()
    assert body["status"] == "snoozed" and body["snoozed_until"] is None
    assert body["assignee"]["id"] == workspace.agent.id
    async with runtime.db.read() as session:
        assert await agent_load(session=session, user_id=workspace.agent.id) == 0
    await run_snooze_wakeups(runtime.db)  # no time: the worker never wakes it
    assert (await agent.get(base)).json()["status"] == "snoozed"

    # The socket's batched path cannot take a snoozed conversation: it falls back to the full
    # rules, which wake it.
    visitor = VisitorPrincipal(
        contact_id=(await agent.get(base)).json()["contact"]["id"], inbox_id=workspace.inbox.id
    )
    try:
        async with runtime.db.write() as session:
            await do_append_incoming_batch(
                session, [IncomingItem(visitor, conv_id, "batched?", "b-1")]
            )
        raise AssertionError("a snoozed conversation must not take the fast path")
    except NeedsSlowPath:
        pass
    message, conversation, created = await runtime.visitor_sends.send(
        visitor=visitor,
        inbox=workspace.inbox,
        conversation_id=conv_id,
        text="I am back",
        client_msg_id="b-2",
    )
    assert created and conversation.status == "open"
    # Now open again, the next socket message takes the batch's fast path, in the same three
    # statements as before snooze existed (no query was added for it), plus the one statement
    # that notifies the assignee (a participant: kefu.notifications).
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(statement.split()[0].upper())

    engine = runtime.db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        async with runtime.db.write() as session:
            await do_append_incoming_batch(session, [IncomingItem(visitor, conv_id, "ok", "b-3")])
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    assert statements == ["SELECT", "UPDATE", "INSERT", "INSERT"], statements
    fresh = (await agent.get(base)).json()
    assert fresh["status"] == "open" and fresh["assignee"]["id"] == workspace.agent.id
    lines = await activities(agent, conv_id)
    assert lines[-1] == {"type": "unsnoozed", "reason": "customer_replied"}

    # Snoozed again, woken by the HTTP path this time; the agent is offline and now the inbox
    # hands offline agents' conversations back to the queue, so it goes there.
    admin = await agent_client(app, workspace.admin.email)
    routing_url = f"/api/v1/inboxes/{workspace.inbox.id}/routing"
    routing = (await admin.get(routing_url)).json()
    routing["on_agent_offline"] = "requeue"
    assert (await admin.put(routing_url, json=routing)).status_code == 200
    await admin.aclose()
    await agent.post(f"{base}/snooze", json={"until": later(days=1)})
    await visitor_send(client, workspace.inbox, "hello?", token=sent["visitor_token"])
    await runtime.dispatcher.settle()
    fresh = (await agent.get(base)).json()
    assert fresh["status"] == "open" and fresh["snoozed_until"] is None
    assert fresh["assignee"] is None and fresh["queued_at"] is not None
    assert [a["type"] for a in (await activities(agent, conv_id))[-2:]] == [
        "unsnoozed",
        "requeued",
    ]
    await agent.aclose()


async def test_unsnooze_by_hand_and_capacity(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    conv_id, _ = await start(client, workspace, runtime)
    agent = await agent_client(app, workspace.agent.email)
    base = f"/api/v1/conversations/{conv_id}"
    await agent.put(f"/api/v1/agents/{workspace.agent.id}/presence", json={"presence": "online"})
    await agent.post(f"{base}/assign", json={"assignee_id": workspace.agent.id})
    async with runtime.db.read() as session:
        assert await agent_load(session=session, user_id=workspace.agent.id) == 1
    await agent.post(f"{base}/snooze", json={"until": later(minutes=30)})
    async with runtime.db.read() as session:
        assert await agent_load(session=session, user_id=workspace.agent.id) == 0
    # Going offline does not requeue a snoozed conversation (it is set aside, not waiting).
    await agent.put(f"/api/v1/agents/{workspace.agent.id}/presence", json={"presence": "offline"})
    assert (await agent.get(base)).json()["assignee"]["id"] == workspace.agent.id
    # "snoozed" is not a status one sets directly.
    direct = await agent.post(f"{base}/status", json={"status": "snoozed"})
    assert direct.status_code == 422
    reopened = (await agent.post(f"{base}/status", json={"status": "open"})).json()
    assert reopened["status"] == "open" and reopened["snoozed_until"] is None
    lines = await activities(agent, conv_id)
    assert lines[-1]["type"] == "status_changed" and lines[-1]["from"] == "snoozed"
    await agent.aclose()


async def test_bad_snooze_times_are_refused_and_nothing_changes(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    conv_id, sent = await start(client, workspace, runtime)
    agent = await agent_client(app, workspace.agent.email)
    base = f"/api/v1/conversations/{conv_id}"
    naive = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    cases = [
        ({"until": naive}, 422, "naive_datetime"),
        ({"until": later(hours=-1)}, 422, "snooze_in_past"),
        ({"until": later(days=400)}, 422, "snooze_too_far"),
        ({"until": "tomorrow"}, 422, "invalid_input"),
        ({"until": ["2030-01-01T00:00:00Z"]}, 422, "invalid_input"),
        ({"until": later(hours=1), "extra": 1}, 422, "invalid_input"),
    ]
    for body, status, code in cases:
        response = await agent.post(f"{base}/snooze", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code, body
    assert (await agent.get(base)).json()["status"] == "open"
    await agent.post(f"{base}/status", json={"status": "resolved"})
    resolved = await agent.post(f"{base}/snooze", json={"until": later(hours=1)})
    assert resolved.status_code == 409
    assert resolved.json()["error"]["code"] == "conversation_resolved"
    assert [a["type"] for a in await activities(agent, conv_id)] == ["status_changed"]

    # Permissions: an agent outside the inbox gets 404; a visitor token or nobody, 401.
    outsider = await agent_client(app, workspace.outsider.email)
    hidden = await outsider.post(f"{base}/snooze", json={"until": later(hours=1)})
    assert hidden.status_code == 404
    anonymous = await client.post(
        f"{base}/snooze",
        json={"until": later(hours=1)},
        headers={"x-kefu-visitor": sent["visitor_token"]},
    )
    assert anonymous.status_code == 401
    await outsider.aclose()
    await agent.aclose()
