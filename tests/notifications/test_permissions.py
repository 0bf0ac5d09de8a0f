"""Who may use the notification, preference, participant and mention endpoints: an agent of
another inbox sees nothing of the conversation (404), nobody reads another's notifications, only
supervisors change other people's following (403), and a visitor token opens none of them."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import Workspace, agent_client
from tests.notifications.helpers import start_conversation

PERMISSION_TESTED = {
    "GET /api/v1/notifications",
    "POST /api/v1/notifications/read",
    "POST /api/v1/notifications/{notification_id}/read",
    "GET /api/v1/me/notification-preferences",
    "PUT /api/v1/me/notification-preferences",
    "GET /api/v1/conversations/{conversation_id}/participants",
    "POST /api/v1/conversations/{conversation_id}/participants",
    "DELETE /api/v1/conversations/{conversation_id}/participants/{user_id}",
    "GET /api/v1/conversations/{conversation_id}/mentionable",
}


async def test_outsiders_and_visitors_reach_nothing(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    conversation_id, visitor_token = await start_conversation(client, admin, workspace)
    await admin.post(
        f"/api/v1/conversations/{conversation_id}/assign", json={"assignee_id": workspace.agent.id}
    )
    mei = await agent_client(app, workspace.agent.email)
    [notification] = (await mei.get("/api/v1/notifications")).json()["items"]
    base = f"/api/v1/conversations/{conversation_id}"

    outsider = await agent_client(app, workspace.outsider.email)
    refused = [
        await outsider.get(f"{base}/participants"),
        await outsider.post(f"{base}/participants", json={"user_id": workspace.outsider.id}),
        await outsider.delete(f"{base}/participants/{workspace.agent.id}"),
        await outsider.get(f"{base}/mentionable"),
        await outsider.post(
            "/api/v1/notifications/read", json={"conversation_id": conversation_id}
        ),
        await outsider.post(f"/api/v1/notifications/{notification['id']}/read"),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused), [r.text for r in refused]
    assert (await outsider.get("/api/v1/notifications")).json()["items"] == []
    # Mei's notification and following are untouched.
    assert (await mei.get("/api/v1/notifications")).json()["unread_count"] == 1
    followers = (await mei.get(f"{base}/participants")).json()
    assert [p["user"]["id"] for p in followers] == [workspace.agent.id]

    # Agents may not change colleagues' following (supervisors and admins may).
    alex = await agent_client(app, workspace.agent2.email)
    assert (await alex.delete(f"{base}/participants/{workspace.agent.id}")).status_code == 403
    assert (
        await alex.post(f"{base}/participants", json={"user_id": workspace.agent.id})
    ).status_code == 403
    assert (await admin.delete(f"{base}/participants/{workspace.agent.id}")).status_code == 200

    # A visitor's token is no console session.
    visitor = {"x-kefu-visitor": visitor_token}
    for method, path in (
        ("GET", "/api/v1/notifications"),
        ("POST", "/api/v1/notifications/read"),
        ("POST", f"/api/v1/notifications/{notification['id']}/read"),
        ("GET", "/api/v1/me/notification-preferences"),
        ("PUT", "/api/v1/me/notification-preferences"),
        ("GET", f"{base}/participants"),
        ("POST", f"{base}/participants"),
        ("GET", f"{base}/mentionable"),
    ):
        response = await client.request(method, path, headers=visitor, json={})
        assert response.status_code == 401, (method, path, response.status_code)
    for c in (admin, mei, outsider, alex):
        await c.aclose()
