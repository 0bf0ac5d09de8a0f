"""Two nodes' workers refreshing report facts at the same time as agents and customers write:
the rollups stay exact (PostgreSQL: the advisory lock; SQLite: the one writer)."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from kefu.db import Database
from kefu.reports.recompute import differences, rollups_of, stored_facts, stored_rollups
from kefu.reports.refresh import refresh_all_stale, refresh_stale
from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client, visitor_send


async def test_two_refreshers_and_writers_at_once_keep_the_rollups_exact(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    database_url: str,
) -> None:
    tokens = []
    for n in range(6):
        sent = await visitor_send(client, workspace.inbox, f"你好 {n}")
        tokens.append(sent["visitor_token"])
    await runtime.dispatcher.settle()
    admin = await agent_client(app, workspace.admin.email)
    ids = [item["id"] for item in (await admin.get("/api/v1/conversations")).json()["items"]]
    assert len(ids) == 6
    other_node = Database(database_url)
    refreshed = [0, 0]

    async def writes() -> None:
        for round_ in range(4):
            for n, cid in enumerate(ids):
                base = f"/api/v1/conversations/{cid}"
                await admin.post(f"{base}/messages", json={"text": f"回覆 {round_}"})
                await visitor_send(client, workspace.inbox, f"再問 {round_}", token=tokens[n])
                if (n + round_) % 3 == 0:
                    await admin.post(f"{base}/status", json={"status": "resolved"})
                await asyncio.sleep(0)

    async def refresher(db: Database, slot: int) -> None:
        for _ in range(40):
            refreshed[slot] += await refresh_stale(db, limit=2)
            await asyncio.sleep(0.005)

    try:
        await asyncio.gather(writes(), refresher(runtime.db, 0), refresher(other_node, 1))
    finally:
        await other_node.dispose()
    assert refreshed[0] > 0 and refreshed[1] > 0  # both nodes did some of the work
    async with runtime.db.read() as session:
        assert await stored_rollups(session) == rollups_of(await stored_facts(session))
    await refresh_all_stale(runtime.db)
    async with runtime.db.read() as session:
        assert await differences(session) == []
    await admin.aclose()
