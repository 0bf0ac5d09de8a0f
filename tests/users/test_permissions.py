"""Every endpoint checks who is asking: anonymous callers get 401, non-admins get 403 on admin
endpoints, agents get 404 for inboxes and conversations they do not belong to."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Workspace, agent_client, visitor_send

PERMISSION_TESTED = {
    "POST /api/v1/auth/logout",
    "GET /api/v1/auth/me",
    "GET /api/v1/users",
    "POST /api/v1/users",
    "PATCH /api/v1/users/{user_id}",
    "GET /api/v1/me/tokens",
    "POST /api/v1/me/tokens",
    "DELETE /api/v1/me/tokens/{token_id}",
    "GET /api/v1/teams",
    "POST /api/v1/teams",
    "PATCH /api/v1/teams/{team_id}",
    "GET /api/v1/inboxes",
    "POST /api/v1/inboxes",
    "GET /api/v1/inboxes/{inbox_id}",
    "PATCH /api/v1/inboxes/{inbox_id}",
    "GET /api/v1/inboxes/{inbox_id}/embed",
    "GET /api/v1/conversations",
    "GET /api/v1/conversations/{conversation_id}",
    "GET /api/v1/conversations/{conversation_id}/messages",
    "POST /api/v1/conversations/{conversation_id}/messages",
    "POST /api/v1/conversations/{conversation_id}/assign",
    "POST /api/v1/conversations/{conversation_id}/status",
    "POST /api/v1/conversations/{conversation_id}/read",
    "GET /api/v1/widget/{inbox_key}/conversations/{conversation_id}/messages",
    "POST /api/v1/widget/{inbox_key}/conversations/{conversation_id}/read",
    "GET /api/v1/audit-log",
}

ANONYMOUS_401 = [
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/1"),
    ("GET", "/api/v1/me/tokens"),
    ("POST", "/api/v1/me/tokens"),
    ("DELETE", "/api/v1/me/tokens/1"),
    ("GET", "/api/v1/teams"),
    ("POST", "/api/v1/teams"),
    ("PATCH", "/api/v1/teams/1"),
    ("GET", "/api/v1/inboxes"),
    ("POST", "/api/v1/inboxes"),
    ("GET", "/api/v1/inboxes/1"),
    ("PATCH", "/api/v1/inboxes/1"),
    ("GET", "/api/v1/inboxes/1/embed"),
    ("GET", "/api/v1/conversations"),
    ("GET", "/api/v1/conversations/1"),
    ("GET", "/api/v1/conversations/1/messages"),
    ("POST", "/api/v1/conversations/1/messages"),
    ("POST", "/api/v1/conversations/1/assign"),
    ("POST", "/api/v1/conversations/1/status"),
    ("POST", "/api/v1/conversations/1/read"),
    ("GET", "/api/v1/audit-log"),
]


@pytest.mark.parametrize(("method", "path"), ANONYMOUS_401)
async def test_anonymous_is_refused(
    client: httpx.AsyncClient, workspace: Workspace, method: str, path: str
) -> None:
    response = await client.request(method, path, json={})
    assert response.status_code == 401, (method, path, response.text)
    assert response.json()["error"]["code"] == "not_authenticated"


async def test_openapi_lists_every_guarded_path(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    for method, path in ANONYMOUS_401:
        template = path.replace("/1/", "/{x}/").rstrip("1")
        assert any(
            m == method and p.split("{")[0] == template.split("{")[0] for m, p in documented
        ), (method, path)


async def test_agent_cannot_administer(app: FastAPI, workspace: Workspace) -> None:
    agent = await agent_client(app, workspace.agent.email)
    checks = [
        await agent.post(
            "/api/v1/users",
            json={"email": "n@example.com", "name": "N", "password": "12345678", "role": "admin"},
        ),
        await agent.patch(f"/api/v1/users/{workspace.agent2.id}", json={"name": "x"}),
        await agent.patch(f"/api/v1/users/{workspace.agent.id}", json={"role": "admin"}),
        await agent.post("/api/v1/teams", json={"name": "T"}),
        await agent.post("/api/v1/inboxes", json={"name": "I"}),
        await agent.patch(f"/api/v1/inboxes/{workspace.inbox.id}", json={"name": "x"}),
        await agent.get(f"/api/v1/inboxes/{workspace.inbox.id}/embed"),
        await agent.get("/api/v1/audit-log"),
    ]
    assert [r.status_code for r in checks] == [403] * len(checks)
    # Their own profile is theirs to edit.
    own = await agent.patch(f"/api/v1/users/{workspace.agent.id}", json={"locale": "en"})
    assert own.status_code == 200 and own.json()["locale"] == "en"
    await agent.aclose()


async def test_agent_sees_only_member_inboxes(app: FastAPI, workspace: Workspace) -> None:
    outsider = await agent_client(app, workspace.outsider.email)
    inboxes = (await outsider.get("/api/v1/inboxes")).json()
    assert [i["id"] for i in inboxes] == [workspace.other_inbox.id]
    assert (await outsider.get(f"/api/v1/inboxes/{workspace.inbox.id}")).status_code == 404
    filtered = await outsider.get(f"/api/v1/conversations?inbox_id={workspace.inbox.id}")
    assert filtered.json()["items"] == []
    await outsider.aclose()


async def test_admin_actions_are_audited(app: FastAPI, workspace: Workspace) -> None:
    admin = await agent_client(app, workspace.admin.email)
    created = await admin.post(
        "/api/v1/users",
        json={"email": "new@example.com", "name": "New", "password": "12345678"},
    )
    assert created.status_code == 201
    await admin.patch(f"/api/v1/users/{created.json()['id']}", json={"is_active": False})
    log = (await admin.get("/api/v1/audit-log?limit=2")).json()
    assert [e["action"] for e in log["items"]] == ["user.updated", "user.created"]
    assert log["items"][0]["actor_user_id"] == workspace.admin.id
    assert log["items"][0]["details"] == {"is_active": False}
    assert log["next_before_id"] is not None
    await admin.aclose()


async def test_visitor_token_cannot_read_another_visitors_conversation(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    alice = await visitor_send(client, workspace.inbox, "alice's secret")
    bob = await visitor_send(client, workspace.inbox, "bob here")
    key = workspace.inbox.public_key
    stolen = await client.get(
        f"/api/v1/widget/{key}/conversations/{alice['conversation']['id']}/messages",
        headers={"x-kefu-visitor": bob["visitor_token"]},
    )
    assert stolen.status_code == 404
    session = await client.get(
        f"/api/v1/widget/{key}/session", headers={"x-kefu-visitor": bob["visitor_token"]}
    )
    assert [m["text"] for m in session.json()["messages"]] == ["bob here"]
    forged = await client.get(
        f"/api/v1/widget/{key}/session", headers={"x-kefu-visitor": "x" + bob["visitor_token"]}
    )
    assert forged.status_code == 401
    # A token for one inbox is worthless in another.
    other_key = workspace.other_inbox.public_key
    cross = await client.get(
        f"/api/v1/widget/{other_key}/session", headers={"x-kefu-visitor": bob["visitor_token"]}
    )
    assert cross.status_code == 401
