"""Concurrent writers into one conversation, on SQLite and on PostgreSQL (both `make test`
passes run this module): seq stays 1..N without gap or duplicate, retries of one
`client_msg_id` make one message, and simultaneous starts make one conversation.

Every sender is its own httpx client (its own connection to the app), released together by a
barrier, so on PostgreSQL the transactions really overlap on separate database connections.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.auth.principals import AgentPrincipal
from kefu.contacts.actions import do_create_visitor
from kefu.conversations.models import Conversation
from kefu.messages.models import Message
from kefu.runtime import Runtime
from kefu.users.actions import do_create_api_token
from tests.conftest import Workspace, visitor_send

SENDERS = 20
PER_SENDER = 5


def _client(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


@pytest.fixture
async def api_tokens(runtime: Runtime, workspace: Workspace) -> dict[str, str]:
    """An API token per inbox agent (and the admin), made by the action the token endpoint
    calls: one password login per client would dominate the test's time."""
    tokens = {}
    async with runtime.db.write() as session:
        for user in (workspace.agent, workspace.agent2, workspace.admin):
            actor = AgentPrincipal(user=user, via="session")
            _, tokens[user.email] = await do_create_api_token(
                session, actor=actor, name="concurrency"
            )
    return tokens


@pytest.fixture
async def clients(app: FastAPI) -> AsyncIterator[Callable[[dict[str, str]], httpx.AsyncClient]]:
    opened: list[httpx.AsyncClient] = []

    def make(headers: dict[str, str]) -> httpx.AsyncClient:
        c = _client(app, headers)
        opened.append(c)
        return c

    yield make
    for c in opened:
        await c.aclose()


