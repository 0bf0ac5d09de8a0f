"""Reports end to end through the API: chats happen, the worker's refresh runs, the figures
and the CSV say what happened, and each role sees its own share."""

from __future__ import annotations

import csv
import io

import httpx
from fastapi import FastAPI

from kefu.reports.recompute import differences
from kefu.reports.refresh import refresh_all_stale, stale_count
from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client, visitor_send


async def test_a_chat_answered_and_resolved_shows_in_the_reports(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    sent = await visitor_send(client, workspace.inbox, "我的訂單還沒到")
    await runtime.dispatcher.settle()
    agent = await agent_client(app, workspace.agent.email)
    conv = (await agent.get("/api/v1/conversations")).json()["items"][0]
    base = f"/api/v1/conversations/{conv['id']}"
    assert (await agent.post(f"{base}/messages", json={"text": "您好"})).status_code == 201
    await visitor_send(client, workspace.inbox, "謝謝", token=sent["visitor_token"])
    assert (await agent.post(f"{base}/messages", json={"text": "不客氣"})).status_code == 201
    assert (await agent.post(f"{base}/status", json={"status": "resolved"})).status_code == 200
    answered = await client.post(
        f"/api/v1/widget/{workspace.inbox.public_key}/conversations/"
        f"{sent['conversation']['id']}/survey",
        json={"kind": "csat", "score": 5},
        headers={"x-kefu-visitor": sent["visitor_token"]},
    )
    assert answered.status_code == 200, answered.text

    assert await stale_count(runtime.db) >= 1
    await refresh_all_stale(runtime.db)
    assert await stale_count(runtime.db) == 0
    async with runtime.db.read() as session:
        assert await differences(session) == []

    admin = await agent_client(app, workspace.admin.email)
    summary = (await admin.get("/api/v1/reports/summary")).json()
    assert summary["conversations"] == {"created": 1, "resolved": 1}
    assert summary["first_response"]["count"] == 1
    assert summary["next_response"]["count"] == 1
    assert summary["fcr"] == {"eligible": 1, "count": 1, "rate": 1.0}

    assert summary["csat"]["responses"] == 1
    # Two filters at once: the cube for totals, the facts and survey rows for series.
    both = f"inbox_id={workspace.inbox.id}&channel=web"
    filtered = (await admin.get(f"/api/v1/reports/summary?{both}")).json()
    assert filtered["conversations"] == summary["conversations"]
    assert filtered["csat"] == summary["csat"]
    points = (await admin.get(f"/api/v1/reports/timeseries?{both}")).json()["points"]
    assert sum(p["created"] for p in points) == 1
    assert sum(p["csat_responses"] for p in points) == 1
    assert [p["csat_average"] for p in points if p["csat_responses"]] == [5.0]

    response = await admin.get("/api/v1/reports/conversations.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0] == "conversation_id" and len(rows) == 2
    assert rows[1][3] == workspace.inbox.name

    # An agent sees only their own figures: the outsider has none.
    outsider = await agent_client(app, workspace.outsider.email)
    mine = (await outsider.get("/api/v1/reports/summary")).json()
    assert mine["conversations"]["created"] == 0
    denied = await outsider.get(f"/api/v1/reports/summary?agent_id={workspace.agent.id}")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "not_your_figures"
    for c in (agent, admin, outsider):
        await c.aclose()
