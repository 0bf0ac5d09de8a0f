"""The routing step end to end through the API: rules, automatic replies, the queue, capacity,
topics, manual control, presence and SLA breaches."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from kefu.conversations.models import Conversation
from kefu.routing.models import AgentConnection, SlaBreach
from kefu.runtime import Runtime
from tests.conftest import EventCapture, Workspace, agent_client, visitor_send


async def configure(admin: httpx.AsyncClient, inbox_id: int, **changes: Any) -> dict[str, Any]:
    url = f"/api/v1/inboxes/{inbox_id}/routing"
    settings: dict[str, Any] = (await admin.get(url)).json()
    settings.update(changes)
    response = await admin.put(url, json=settings)
    assert response.status_code == 200, response.text
    return settings


async def presence(client: httpx.AsyncClient, user_id: int, value: str) -> None:
    response = await client.put(f"/api/v1/agents/{user_id}/presence", json={"presence": value})
    assert response.status_code == 200, response.text


async def write(
    client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace, text: str
) -> dict[str, Any]:
    """A new visitor's first message, then wait until routing has run."""
    body = await visitor_send(client, workspace.inbox, text)
    await runtime.dispatcher.settle()
    return body


async def latest(admin: httpx.AsyncClient) -> dict[str, Any]:
    item = (await admin.get("/api/v1/conversations?status=all&limit=1")).json()["items"][0]
    messages = (await admin.get(f"/api/v1/conversations/{item['id']}/messages")).json()
    item["messages"] = messages["items"]
    return item


def auto_replies(conv: dict[str, Any]) -> list[str]:
    return [
        m["text"]
        for m in conv["messages"]
        if m["kind"] == "outgoing" and m["sender"]["type"] == "system"
    ]


