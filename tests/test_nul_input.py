"""A NUL character in an API request is refused as bad input on both databases (PostgreSQL
cannot store one in text: the fuzz run found `PATCH /api/v1/teams/{id}` answering 500)."""

from __future__ import annotations

import httpx

from tests.conftest import Workspace, login


async def test_nul_in_a_json_body_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await login(client, workspace.admin.email)
    created = await client.post("/api/v1/teams", json={"name": "Billing"})
    assert created.status_code == 201, created.text
    team = created.json()
    for body in ({"name": "a\x00b"}, {"description": "x", "member_ids": [], "name": "\x00"}):
        response = await client.patch(f"/api/v1/teams/{team['id']}", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "bad_text"
    zh = await client.post(
        "/api/v1/teams", json={"name": "n\x00"}, headers={"accept-language": "zh-TW"}
    )
    assert zh.status_code == 422 and zh.json()["error"]["message"] == "訊息含有無效的字元。"
    teams = (await client.get("/api/v1/teams")).json()
    assert [t["name"] for t in teams if t["id"] == team["id"]] == ["Billing"]
    # An escaped backslash before "u0000" is text, not a NUL.
    fine = await client.patch(f"/api/v1/teams/{team['id']}", json={"name": "a\\u0000b"})
    assert fine.status_code == 200, fine.text
    assert fine.json()["name"] == "a\\u0000b"


async def test_nul_in_the_query_or_path_is_refused(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await login(client, workspace.admin.email)
    search = await client.get("/api/v1/search", params={"q": "hello\x00"})
    assert search.status_code == 422 and search.json()["error"]["code"] == "bad_text"
    widget = await client.get("/api/v1/widget/key%00x/config")
    assert widget.status_code == 422 and widget.json()["error"]["code"] == "bad_text"
    # Without NUL both are served as before.
    assert (await client.get("/api/v1/search", params={"q": "hello"})).status_code == 200
    key = workspace.inbox.public_key
    assert (await client.get(f"/api/v1/widget/{key}/config")).status_code == 200
