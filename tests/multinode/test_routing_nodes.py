"""Routing from two server processes sharing PostgreSQL and Redis, and sharing one SQLite file:
customers arrive on both nodes at once and agents resolve on both; no conversation goes to two
agents, nobody exceeds capacity, and the queue drains into every slot that frees up."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from kefu.conversations.models import Conversation
from kefu.db import null_pool_engine
from kefu.messages.models import Message
from tests.multinode.conftest import Cluster, Node

CAPACITY = 1
AGENTS = 4
CUSTOMERS = 16


async def admin_session(http: httpx.AsyncClient, node: Node, cluster: Cluster) -> dict[str, str]:
    email = next(e for e in cluster.logins if e.startswith("admin"))
    login = await http.post(
        f"{node.base_url}/api/v1/auth/login",
        json={"email": email, "password": cluster.logins[email]},
    )
    assert login.status_code == 200, login.text
    return {"x-csrf-token": login.json()["csrf_token"]}


@pytest.fixture(params=["postgresql", "sqlite"])
def any_cluster(request: pytest.FixtureRequest) -> Cluster:
    name = "cluster" if request.param == "postgresql" else "sqlite_cluster"
    cluster: Cluster = request.getfixturevalue(name)
    return cluster


async def test_customers_and_resolves_on_two_nodes_keep_the_invariants(
    any_cluster: Cluster,
) -> None:
    cluster = any_cluster
    cluster.ensure_running()
    a, b = cluster.a, cluster.b
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=30) as http:
        headers = await admin_session(http, a, cluster)

        async def call(method: str, path: str, node: Node = a, **kw: Any) -> Any:
            response = await http.request(method, f"{node.base_url}{path}", headers=headers, **kw)
            assert response.status_code < 300, response.text
            return response.json() if response.content else None

        agents = [
            await call(
                "POST",
                "/api/v1/users",
                json={
                    "email": f"r{i}-{tag}@example.com",
                    "name": f"R{i} {tag}",
                    "password": "correct horse battery",
                    "role": "agent",
                },
            )
            for i in range(AGENTS)
        ]
        ids = [agent["id"] for agent in agents]
        team = await call("POST", "/api/v1/teams", json={"name": f"T {tag}", "member_ids": ids})
        inbox = await call(
            "POST",
            "/api/v1/inboxes",
            json={
                "name": f"I {tag}",
                "allowed_origins": ["*"],
                "team_id": team["id"],
                "member_ids": ids,
            },
        )
        routing = await call("GET", f"/api/v1/inboxes/{inbox['id']}/routing")
        routing.update(max_conversations_per_agent=CAPACITY, greeting_enabled=False)
        await call("PUT", f"/api/v1/inboxes/{inbox['id']}/routing", json=routing)
        for i, agent_id in enumerate(ids):
            node = (a, b)[i % 2]
            await call(
                "PUT", f"/api/v1/agents/{agent_id}/presence", node, json={"presence": "online"}
            )

        async def customer(i: int) -> None:
            node = (a, b)[i % 2]
            response = await http.post(
                f"{node.base_url}/api/v1/widget/{inbox['public_key']}/messages",
                json={"text": f"hello {i}", "client_msg_id": uuid.uuid4().hex},
                headers={"origin": "https://anywhere.example.com"},
            )
            assert response.status_code == 200, response.text

        await asyncio.gather(*(customer(i) for i in range(CUSTOMERS)))
        engine = null_pool_engine(cluster.database_url)
        try:

            async def snapshot() -> tuple[dict[int, int], int]:
                async with engine.connect() as conn:
                    loads = dict(
                        (
                            await conn.execute(
                                select(Conversation.assignee_id, func.count())
                                .where(
                                    Conversation.inbox_id == inbox["id"],
                                    Conversation.assignee_id.is_not(None),
                                    Conversation.status != "resolved",
                                )
                                .group_by(Conversation.assignee_id)
                            )
                        ).all()
                    )
                    waiting = await conn.scalar(
                        select(func.count()).where(
                            Conversation.inbox_id == inbox["id"],
                            Conversation.queued_at.is_not(None),
                            Conversation.assignee_id.is_(None),
                        )
                    )
                return {int(k): int(v) for k, v in loads.items()}, int(waiting or 0)

            async def settled(expect_waiting: int) -> dict[int, int]:
                for _ in range(100):
                    loads, waiting = await snapshot()
                    if waiting == expect_waiting and sum(loads.values()) == AGENTS * CAPACITY:
                        return loads
                    await asyncio.sleep(0.1)
                raise AssertionError(f"did not settle: {await snapshot()}")

            loads = await settled(CUSTOMERS - AGENTS * CAPACITY)
            assert all(count <= CAPACITY for count in loads.values())

            # Every agent resolves on a different node at the same moment: the queue moves up.
            listing = await call("GET", f"/api/v1/conversations?inbox_id={inbox['id']}&limit=100")
            assigned = [c["id"] for c in listing["items"] if c["assignee"] is not None]
            await asyncio.gather(
                *(
                    call(
                        "POST",
                        f"/api/v1/conversations/{cid}/status",
                        (a, b)[n % 2],
                        json={"status": "resolved"},
                    )
                    for n, cid in enumerate(assigned)
                )
            )
            loads = await settled(CUSTOMERS - 2 * AGENTS * CAPACITY)
            assert all(count <= CAPACITY for count in loads.values())

            async with engine.connect() as conn:
                lines = await conn.execute(
                    select(Message.conversation_id, Message.activity)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(Conversation.inbox_id == inbox["id"], Message.kind == "activity")
                    .order_by(Message.conversation_id, Message.seq)
                )
                auto = [row for row in lines if row.activity["type"] == "assigned"]
            per_conversation: dict[int, int] = {}
            for row in auto:
                assert row.activity["from"] is None  # never handed from one agent to another
                per_conversation[row.conversation_id] = (
                    per_conversation.get(row.conversation_id, 0) + 1
                )
            assert set(per_conversation.values()) == {1}  # assigned once each
            assert len(per_conversation) == 2 * AGENTS * CAPACITY
        finally:
            await engine.dispose()
