"""The incremental rollups equal a recomputation from raw rows, after random sequences of
actions (hypothesis draws them) interleaved with the worker's refresh at random moments.

Two invariants: after any refresh the rollups are exactly the sum of the stored facts'
contributions (never drift); once nothing is stale, the stored facts are exactly what
kefu/reports/facts.py computes from the raw rows, so the rollups equal the recomputation.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kefu.conversations.models import Conversation
from kefu.reports.recompute import differences, rollups_of, stored_facts, stored_rollups
from kefu.reports.refresh import rebuild_reports, refresh_all_stale, refresh_stale
from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client, visitor_send

OPS = (
    "new",
    "customer",
    "reply",
    "assign",
    "unassign",
    "transfer",
    "resolve",
    "reopen",
    "tag",
    "untag",
    "survey",
    "note",
    "refresh",
)
Operation = tuple[str, int, int]


def draw_sequences(count: int) -> list[list[Operation]]:
    """`count` random action sequences, drawn by hypothesis (reproducible: derandomized)."""
    found: list[list[Operation]] = []
    operation = st.tuples(st.sampled_from(OPS), st.integers(0, 4), st.integers(1, 5))

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(operation, min_size=4, max_size=30))
    def collect(ops: list[Operation]) -> None:
        found.append(ops)

    collect()
    return found


async def check_rollups_match_stored_facts(runtime: Runtime) -> None:
    async with runtime.db.read() as session:
        assert await stored_rollups(session) == rollups_of(await stored_facts(session))


async def test_rollups_equal_recomputation_after_random_actions(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    agents = {workspace.agent.id, workspace.agent2.id}
    team_id = workspace.inbox.team_id
    assert team_id is not None
    visitors: list[dict[str, Any]] = []  # {"token", "public_id", "id"}

    async def conversation_id(visitor: dict[str, Any]) -> int:
        if "id" not in visitor:
            async with runtime.db.read() as session:
                visitor["id"] = await session.scalar(
                    select(Conversation.id).where(Conversation.public_id == visitor["public_id"])
                )
        return int(visitor["id"])

    async def run(op: str, which: int, value: int) -> None:
        if op == "new" or not visitors:
            sent = await visitor_send(client, workspace.inbox, f"問題 {len(visitors)}")
            visitors.append(
                {"token": sent["visitor_token"], "public_id": sent["conversation"]["id"]}
            )
            await runtime.dispatcher.settle()
            return
        visitor = visitors[which % len(visitors)]
        cid = await conversation_id(visitor)
        base = f"/api/v1/conversations/{cid}"
        if op == "customer":
            headers = {"x-kefu-visitor": visitor["token"]}
            await client.post(
                f"/api/v1/widget/{workspace.inbox.public_key}/messages",
                json={"text": f"還有 {value}", "client_msg_id": f"m-{op}-{which}-{value}-{cid}"},
                headers=headers,
            )
            await runtime.dispatcher.settle()
        elif op in ("reply", "note"):
            body = {"text": f"回覆 {value}"} | ({"kind": "note"} if op == "note" else {})
            sent = await admin.post(f"{base}/messages", json=body)
            assert sent.status_code == 201, sent.text
        elif op == "assign":
            assignee = sorted(agents)[value % 2]
            await admin.post(f"{base}/assign", json={"assignee_id": assignee})
        elif op == "unassign":
            await admin.post(f"{base}/assign", json={"assignee_id": None})
        elif op == "transfer":
            await admin.post(f"{base}/transfer", json={"team_id": team_id})
        elif op == "resolve":
            await admin.post(f"{base}/status", json={"status": "resolved"})
        elif op == "reopen":
            await admin.post(f"{base}/status", json={"status": "open"})
        elif op in ("tag", "untag"):
            names = [f"t{value % 3}"]
            body = {"add": names} if op == "tag" else {"remove": names}
            await admin.post(f"{base}/tags", json=body)
        elif op == "survey":
            await client.post(
                f"/api/v1/widget/{workspace.inbox.public_key}/conversations/"
                f"{visitor['public_id']}/survey",
                json={"kind": "csat", "score": value},
                headers={"x-kefu-visitor": visitor["token"]},
            )
        elif op == "refresh":
            await refresh_stale(runtime.db, limit=value)
            await check_rollups_match_stored_facts(runtime)

    # One scripted sequence that surely reaches every figure, then the random ones.
    scripted: list[Operation] = [
        ("new", 0, 1),
        ("reply", 0, 1),
        ("customer", 0, 1),
        ("refresh", 0, 1),
        ("reply", 0, 2),
        ("assign", 0, 1),
        ("transfer", 0, 1),
        ("tag", 0, 1),
        ("resolve", 0, 1),
        ("survey", 0, 4),
        ("reopen", 0, 1),
        ("resolve", 0, 1),
    ]
    sequences = [scripted, *draw_sequences(12)]
    for ops in sequences:
        for op, which, value in ops:
            await run(op, which, value)
        await refresh_all_stale(runtime.db)
        await check_rollups_match_stored_facts(runtime)
        async with runtime.db.read() as session:
            assert await differences(session) == [], ops
    async with runtime.db.read() as session:
        facts = await stored_facts(session)
    # The sequences really exercised the figures (a vacuous proof proves nothing).
    assert len(facts) >= 10
    assert any(f.resolved_at for f in facts.values())
    assert any(f.responses for f in facts.values())
    assert any(f.reopens for f in facts.values())
    assert any(f.transfers for f in facts.values())
    assert any(f.surveys for f in facts.values())
    assert any(f.tags for f in facts.values())
    # The full rebuild gives the same, even when it writes its sums out in small pieces.
    await rebuild_reports(runtime.db, chunk=3, max_keys=7)
    async with runtime.db.read() as session:
        assert await differences(session) == []
        assert await stored_facts(session) == facts
    await admin.aclose()
