"""Who sees which figures: agents their own, supervisors their teams', admins everything; and
bad parameters are clear 422s."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from kefu.auth.principals import SystemPrincipal
from kefu.reports.refresh import refresh_all_stale
from kefu.runtime import Runtime
from kefu.teams.actions import do_create_team
from kefu.users.actions import do_create_user
from tests.conftest import PASSWORD, Workspace, agent_client, visitor_send

PERMISSION_TESTED = {
    "GET /api/v1/reports/summary",
    "GET /api/v1/reports/timeseries",
    "GET /api/v1/reports/heatmap",
    "GET /api/v1/reports/breakdown",
    "GET /api/v1/reports/summary.csv",
    "GET /api/v1/reports/timeseries.csv",
    "GET /api/v1/reports/heatmap.csv",
    "GET /api/v1/reports/breakdown.csv",
    "GET /api/v1/reports/conversations.csv",
}
PATHS = sorted(route.split(" ", 1)[1] for route in PERMISSION_TESTED)


async def _two_conversations(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    """One assigned to the agent in the Support team's inbox, one in the other inbox."""
    await visitor_send(client, workspace.inbox, "訂單問題")
    await visitor_send(client, workspace.other_inbox, "other question")
    await runtime.dispatcher.settle()
    admin = await agent_client(app, workspace.admin.email)
    for item in (await admin.get("/api/v1/conversations")).json()["items"]:
        if item["inbox_id"] == workspace.inbox.id:
            response = await admin.post(
                f"/api/v1/conversations/{item['id']}/assign",
                json={"assignee_id": workspace.agent.id},
            )
            assert response.status_code == 200, response.text
    await admin.aclose()
    await refresh_all_stale(runtime.db)


@pytest.mark.parametrize("path", PATHS)
async def test_reports_need_a_login(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"]


async def test_each_role_sees_its_share(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    await _two_conversations(app, client, runtime, workspace)
    team_id = workspace.inbox.team_id
    async with runtime.db.write() as session:
        lead = await do_create_user(
            session,
            actor=SystemPrincipal(),
            email="lead@example.com",
            name="Lead",
            password=PASSWORD,
            role="supervisor",
        )
        other_team = await do_create_team(session, actor=SystemPrincipal(), name="Billing")
        await do_create_team(session, actor=SystemPrincipal(), name="Leads", member_ids=[lead.id])
    admin = await agent_client(app, workspace.admin.email)
    agent = await agent_client(app, workspace.agent.email)
    agent2 = await agent_client(app, workspace.agent2.email)
    supervisor = await agent_client(app, lead.email)

    async def created(c: httpx.AsyncClient, query: str = "") -> int:
        response = await c.get(f"/api/v1/reports/summary{query}")
        assert response.status_code == 200, response.text
        return int(response.json()["conversations"]["created"])

    assert await created(admin) == 2
    assert await created(agent) == 1  # the one assigned to them
    assert await created(agent2) == 0
    assert await created(supervisor) == 0  # their team ("Leads") has none
    # The supervisor joins Support: its conversation becomes theirs to see.
    async with runtime.db.write() as session:
        from kefu.teams.models import TeamMember

        session.add(TeamMember(team_id=team_id, user_id=lead.id))
    assert await created(supervisor) == 1
    assert await created(supervisor, f"?team_id={team_id}") == 1
    assert await created(supervisor, f"?agent_id={workspace.agent.id}") == 1

    for c, query, code in (
        (agent, f"?agent_id={workspace.agent2.id}", "not_your_figures"),
        (supervisor, f"?team_id={other_team.id}", "not_your_team"),
        (supervisor, f"?agent_id={workspace.outsider.id}", "not_your_team"),
    ):
        response = await c.get(f"/api/v1/reports/summary{query}")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == code

    # Breakdowns and exports follow the same scope.
    rows = (await agent.get("/api/v1/reports/breakdown?by=inbox")).json()["rows"]
    assert [row["key"] for row in rows] == [str(workspace.inbox.id)]
    lines = (await agent2.get("/api/v1/reports/conversations.csv")).text.strip().splitlines()
    assert len(lines) == 1  # the header only
    lines = (await admin.get("/api/v1/reports/conversations.csv")).text.strip().splitlines()
    assert len(lines) == 3
    for c in (admin, agent, agent2, supervisor):
        await c.aclose()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?start=2026-11-10&end=2026-11-01", "bad_range"),
        ("?start=2020-01-01&end=2026-11-01", "range_too_long"),
        ("?tz=Mars/Olympus", "bad_timezone"),
        ("?tz=America", "bad_timezone"),
        ("?channel=pigeon", "bad_channel"),
        ("?hours=sometimes", None),
        ("?start=yesterday", None),
        ("?inbox_id=0", None),
    ],
)
async def test_bad_parameters_are_clear_errors(
    app: FastAPI, workspace: Workspace, query: str, code: str | None
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    response = await admin.get(f"/api/v1/reports/summary{query}")
    assert response.status_code == 422, response.text
    if code is not None:
        assert response.json()["error"]["code"] == code
    hourly = await admin.get(
        "/api/v1/reports/timeseries?interval=hour&start=2026-01-01&end=2026-03-01"
    )
    assert hourly.status_code == 422
    await admin.aclose()
