"""A NUL character in a team's name or description is refused as bad input on both databases
(PostgreSQL cannot store one in text: the fuzz run found `PATCH /api/v1/teams/{id}` answering
500). Other domains check their own text (tests/contacts, tests/canned, tests/conversations)."""

from __future__ import annotations

import httpx

from tests.conftest import Workspace, login


async def test_nul_in_a_team_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await login(client, workspace.admin.email)
    created = await client.post("/api/v1/teams", json={"name": "Billing"})
    assert created.status_code == 201, created.text
    team = created.json()
    for body, field in (
        ({"name": "a\x00b"}, "name"),
        ({"description": "x\x00", "member_ids": []}, "description"),
        ({"description": "ok", "member_ids": [], "name": "\x00"}, "name"),
    ):
        response = await client.patch(f"/api/v1/teams/{team['id']}", json=body)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_input" and field in error["message"], error
    refused = await client.post("/api/v1/teams", json={"name": "n\x00"})
    assert refused.status_code == 422, refused.text
    teams = (await client.get("/api/v1/teams")).json()
    assert sorted(t["name"] for t in teams) == ["Billing", "Support"]
    assert [t["description"] for t in teams if t["id"] == team["id"]] == [""]
    # An escaped backslash before "u0000" is text, not a NUL.
    fine = await client.patch(f"/api/v1/teams/{team['id']}", json={"name": "a\\u0000b"})
    assert fine.status_code == 200, fine.text
    assert fine.json()["name"] == "a\\u0000b"
