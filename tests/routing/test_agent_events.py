"""`agent.updated` over the console socket: presence and skills to everyone, capacity only to
supervisors, admins and the agent themself (as GET /agents/status shows it)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import websockets
from fastapi import FastAPI

from tests.conftest import Workspace, agent_client
from tests.realtime.test_resume import recv_until


@contextlib.asynccontextmanager
async def console(app: FastAPI, live_server: str, email: str) -> AsyncIterator[Any]:
    agent = await agent_client(app, email)
    token = (await agent.post("/api/v1/me/tokens", json={"name": "ws"})).json()["token"]
    await agent.aclose()
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(
        f"ws://{live_server}/ws/console", additional_headers=headers
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        yield ws


async def test_capacity_reaches_leads_and_the_agent_only(
    app: FastAPI, workspace: Workspace, live_server: str
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    subject = workspace.agent2.id

    def about_subject(frame: dict[str, Any]) -> bool:
        return frame["type"] == "agent.updated" and frame["user_id"] == subject

    async with (
        console(app, live_server, workspace.admin.email) as lead,
        console(app, live_server, workspace.agent.email) as colleague,
        console(app, live_server, workspace.agent2.email) as themself,
    ):
        response = await admin.put(
            f"/api/v1/agents/{subject}/routing",
            json={"max_conversations": 7, "skills": ["ja"]},
        )
        assert response.status_code == 200, response.text
        seen = {
            name: (await recv_until(ws, about_subject))[-1]
            for name, ws in (("lead", lead), ("colleague", colleague), ("self", themself))
        }
    assert seen["lead"]["max_conversations"] == 7
    assert seen["self"]["max_conversations"] == 7
    assert "max_conversations" not in seen["colleague"]
    assert all(frame["skills"] == ["ja"] for frame in seen.values())
    await admin.aclose()
