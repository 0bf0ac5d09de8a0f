"""Bulk actions: each conversation checked like a single change (foreign ids are `not_found`
and untouched), reported per item, each change with its activity line and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from kefu.events import types
from kefu.runtime import Runtime
from tests.conftest import EventCapture, Workspace, agent_client, visitor_send
from tests.conversations.test_snooze import activities, start

PERMISSION_TESTED = {"POST /api/v1/conversations/bulk"}
BULK = "/api/v1/conversations/bulk"


async def test_bulk_changes_report_each_item_and_leave_foreign_ones_alone(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    runtime: Runtime,
    capture_events: EventCapture,
) -> None:
    mine = [(await start(client, workspace, runtime, f"hi {i}"))[0] for i in range(3)]
    await visitor_send(client, workspace.other_inbox, "elsewhere")
    await runtime.dispatcher.settle()
    admin = await agent_client(app, workspace.admin.email)
    foreign = next(
        c["id"]
        for c in (await admin.get("/api/v1/conversations")).json()["items"]
        if c["inbox_id"] == workspace.other_inbox.id
    )
    agent = await agent_client(app, workspace.agent.email)
    ids = [*mine, foreign, 999_999, mine[0]]  # a repeat is done once

    tagged = await agent.post(
        BULK, json={"conversation_ids": ids, "action": {"type": "tags", "add": ["VIP"]}}
    )
    assert tagged.status_code == 200, tagged.text
    body = tagged.json()
    assert [(r["id"], r["ok"]) for r in body["results"]] == [
        (mine[0], True),
        (mine[1], True),
        (mine[2], True),
        (foreign, False),
        (999_999, False),
    ]
    assert {r["error"]["code"] for r in body["results"] if not r["ok"]} == {"not_found"}
    assert (body["succeeded"], body["failed"]) == (3, 2)

    capture_events.events.clear()
    assigned = await agent.post(
        BULK,
        json={
            "conversation_ids": ids,
            "action": {"type": "assign", "assignee_id": workspace.agent2.id},
        },
    )
    assert assigned.json()["succeeded"] == 3
    updates = capture_events.of_type(types.CONVERSATION_UPDATED)
    assert {e.agent["conversation_id"] for e in updates} == set(mine)
    until = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    snoozed = await agent.post(
        BULK, json={"conversation_ids": mine[:1], "action": {"type": "snooze", "until": until}}
    )
    assert snoozed.json()["succeeded"] == 1
    # One item may fail on its own rules without undoing the others.
    resolved = await agent.post(
        BULK,
        json={
            "conversation_ids": [mine[0], mine[1]],
            "action": {"type": "status", "status": "resolved"},
        },
    )
    assert resolved.json()["succeeded"] == 2
    past = await agent.post(
        BULK,
        json={
            "conversation_ids": [mine[2]],
            "action": {"type": "snooze", "until": "2001-01-01T00:00:00+00:00"},
        },
    )
    assert past.json()["results"][0]["error"]["code"] == "snooze_in_past"
    priority = await agent.post(
        BULK,
        json={"conversation_ids": [mine[2]], "action": {"type": "priority", "priority": "urgent"}},
    )
    assert priority.json()["succeeded"] == 1

    for conv_id in mine[:2]:
        fresh = (await agent.get(f"/api/v1/conversations/{conv_id}")).json()
        assert fresh["status"] == "resolved" and fresh["tags"] == ["VIP"]
        assert fresh["assignee"]["id"] == workspace.agent2.id and fresh["snoozed_until"] is None
    kinds = [a["type"] for a in await activities(agent, mine[0])]
    assert kinds == ["tags_changed", "assigned", "snoozed", "status_changed"]
    third = (await agent.get(f"/api/v1/conversations/{mine[2]}")).json()
    assert third["status"] == "open" and third["priority"] == "urgent"
    assert (await activities(agent, mine[2]))[-1] == {
        "type": "priority_changed",
        "from": "normal",
        "to": "urgent",
        "by": workspace.agent.name,
    }

    untouched = (await admin.get(f"/api/v1/conversations/{foreign}")).json()
    assert untouched["tags"] == [] and untouched["assignee"] is None
    assert untouched["status"] == "open"
    assert [a["type"] for a in await activities(admin, foreign)] == []
    await admin.aclose()
    await agent.aclose()


async def test_bulk_input_limits_and_permissions(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    conv_id, sent = await start(client, workspace, runtime)
    agent = await agent_client(app, workspace.agent.email)
    resolve = {"type": "status", "status": "resolved"}
    cases = [
        {"conversation_ids": list(range(1, 102)), "action": resolve},
        {"conversation_ids": [], "action": resolve},
        {"conversation_ids": ["one"], "action": resolve},
        {"conversation_ids": [conv_id], "action": {"type": "explode"}},
        {"conversation_ids": [conv_id], "action": {"type": "status", "status": "snoozed"}},
        {"conversation_ids": [2**40], "action": resolve},
    ]
    for body in cases:
        response = await agent.post(BULK, json=body)
        assert response.status_code == 422, (body, response.text)
    # The outsider's bulk request touches nothing in an inbox they are not in.
    outsider = await agent_client(app, workspace.outsider.email)
    refused = await outsider.post(BULK, json={"conversation_ids": [conv_id], "action": resolve})
    assert refused.status_code == 200
    assert refused.json()["results"] == [
        {"id": conv_id, "ok": False, "error": {"code": "not_found", "message": "找不到資料。"}}
    ]
    visitor = await client.post(
        BULK,
        json={"conversation_ids": [conv_id], "action": resolve},
        headers={"x-kefu-visitor": sent["visitor_token"]},
    )
    assert visitor.status_code == 401
    assert (await agent.get(f"/api/v1/conversations/{conv_id}")).json()["status"] == "open"
    await outsider.aclose()
    await agent.aclose()
