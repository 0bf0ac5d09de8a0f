from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import PASSWORD, Workspace, agent_client, login


async def test_login_sets_httponly_lax_cookie(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": "MEI@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert response.json()["user"]["email"] == "mei@example.com"
    assert "password" not in response.text


async def test_wrong_password_and_rate_limit(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    for _ in range(5):
        r = await client.post(
            "/api/v1/auth/login", json={"email": "mei@example.com", "password": "wrong"}
        )
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "bad_credentials"
    limited = await client.post(
        "/api/v1/auth/login", json={"email": "mei@example.com", "password": PASSWORD}
    )
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert limited.json()["error"]["code"] == "rate_limited"


async def test_unknown_email_looks_like_wrong_password(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    r = await client.post("/api/v1/auth/login", json={"email": "who@x.y", "password": "whatever1"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"


async def test_error_messages_follow_accept_language(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    body = {"email": "who@x.y", "password": "whatever1"}
    zh = await client.post("/api/v1/auth/login", json=body, headers={"accept-language": "zh-TW"})
    en = await client.post("/api/v1/auth/login", json=body, headers={"accept-language": "en-US"})
    assert zh.json()["error"]["message"] == "電子郵件或密碼錯誤。"
    assert en.json()["error"]["message"] == "Wrong email or password."


async def test_password_change_signs_out_other_sessions(app: FastAPI, workspace: Workspace) -> None:
    first = await agent_client(app, workspace.agent.email)
    second = await agent_client(app, workspace.agent.email)
    changed = await first.patch(
        f"/api/v1/users/{workspace.agent.id}", json={"password": "a new password"}
    )
    assert changed.status_code == 200
    assert (await second.get("/api/v1/auth/me")).status_code == 401
    await first.aclose()
    await second.aclose()


async def test_deactivated_user_cannot_log_in_or_use_session(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    agent = await agent_client(app, workspace.agent2.email)
    admin = await agent_client(app, workspace.admin.email)
    r = await admin.patch(f"/api/v1/users/{workspace.agent2.id}", json={"is_active": False})
    assert r.status_code == 200
    assert (await agent.get("/api/v1/auth/me")).status_code == 401
    again = await client.post(
        "/api/v1/auth/login", json={"email": workspace.agent2.email, "password": PASSWORD}
    )
    assert again.status_code == 401
    await agent.aclose()
    await admin.aclose()


async def test_api_token_bearer_needs_no_csrf_and_can_be_revoked(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await login(client, workspace.agent.email)
    created = await client.post("/api/v1/me/tokens", json={"name": "zapier"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("kefu_")
    listed = (await client.get("/api/v1/me/tokens")).json()
    assert "token" not in listed[0] and listed[0]["prefix"] == token[:9]
    bearer = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    bearer.headers["authorization"] = f"Bearer {token}"
    me = await bearer.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["csrf_token"] is None
    assert (await bearer.post("/api/v1/me/tokens", json={"name": "2"})).status_code == 201
    await client.delete(f"/api/v1/me/tokens/{created.json()['id']}")
    assert (await bearer.get("/api/v1/auth/me")).status_code == 401
    await bearer.aclose()


async def test_admin_cannot_lock_themselves_out(app: FastAPI, workspace: Workspace) -> None:
    admin = await agent_client(app, workspace.admin.email)
    r = await admin.patch(f"/api/v1/users/{workspace.admin.id}", json={"role": "agent"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "self_lockout"
    await admin.aclose()
