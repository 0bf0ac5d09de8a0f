"""Who may use the routing endpoints: an agent outside an inbox sees none of its queue,
conversations or breaches; agents cannot change colleagues, inbox settings or rules."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import Workspace, agent_client, visitor_send

PERMISSION_TESTED = {
    "GET /api/v1/agents/status",
    "PUT /api/v1/agents/{user_id}/presence",
    "PUT /api/v1/agents/{user_id}/routing",
    "GET /api/v1/queue",
    "POST /api/v1/conversations/{conversation_id}/take",
    "POST /api/v1/conversations/{conversation_id}/transfer",
    "POST /api/v1/conversations/{conversation_id}/priority",
    "GET /api/v1/inboxes/{inbox_id}/routing",
    "PUT /api/v1/inboxes/{inbox_id}/routing",
    "GET /api/v1/routing/rules",
    "POST /api/v1/routing/rules",
    "PATCH /api/v1/routing/rules/{rule_id}",
    "DELETE /api/v1/routing/rules/{rule_id}",
    "PUT /api/v1/routing/rules-order",
    "GET /api/v1/sla/breaches",
}


async def test_outsider_sees_nothing_of_another_inbox(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await visitor_send(client, workspace.inbox, "hello")
    admin = await agent_client(app, workspace.admin.email)
    listed = (await admin.get(f"/api/v1/conversations?inbox_id={workspace.inbox.id}")).json()
    conversation_id = listed["items"][0]["id"]
    outsider = await agent_client(app, workspace.outsider.email)
    queue = await outsider.get(f"/api/v1/queue?inbox_id={workspace.inbox.id}")
    assert queue.status_code == 200 and queue.json() == []
    for action, body in (
        ("take", {}),
        ("transfer", {"assignee_id": workspace.outsider.id}),
        ("priority", {"priority": "urgent"}),
    ):
        refused = await outsider.post(
            f"/api/v1/conversations/{conversation_id}/{action}", json=body
        )
        assert refused.status_code == 404, (action, refused.text)
    breaches = await outsider.get(f"/api/v1/sla/breaches?inbox_id={workspace.inbox.id}")
    assert breaches.status_code == 200 and breaches.json() == []
    statuses = (await outsider.get("/api/v1/agents/status")).json()
    # Colleagues' capacity is for supervisors: an agent sees only their own.
    others = [s for s in statuses if s["user_id"] != workspace.outsider.id]
    assert others and all(s.get("max_conversations") is None for s in others)
    unchanged = (await admin.get(f"/api/v1/conversations/{conversation_id}")).json()
    assert unchanged["priority"] == "normal" and unchanged["assignee"] is None
    await outsider.aclose()
    await admin.aclose()


async def test_agents_cannot_change_colleagues_inbox_settings_or_rules(
    app: FastAPI, workspace: Workspace
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    inbox = workspace.inbox.id
    colleague = workspace.agent2.id
    checks = [
        await agent.put(f"/api/v1/agents/{colleague}/presence", json={"presence": "offline"}),
        await agent.put(
            f"/api/v1/agents/{colleague}/routing", json={"max_conversations": 9, "skills": []}
        ),
        await agent.get(f"/api/v1/inboxes/{inbox}/routing"),
        await agent.put(f"/api/v1/inboxes/{inbox}/routing", json={}),
        await agent.get("/api/v1/routing/rules"),
        await agent.post("/api/v1/routing/rules", json={"name": "r"}),
        await agent.patch("/api/v1/routing/rules/1", json={"name": "x"}),
        await agent.delete("/api/v1/routing/rules/1"),
        await agent.put("/api/v1/routing/rules-order", json={"rule_ids": []}),
    ]
    assert [r.status_code for r in checks] == [403] * len(checks), [r.text for r in checks]
    own = await agent.put(
        f"/api/v1/agents/{workspace.agent.id}/presence", json={"presence": "busy"}
    )
    assert own.status_code == 200 and own.json()["presence"] == "busy"
    await agent.aclose()
