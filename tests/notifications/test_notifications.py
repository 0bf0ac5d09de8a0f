"""Notifications for customer messages (coalesced, cheap on the hot path), assignment and SLA
breaches; the centre's list, unread count and read marks; visibility."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select, update

from kefu.auth.principals import VisitorPrincipal
from kefu.auth.tokens import TokenSigner
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.events import types
from kefu.events.schemas import validate_payload
from kefu.messages.actions import IncomingItem, do_append_incoming_batch
from kefu.notifications.models import Notification
from kefu.runtime import Runtime
from tests.conftest import EventCapture, Workspace, agent_client, visitor_send
from tests.notifications.helpers import make_supervisor, start_conversation


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def touching_notifications(seen: list[str]) -> list[str]:
    return [s for s in seen if "notifications" in s]


async def test_customer_messages_coalesce_into_one_unread_notification(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    capture_events: EventCapture,
) -> None:
    mei = await agent_client(app, workspace.agent.email)
    conversation_id, token = await start_conversation(client, mei, workspace)

    # Nobody follows it and nobody is assigned: no notification, not even a statement.
    with statements(runtime) as seen:
        await visitor_send(client, workspace.inbox, "anyone there?", token=token)
    assert touching_notifications(seen) == []

    follow = await mei.post(
        f"/api/v1/conversations/{conversation_id}/participants",
        json={"user_id": workspace.agent.id},
    )
    assert follow.status_code == 200, follow.text
    capture_events.events.clear()
    for text in ("one", "two", "three"):
        await visitor_send(client, workspace.inbox, text, token=token)
    page = (await mei.get("/api/v1/notifications")).json()
    assert page["unread_count"] == 1
    [item] = page["items"]
    assert (item["type"], item["count"], item["preview"]) == ("message", 3, "three")
    assert item["actor"] is None and item["read_at"] is None
    pushed = capture_events.of_type(types.NOTIFICATION_CREATED)
    assert [e.user_ids for e in pushed] == [(workspace.agent.id,)] * 3
    assert [e.agent["unread_delta"] for e in pushed] == [1, 0, 0]  # then bumped
    for e in pushed:
        validate_payload(e.type, e.agent, audience="agent")

    # Opening the conversation reads its notifications; the next message starts a new one.
    capture_events.events.clear()
    read = await mei.post("/api/v1/notifications/read", json={"conversation_id": conversation_id})
    assert read.json() == {"unread_count": 0}
    [marked] = capture_events.of_type(types.NOTIFICATION_READ)  # every console of Mei's follows
    assert marked.user_ids == (workspace.agent.id,)
    assert marked.agent == {"type": "notification.read", "ids": [item["id"]], "unread_count": 0}
    await visitor_send(client, workspace.inbox, "four", token=token)
    page = (await mei.get("/api/v1/notifications")).json()
    assert page["unread_count"] == 1
    assert [(i["count"], i["read_at"] is None) for i in page["items"]] == [(1, True), (3, False)]
    await mei.aclose()


async def test_the_batched_path_writes_notifications_in_one_statement(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    mei = await agent_client(app, workspace.agent.email)
    alex = await agent_client(app, workspace.agent2.email)
    signer = TokenSigner(runtime.settings.effective_secret_key)
    conversations = []
    for n in range(3):
        sent = await visitor_send(client, workspace.inbox, f"visitor {n}")
        claims = signer.read_visitor(sent["visitor_token"])
        assert claims is not None
        conversations.append(VisitorPrincipal(claims.contact_id, claims.inbox_id))
    ids = {
        c["contact"]["id"]: c["id"]
        for c in (await mei.get("/api/v1/conversations")).json()["items"]
    }
    followed, assigned, nobody = (ids[v.contact_id] for v in conversations)
    await mei.post(
        f"/api/v1/conversations/{followed}/participants", json={"user_id": workspace.agent.id}
    )
    await alex.post(
        f"/api/v1/conversations/{followed}/participants", json={"user_id": workspace.agent2.id}
    )
    assert (await mei.post(f"/api/v1/conversations/{assigned}/take")).status_code == 200

    items = [
        IncomingItem(conversations[i], ids[conversations[i].contact_id], f"batch {i} {k}", None)
        for i in range(3)
        for k in range(2)
    ]
    with statements(runtime) as seen:
        async with runtime.db.write() as session:
            await do_append_incoming_batch(session, items)
    assert len(touching_notifications(seen)) == 1, touching_notifications(seen)
    async with runtime.db.read() as session:
        rows = (
            await session.execute(
                select(Notification.user_id, Notification.conversation_id, Notification.count)
                .where(Notification.type == "message")
                .order_by(Notification.user_id, Notification.conversation_id)
            )
        ).all()
    expected = {(workspace.agent.id, followed, 2), (workspace.agent2.id, followed, 2)}
    expected.add((workspace.agent.id, assigned, 2))  # the assignee took part: a participant
    assert set(rows) == expected
    assert not any(r.conversation_id == nobody for r in rows)
    await mei.aclose()
    await alex.aclose()


async def test_assignment_notifies_and_makes_a_participant(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    alex = await agent_client(app, workspace.agent2.email)
    conversation_id, _ = await start_conversation(client, admin, workspace, "need help")
    assigned = await admin.post(
        f"/api/v1/conversations/{conversation_id}/assign", json={"assignee_id": workspace.agent2.id}
    )
    assert assigned.status_code == 200, assigned.text
    [item] = (await alex.get("/api/v1/notifications")).json()["items"]
    assert item["type"] == "assigned" and item["actor"]["id"] == workspace.admin.id
    assert item["preview"] == "need help"
    mine = (await alex.get("/api/v1/conversations?assignee=participating")).json()["items"]
    assert [c["id"] for c in mine] == [conversation_id]
    # Taking a conversation yourself is no news to you (but you take part in it).
    mei = await agent_client(app, workspace.agent.email)
    other, _ = await start_conversation(client, mei, workspace, "second")
    assert (await mei.post(f"/api/v1/conversations/{other}/take")).status_code == 200
    assert (await mei.get("/api/v1/notifications")).json()["items"] == []
    taking = (await mei.get("/api/v1/conversations?assignee=participating")).json()["items"]
    assert [c["id"] for c in taking] == [other]
    for c in (admin, alex, mei):
        await c.aclose()


async def test_sla_breach_notifies_participants_and_inbox_supervisors(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    lead = await make_supervisor(app, runtime, workspace)
    admin = await agent_client(app, workspace.admin.email)
    conversation_id, _ = await start_conversation(client, admin, workspace)
    await admin.post(
        f"/api/v1/conversations/{conversation_id}/assign", json={"assignee_id": workspace.agent.id}
    )
    async with runtime.db.write() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(first_response_due_at=utcnow() - timedelta(minutes=1))
        )
    await runtime.worker.run_once(heartbeat=False)
    async with runtime.db.read() as session:
        rows = (
            await session.execute(
                select(Notification.user_id, Notification.data).where(
                    Notification.type == "sla_breach"
                )
            )
        ).all()
    assert {r.user_id for r in rows} == {workspace.agent.id, lead.id}
    assert all(r.data["kind"] == "first_response" for r in rows)
    await admin.aclose()


async def test_the_centre_pages_marks_read_and_hides_what_you_can_no_longer_see(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    alex = await agent_client(app, workspace.agent2.email)
    ids = []
    for n in range(3):
        conversation_id, _ = await start_conversation(client, admin, workspace, f"c{n}")
        await admin.post(
            f"/api/v1/conversations/{conversation_id}/assign",
            json={"assignee_id": workspace.agent2.id},
        )
        ids.append(conversation_id)
    first = (await alex.get("/api/v1/notifications?limit=2")).json()
    assert [i["conversation_id"] for i in first["items"]] == [ids[2], ids[1]]
    assert first["unread_count"] == 3 and first["next_cursor"]
    cursor = {"limit": 2, "cursor": first["next_cursor"]}
    rest = (await alex.get("/api/v1/notifications", params=cursor)).json()
    assert [i["conversation_id"] for i in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert (await alex.get("/api/v1/notifications?cursor=junk")).status_code == 422

    one = first["items"][0]["id"]
    marked = await alex.post(f"/api/v1/notifications/{one}/read")
    assert marked.status_code == 200 and marked.json()["read_at"] is not None
    unread = (await alex.get("/api/v1/notifications?unread=true")).json()
    assert unread["unread_count"] == 2 and len(unread["items"]) == 2
    # Someone else's notification does not exist for you.
    mei = await agent_client(app, workspace.agent.email)
    assert (await mei.post(f"/api/v1/notifications/{one}/read")).status_code == 404

    # Alex leaves the inbox: its conversations' notifications no longer surface.
    await admin.patch(
        f"/api/v1/inboxes/{workspace.inbox.id}", json={"member_ids": [workspace.agent.id]}
    )
    gone = (await alex.get("/api/v1/notifications")).json()
    assert gone == {"items": [], "next_cursor": None, "unread_count": 0}
    assert (await alex.post(f"/api/v1/notifications/{one}/read")).status_code == 404
    everything = await alex.post("/api/v1/notifications/read", json={})
    assert everything.json() == {"unread_count": 0}
    for c in (admin, alex, mei):
        await c.aclose()