async def test_refund_goes_to_finance_with_the_refund_tag(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    finance = await admin.post(
        "/api/v1/teams", json={"name": "Finance", "member_ids": [workspace.agent2.id]}
    )
    finance_id = finance.json()["id"]
    rule = await admin.post(
        "/api/v1/routing/rules",
        json={
            "name": "Refunds",
            "conditions": {"items": [{"field": "keywords", "keywords": ["退款", "refund"]}]},
            "actions": {"team_id": finance_id, "tags": ["refund"], "priority": "high"},
        },
    )
    assert rule.status_code == 201, rule.text
    await presence(admin, workspace.agent2.id, "online")

    for text in ("你好，我想申請退款", "Can I get a refund?"):
        await write(client, runtime, workspace, text)
        conv = await latest(admin)
        assert conv["team_id"] == finance_id
        assert conv["tags"] == ["refund"] and conv["priority"] == "high"
        routed = [m["activity"] for m in conv["messages"] if m["kind"] == "activity"]
        assert routed[0]["type"] == "routed" and routed[0]["team"] == "Finance"
        assert conv["assignee"]["id"] == workspace.agent2.id  # Finance's online agent

    await write(client, runtime, workspace, "請問營業時間？")
    other = await latest(admin)
    assert other["team_id"] == workspace.inbox.team_id and other["tags"] == []
    await admin.aclose()


async def test_queue_capacity_and_resolve_moves_the_queue(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    await configure(
        admin,
        workspace.inbox.id,
        max_conversations_per_agent=1,
        greeting_enabled=True,
        queued_reply_enabled=True,
    )
    mei = await agent_client(app, workspace.agent.email)
    await presence(mei, workspace.agent.id, "online")

    first = await write(client, runtime, workspace, "first")
    c1 = await latest(admin)
    assert c1["assignee"]["id"] == workspace.agent.id and c1["queued_at"] is None
    assert auto_replies(c1) == ["您好，感謝您的來訊！"]  # greeting only: assigned at once
    second = await write(client, runtime, workspace, "second")
    third = await write(client, runtime, workspace, "third")
    c3 = await latest(admin)
    assert c3["assignee"] is None and c3["queue_number"] == 3
    assert "您的號碼是 3" in auto_replies(c3)[1]
    assert c3["last_message_preview"] == "third"  # the customer's words, not the auto reply

    queue = (await mei.get("/api/v1/queue")).json()
    assert [(q["queue_number"], q["position"]) for q in queue] == [(2, 1), (3, 2)]
    assert queue[1]["contact_id"] == c3["contact"]["id"]
    session = await client.get(
        f"/api/v1/widget/{workspace.inbox.public_key}/session",
        headers={"x-kefu-visitor": third["visitor_token"], "origin": "https://shop.example.com"},
    )
    place = session.json()["conversation"]["queue"]
    assert place["ahead"] == 1 and place["position"] == 2 and place["wait_minutes"] >= 1

    # An urgent newcomer goes ahead of both.
    c2_id = queue[0]["conversation_id"]
    await mei.post(f"/api/v1/conversations/{c3['id']}/priority", json={"priority": "urgent"})
    await runtime.dispatcher.settle()
    queue = (await mei.get("/api/v1/queue")).json()
    assert [q["conversation_id"] for q in queue] == [c3["id"], c2_id]

    # Resolving frees mei's only slot: the head of the queue is assigned at once.
    await mei.post(f"/api/v1/conversations/{c1['id']}/status", json={"status": "resolved"})
    await runtime.dispatcher.settle()
    assert (await admin.get(f"/api/v1/conversations/{c3['id']}")).json()["assignee"]["id"] == (
        workspace.agent.id
    )
    assert [q["conversation_id"] for q in (await mei.get("/api/v1/queue")).json()] == [c2_id]
    del first, second
    await admin.aclose()
    await mei.aclose()


async def test_queue_positions_are_announced_live_to_waiting_customers(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    await configure(admin, workspace.inbox.id, max_conversations_per_agent=1)
    told: list[dict[str, Any]] = []
    original = runtime.dispatcher.publish

    async def spy(events: list[Any]) -> None:
        told.extend(e.contact for e in events if e.type == "queue.updated" and e.contact)
        await original(events)

    runtime.dispatcher.publish = spy
    await presence(admin, workspace.agent.id, "online")
    one = await write(client, runtime, workspace, "one")
    two = await write(client, runtime, workspace, "two")
    three = await write(client, runtime, workspace, "three")
    last_place = {t["conversation_id"]: t["queue"] for t in told}
    assert last_place[three["conversation"]["id"]]["ahead"] == 1
    assert last_place[two["conversation"]["id"]]["ahead"] == 0
    first = (await latest(admin))["id"] - 2
    await admin.post(f"/api/v1/conversations/{first}/status", json={"status": "resolved"})
    await runtime.dispatcher.settle()
    last_place = {t["conversation_id"]: t["queue"] for t in told}
    assert last_place[two["conversation"]["id"]] is None  # assigned: out of the queue
    assert last_place[three["conversation"]["id"]]["ahead"] == 0
    assert one["conversation"]["id"] not in last_place  # never waited
    await admin.aclose()


async def test_outside_hours_reply_says_when_the_team_is_back(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    closed = {"enabled": True, "timezone": "Asia/Taipei", "weekly": {}, "holidays": []}
    # Open one hour a week, on a day that is not today: certainly closed now.
    today = datetime.now(ZoneInfo("Asia/Taipei")).weekday()
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(today + 2) % 7]
    closed["weekly"] = {day: [["09:00", "10:00"]]}
    await configure(
        admin, workspace.inbox.id, business_hours=closed, outside_hours_reply_enabled=True
    )
    await write(client, runtime, workspace, "hello?")
    replies = auto_replies(await latest(admin))
    assert len(replies) == 1 and "目前為非服務時間" in replies[0] and "09:00" in replies[0]
    await admin.aclose()


async def test_topic_question_as_quick_replies_routes_by_the_answer(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    sales = (await admin.post("/api/v1/teams", json={"name": "Sales", "member_ids": []})).json()
    topics = [
        {"key": "sales", "label": {"zh-TW": "售前諮詢", "en": "Sales"}, "team_id": sales["id"]},
        {"key": "support", "label": {"zh-TW": "售後服務", "en": "Support"}},
    ]
    await configure(admin, workspace.inbox.id, topics=topics)
    first = await write(client, runtime, workspace, "hi")
    conv = await latest(admin)
    assert conv["routing_state"] == "awaiting_topic" and conv["queued_at"] is None
    question = conv["messages"][-1]
    assert [q["value"] for q in question["quick_replies"]] == ["sales", "support"]
    await visitor_send(client, workspace.inbox, "售前諮詢", token=first["visitor_token"])
    await runtime.dispatcher.settle()
    conv = await latest(admin)
    assert conv["routing_state"] == "routed" and conv["topic"] == "sales"
    assert conv["team_id"] == sales["id"] and conv["queued_at"] is not None

    # The pre-chat form picks the topic up front: no question asked.
    await configure(admin, workspace.inbox.id, topics=topics, prechat={"enabled": True})
    form = await client.post(
        f"/api/v1/widget/{workspace.inbox.public_key}/messages",
        json={"text": "hello", "prechat": {"topic": "sales", "name": "林先生"}},
        headers={"origin": "https://shop.example.com"},
    )
    assert form.status_code == 200, form.text
    await runtime.dispatcher.settle()
    conv = await latest(admin)
    assert conv["topic"] == "sales" and conv["team_id"] == sales["id"]
    assert conv["contact"]["name"] == "林先生"
    bad = await client.post(
        f"/api/v1/widget/{workspace.inbox.public_key}/messages",
        json={"text": "x", "prechat": {"topic": "nope"}},
        headers={"origin": "https://shop.example.com"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_topic"
    await admin.aclose()


async def test_take_transfer_and_their_permissions(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    await configure(admin, workspace.inbox.id, auto_assign=False, max_conversations_per_agent=1)
    mei = await agent_client(app, workspace.agent.email)
    alex = await agent_client(app, workspace.agent2.email)
    await write(client, runtime, workspace, "a")
    await write(client, runtime, workspace, "b")
    queue = (await mei.get("/api/v1/queue")).json()
    assert len(queue) == 2  # auto-assign is off: they wait for someone to take them
    a_id, b_id = (q["conversation_id"] for q in queue)
    taken = await mei.post(f"/api/v1/conversations/{a_id}/take")
    assert taken.status_code == 200 and taken.json()["assignee"]["id"] == workspace.agent.id
    again = await alex.post(f"/api/v1/conversations/{a_id}/take")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_assigned"
    full = await mei.post(f"/api/v1/conversations/{b_id}/take")
    assert full.status_code == 409 and full.json()["error"]["code"] == "at_capacity"
    grab = await alex.post(
        f"/api/v1/conversations/{a_id}/transfer", json={"assignee_id": workspace.agent2.id}
    )
    assert grab.status_code == 403
    # A supervisor's transfer past capacity needs force, and leaves the note in the activity.
    await alex.post(f"/api/v1/conversations/{b_id}/take")
    over = await admin.post(
        f"/api/v1/conversations/{a_id}/transfer", json={"assignee_id": workspace.agent2.id}
    )
    assert over.status_code == 409
    forced = await admin.post(
        f"/api/v1/conversations/{a_id}/transfer",
        json={"assignee_id": workspace.agent2.id, "note": "VIP, 請優先", "force": True},
    )
    assert forced.status_code == 200 and forced.json()["assignee"]["id"] == workspace.agent2.id
    agent_force = await mei.post(
        f"/api/v1/conversations/{b_id}/transfer",
        json={"assignee_id": workspace.agent.id, "force": True},
    )
    assert agent_force.status_code == 403
    to_team = await admin.post(
        f"/api/v1/conversations/{b_id}/transfer",
        json={"team_id": workspace.inbox.team_id, "note": "技術問題"},
    )
    body = to_team.json()
    assert body["assignee"] is None and body["queued_at"] is not None
    messages = (await admin.get(f"/api/v1/conversations/{a_id}/messages")).json()["items"]
    assert messages[-1]["activity"]["note"] == "VIP, 請優先"
    # Agents may not take when the inbox says so.
    await configure(admin, workspace.inbox.id, auto_assign=False, agents_can_take=False)
    refused = await mei.post(f"/api/v1/conversations/{b_id}/take")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "take_not_allowed"
    for c in (admin, mei, alex):
        await c.aclose()


async def test_going_offline_requeues_when_the_inbox_says_so_and_presence_expires(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    await configure(admin, workspace.inbox.id, on_agent_offline="requeue")
    mei = await agent_client(app, workspace.agent.email)
    await presence(mei, workspace.agent.id, "online")
    await write(client, runtime, workspace, "help")
    conv = await latest(admin)
    assert conv["assignee"]["id"] == workspace.agent.id
    denied = await mei.put(
        f"/api/v1/agents/{workspace.agent2.id}/presence", json={"presence": "online"}
    )
    assert denied.status_code == 403
    await presence(mei, workspace.agent.id, "offline")
    await runtime.dispatcher.settle()
    conv = await latest(admin)
    assert conv["assignee"] is None and conv["queued_at"] is not None
    assert conv["messages"][-1]["activity"]["type"] == "requeued"

    # Presence expiry: a console row last seen long ago, none open -> offline.
    await presence(mei, workspace.agent.id, "online")
    async with runtime.db.write() as session:
        session.add(
            AgentConnection(
                user_id=workspace.agent.id,
                node="gone",
                connections=0,
                seen_at=conv_time(conv) - timedelta(hours=1),
            )
        )
    await runtime.worker.run_once()
    status = {s["user_id"]: s for s in (await admin.get("/api/v1/agents/status")).json()}
    assert status[workspace.agent.id]["presence"] == "offline"
    await admin.aclose()
    await mei.aclose()


def conv_time(conv: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(conv["created_at"])


async def test_sla_due_times_and_breaches_are_recorded_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    capture_events: EventCapture,
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    sla = {
        "enabled": True,
        "business_hours": False,
        "targets": {"normal": {"first_response_minutes": 5, "resolution_minutes": 60}},
    }
    await configure(admin, workspace.inbox.id, sla=sla)
    await write(client, runtime, workspace, "where is my order?")
    conv = await latest(admin)
    created = conv_time(conv)
    assert conv["first_response_due_at"] is not None
    due = conv_time({"created_at": conv["first_response_due_at"]})
    assert timedelta(minutes=4, seconds=59) <= due - created <= timedelta(minutes=5, seconds=1)
    # Time passes: move the due time into the past rather than sleeping.
    async with runtime.db.write() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conv["id"])
            .values(first_response_due_at=created - timedelta(minutes=1))
        )
    await runtime.worker.run_once()
    await runtime.worker.run_once()
    async with runtime.db.read() as session:
        breaches = list(await session.scalars(select(SlaBreach)))
    assert [(b.conversation_id, b.kind) for b in breaches] == [(conv["id"], "first_response")]
    [event] = capture_events.of_type("sla.breached")
    assert event.agent["kind"] == "first_response" and event.inbox_id == workspace.inbox.id
    listed = (await admin.get("/api/v1/sla/breaches")).json()
    assert [b["conversation_id"] for b in listed] == [conv["id"]]
    outsider = await agent_client(app, workspace.outsider.email)
    assert (await outsider.get("/api/v1/sla/breaches")).json() == []
    await admin.aclose()
    await outsider.aclose()