async def _together(jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run every job at once: all wait on one barrier, then go."""
    barrier = asyncio.Barrier(len(jobs))

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        await barrier.wait()
        return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


async def _seqs_in_db(runtime: Runtime, conversation_id: int) -> tuple[list[int], int]:
    async with runtime.db.read() as session:
        seqs = list(
            await session.scalars(
                select(Message.seq)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            )
        )
        last_seq = await session.scalar(
            select(Conversation.last_seq).where(Conversation.id == conversation_id)
        )
    assert last_seq is not None
    return seqs, last_seq


async def _new_visitor_token(runtime: Runtime, workspace: Workspace) -> tuple[str, int]:
    """A visitor who has no conversation yet (as after a first widget load)."""
    async with runtime.db.write() as session:
        contact = await do_create_visitor(session, inbox=workspace.inbox)
    return runtime.signer.sign_visitor(contact.id, workspace.inbox.id), contact.id


async def _conversations_of(runtime: Runtime, contact_id: int) -> list[Conversation]:
    async with runtime.db.read() as session:
        return list(
            await session.scalars(select(Conversation).where(Conversation.contact_id == contact_id))
        )


async def test_twenty_concurrent_senders_get_seq_1_to_n_without_gap_or_duplicate(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    api_tokens: dict[str, str],
    clients: Callable[[dict[str, str]], httpx.AsyncClient],
) -> None:
    first = await visitor_send(client, workspace.inbox, "first")
    visitor_token = first["visitor_token"]
    key = workspace.inbox.public_key
    agent = clients({"authorization": f"Bearer {api_tokens[workspace.agent.email]}"})
    conversation_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]

    # 8 visitor tabs and 12 agent clients (the two inbox agents and the admin, 4 clients each).
    senders: list[tuple[str, httpx.AsyncClient]] = []
    for _ in range(8):
        senders.append(("visitor", clients({"x-kefu-visitor": visitor_token})))
    emails = list(api_tokens)
    for i in range(SENDERS - 8):
        token = api_tokens[emails[i % len(emails)]]
        senders.append(("agent", clients({"authorization": f"Bearer {token}"})))

    async def send_all(index: int) -> list[tuple[str, int]]:
        kind, c = senders[index]
        sent = []
        for n in range(PER_SENDER):
            text = f"{kind} {index}.{n}"
            cmid = uuid.uuid4().hex
            if kind == "visitor":
                response = await c.post(
                    f"/api/v1/widget/{key}/messages", json={"text": text, "client_msg_id": cmid}
                )
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["created"] is True
                seq = body["message"]["seq"]
            else:
                response = await c.post(
                    f"/api/v1/conversations/{conversation_id}/messages",
                    json={
                        "text": text,
                        "client_msg_id": cmid,
                        "kind": "note" if n % 2 else "reply",
                    },
                )
                assert response.status_code == 201, response.text
                seq = response.json()["seq"]
            sent.append((text, seq))
        return sent

    results = await _together([partial(send_all, i) for i in range(SENDERS)])
    total = 1 + SENDERS * PER_SENDER
    acked = sorted(seq for sent in results for _, seq in sent)
    assert acked == list(range(2, total + 1))
    # Each sender's own messages are ordered as it sent them.
    for sent in results:
        seqs = [seq for _, seq in sent]
        assert seqs == sorted(seqs)

    seqs, last_seq = await _seqs_in_db(runtime, conversation_id)
    assert seqs == list(range(1, total + 1))
    assert last_seq == total

    page = await agent.get(
        f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 200}
    )
    assert page.status_code == 200, page.text
    by_seq = {m["seq"]: m["text"] for m in page.json()["items"]}
    assert sorted(by_seq) == list(range(1, total + 1))
    assert all(by_seq[seq] == text for sent in results for text, seq in sent)


async def test_concurrent_retries_of_one_client_msg_id_make_one_message(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    api_tokens: dict[str, str],
    clients: Callable[[dict[str, str]], httpx.AsyncClient],
) -> None:
    first = await visitor_send(client, workspace.inbox, "first")
    key = workspace.inbox.public_key
    visitor_headers = {"x-kefu-visitor": first["visitor_token"]}
    agent_headers = {"authorization": f"Bearer {api_tokens[workspace.agent.email]}"}
    conversation_id = (await clients(agent_headers).get("/api/v1/conversations")).json()["items"][
        0
    ]["id"]

    async def visitor_retry() -> tuple[int, bool]:
        response = await clients(visitor_headers).post(
            f"/api/v1/widget/{key}/messages", json={"text": "once", "client_msg_id": "v-1"}
        )
        assert response.status_code == 200, response.text
        return response.json()["message"]["seq"], response.json()["created"]

    async def agent_retry() -> tuple[int, bool]:
        response = await clients(agent_headers).post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": "reply once", "client_msg_id": "a-1"},
        )
        assert response.status_code == 201, response.text
        return response.json()["seq"], True

    visitor_results = await _together([visitor_retry for _ in range(10)])
    assert sum(created for _, created in visitor_results) == 1
    assert {seq for seq, _ in visitor_results} == {2}

    agent_results = await _together([agent_retry for _ in range(10)])
    assert {seq for seq, _ in agent_results} == {3}

    # Both at once again, mixed with fresh messages: the retries never take a seq.
    mixed = await _together(
        [visitor_retry for _ in range(5)]
        + [agent_retry for _ in range(5)]
        + [lambda: visitor_send(client, workspace.inbox, "new", token=first["visitor_token"])]
    )
    assert {seq for seq, _ in mixed[:5]} == {2}
    assert {seq for seq, _ in mixed[5:10]} == {3}
    assert mixed[10]["message"]["seq"] == 4

    seqs, last_seq = await _seqs_in_db(runtime, conversation_id)
    assert seqs == [1, 2, 3, 4] and last_seq == 4
    async with runtime.db.read() as session:
        rows = await session.execute(
            select(Message.client_msg_id, func.count())
            .where(Message.client_msg_id.in_(["v-1", "a-1"]))
            .group_by(Message.client_msg_id)
        )
        counts = {cmid: count for cmid, count in rows}
    assert counts == {"v-1": 1, "a-1": 1}


async def test_concurrent_starts_by_one_visitor_make_one_conversation(
    app: FastAPI,
    runtime: Runtime,
    workspace: Workspace,
    clients: Callable[[dict[str, str]], httpx.AsyncClient],
) -> None:
    key = workspace.inbox.public_key
    for _ in range(5):
        token, contact_id = await _new_visitor_token(runtime, workspace)

        async def start(n: int, token: str = token) -> dict[str, Any]:
            response = await clients({"x-kefu-visitor": token}).post(
                f"/api/v1/widget/{key}/messages", json={"text": f"hi {n}", "client_msg_id": f"s{n}"}
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        bodies = await _together([partial(start, n) for n in range(8)])
        assert len({b["conversation"]["id"] for b in bodies}) == 1
        assert sorted(b["message"]["seq"] for b in bodies) == list(range(1, 9))
        conversations = await _conversations_of(runtime, contact_id)
        assert len(conversations) == 1
        seqs, last_seq = await _seqs_in_db(runtime, conversations[0].id)
        assert seqs == list(range(1, 9)) and last_seq == 8


async def test_concurrent_sends_after_resolve_leave_one_open_conversation(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    api_tokens: dict[str, str],
    clients: Callable[[dict[str, str]], httpx.AsyncClient],
) -> None:
    """A resolved conversation, then the visitor writes from several tabs at once: whether that
    reopens it or starts a new one, all tabs land in the same single open conversation."""
    first = await visitor_send(client, workspace.inbox, "first")
    agent = clients({"authorization": f"Bearer {api_tokens[workspace.agent.email]}"})
    conversation_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]
    response = await agent.post(
        f"/api/v1/conversations/{conversation_id}/status", json={"status": "resolved"}
    )
    assert response.status_code == 200, response.text
    key = workspace.inbox.public_key

    async def send(n: int) -> dict[str, Any]:
        response = await clients({"x-kefu-visitor": first["visitor_token"]}).post(
            f"/api/v1/widget/{key}/messages", json={"text": f"back {n}", "client_msg_id": f"b{n}"}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    bodies = await _together([partial(send, n) for n in range(8)])
    assert len({b["conversation"]["id"] for b in bodies}) == 1
    contact_id = await _conversations_of_public(runtime, bodies[0]["conversation"]["id"])
    open_ones = [c for c in await _conversations_of(runtime, contact_id) if c.status != "resolved"]
    assert len(open_ones) == 1
    seqs, last_seq = await _seqs_in_db(runtime, open_ones[0].id)
    assert seqs == list(range(1, last_seq + 1))
    assert len({b["message"]["seq"] for b in bodies}) == 8
    # Reopened (or started) once: a single "reopened by the contact" line, not one per tab.
    async with runtime.db.read() as session:
        activities = list(
            await session.scalars(
                select(Message.activity).where(
                    Message.conversation_id == open_ones[0].id, Message.kind == "activity"
                )
            )
        )
    reopened = [a for a in activities if a and a["type"] == "status_changed" and a["to"] == "open"]
    assert len(reopened) <= 1, activities


async def _conversations_of_public(runtime: Runtime, public_id: str) -> int:
    async with runtime.db.read() as session:
        contact_id = await session.scalar(
            select(Conversation.contact_id).where(Conversation.public_id == public_id)
        )
    assert contact_id is not None
    return contact_id
