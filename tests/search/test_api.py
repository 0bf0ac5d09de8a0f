"""GET /api/v1/search: the three result types, filters, paging, validation and visibility."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.inboxes.models import Inbox
from kefu.runtime import Runtime
from kefu.search.indexer import index_pending
from tests.conftest import Workspace, agent_client, visitor_send

PERMISSION_TESTED = {"GET /api/v1/search"}


@dataclass
class World:
    agent: httpx.AsyncClient  # member of Website
    admin: httpx.AsyncClient
    outsider: httpx.AsyncClient  # member of Other only
    refund: int  # Website, 陳小明, open, assigned to the agent, tagged 退款請求
    invoice: int  # Website, Jane Doe, resolved, unassigned
    secret: int  # Other inbox


async def _conversation(
    client: httpx.AsyncClient, runtime: Runtime, inbox: Inbox, texts: list[str]
) -> tuple[int, int]:
    """A visitor's conversation with these messages: (conversation id, contact id)."""
    sent = await visitor_send(client, inbox, texts[0])
    token = sent["visitor_token"]
    for text in texts[1:]:
        await visitor_send(client, inbox, text, token=token)
    async with runtime.db.read() as session:
        row = (
            await session.execute(
                select(Conversation.id, Conversation.contact_id).where(
                    Conversation.public_id == sent["conversation"]["id"]
                )
            )
        ).one()
    return int(row[0]), int(row[1])


@pytest.fixture
async def world(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> Any:
    refund, ming = await _conversation(
        client, runtime, workspace.inbox, ["我要退款請求,訂單 A-1001", "發票也要重開"]
    )
    invoice, jane = await _conversation(
        client, runtime, workspace.inbox, ["My invoice never arrived. Refund please! 😡"]
    )
    secret, other = await _conversation(
        client, runtime, workspace.other_inbox, ["我也要退款 secret-outsider"]
    )
    agent = await agent_client(app, workspace.agent.email)
    admin = await agent_client(app, workspace.admin.email)
    outsider = await agent_client(app, workspace.outsider.email)
    base = f"/api/v1/conversations/{refund}"
    assert (await agent.post(f"{base}/assign", json={"assignee_id": workspace.agent.id})).is_success
    assert (await agent.post(f"{base}/messages", json={"text": "已為您申請退款"})).is_success
    note = {"text": "VIP客戶,小心處理 @Alex", "kind": "note"}
    assert (await agent.post(f"{base}/messages", json=note)).is_success
    resolved = {"status": "resolved"}
    assert (await agent.post(f"/api/v1/conversations/{invoice}/status", json=resolved)).is_success
    async with runtime.db.write() as session:
        # No contact or tag actions on this branch yet: set the fields the tests search.
        for contact_id, name, email, phone in (
            (ming, "陳小明", "ming@example.com", "0912-345-678"),
            (jane, "Jane Doe", "jane@example.org", None),
            (other, "陳大文", "wen@example.net", None),
        ):
            await session.execute(
                update(Contact)
                .where(Contact.id == contact_id)
                .values(name=name, email=email, phone=phone)
            )
        await session.execute(
            update(Conversation).where(Conversation.id == refund).values(tags=["退款請求", "VIP"])
        )
    await index_pending(runtime.db)
    yield World(agent, admin, outsider, refund, invoice, secret)
    for c in (agent, admin, outsider):
        await c.aclose()


async def _search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _texts(body: dict[str, Any]) -> list[str]:
    return ["".join(s["text"] for s in hit["snippet"]) for hit in body["messages"]]


async def _messages_both_scripts_ranked_with_marked_snippets(world: World) -> None:
    body = await _search(world.agent, q="退款")
    texts = _texts(body)
    assert set(texts) == {"我要退款請求,訂單 A-1001", "已為您申請退款"}  # not the other inbox
    hit = body["messages"][0]
    assert [s["text"] for s in hit["snippet"] if s["match"]] == ["退款"]
    assert hit["conversation_id"] == world.refund
    assert hit["contact"]["name"] == "陳小明"
    assert {h["sender"]["type"] for h in body["messages"]} == {"contact", "user"}
    assert _texts(await _search(world.agent, q="发票")) == ["發票也要重開"]
    assert _texts(await _search(world.agent, q="退")) != []
    refunds = _texts(await _search(world.agent, q="refun"))
    assert refunds == ["My invoice never arrived. Refund please! 😡"]
    assert _texts(await _search(world.agent, q="a-1001")) == ["我要退款請求,訂單 A-1001"]


async def _internal_notes_are_found_by_agents_activity_lines_are_not(world: World) -> None:
    notes = (await _search(world.agent, q="VIP客户"))["messages"]
    assert [(n["kind"], n["sender"]["type"]) for n in notes] == [("note", "user")]
    # The resolve and assign activity lines carry names ("Admin", "王小美"): not indexed.
    assert (await _search(world.admin, q="王小美"))["messages"] == []


async def _nobody_finds_what_they_cannot_open(world: World) -> None:
    assert _texts(await _search(world.outsider, q="退款")) == ["我也要退款 secret-outsider"]
    assert (await _search(world.agent, q="secret"))["messages"] == []
    assert len((await _search(world.admin, q="退款"))["messages"]) == 3
    # Filters cannot widen the scope.
    other = await _search(world.agent, q="secret", inbox_id=1, assignee="unassigned")
    assert other["messages"] == []
    assert (await _search(world.outsider, q="陳", type="contacts"))["contacts"][0]["contact"][
        "name"
    ] == "陳大文"
    assert (await _search(world.outsider, q="ming", type="contacts"))["contacts"] == []
    assert (await _search(world.outsider, q="退款請求", type="conversations"))[
        "conversations"
    ] == []


async def _filters(world: World, workspace: Workspace) -> None:
    async def ids(**params: Any) -> set[int]:
        body = await _search(world.admin, **params)
        return {h["conversation_id"] for h in body["messages"]}

    assert await ids(q="退款") == {world.refund, world.secret}
    assert await ids(q="refund") == {world.invoice}
    assert await ids(q="退款", status="open") == {world.refund, world.secret}
    assert await ids(q="refund", status="open") == set()
    assert await ids(q="refund", status="resolved") == {world.invoice}
    assert await ids(q="退款", inbox_id=workspace.other_inbox.id) == {world.secret}
    assert await ids(q="退款", tag="退款請求") == {world.refund}
    assert await ids(q="退款", tag="VIP") == {world.refund}
    assert await ids(q="退款", tag="nope") == set()
    assert await ids(q="退款", assignee="unassigned") == {world.secret}
    assert await ids(q="退款", assignee=str(workspace.agent.id)) == {world.refund}
    mine = await _search(world.agent, q="退款", assignee="me")
    assert {h["conversation_id"] for h in mine["messages"]} == {world.refund}
    assert await ids(q="退款", since="2000-01-01T00:00:00+08:00") == {world.refund, world.secret}
    assert await ids(q="退款", until="2000-01-01T00:00:00Z") == set()
    assert await ids(q="退款", since="2999-01-01T00:00:00Z") == set()


async def _paging(world: World) -> None:
    first = await _search(world.admin, q="退款", limit=2)
    assert len(first["messages"]) == 2 and first["has_more"] is True
    rest = await _search(world.admin, q="退款", limit=2, offset=2)
    assert len(rest["messages"]) == 1 and rest["has_more"] is False
    seen = {h["message_id"] for h in first["messages"] + rest["messages"]}
    assert len(seen) == 3


async def _contacts(world: World) -> None:
    for q in ("陈小明", "陳小明", "小明", "MING@", "0912345", "0912-345"):
        body = await _search(world.agent, q=q, type="contacts")
        assert [c["contact"]["name"] for c in body["contacts"]] == ["陳小明"], q
    hit = (await _search(world.agent, q="ming", type="contacts"))["contacts"][0]
    assert hit["matched"] == ["email"] and hit["conversations"] == 1
    assert [s["text"] for s in hit["snippet"] if s["match"]] == ["ming"]
    admin = await _search(world.admin, q="陳", type="contacts")
    assert {c["contact"]["name"] for c in admin["contacts"]} == {"陳小明", "陳大文"}
    open_only = await _search(world.agent, q="jane", type="contacts", status="open")
    assert open_only["contacts"] == []


async def _conversations(world: World) -> None:
    async def ids(q: str, client: httpx.AsyncClient | None = None, **params: Any) -> list[int]:
        body = await _search(client or world.agent, q=q, type="conversations", **params)
        return [c["id"] for c in body["conversations"]]

    assert await ids("退款请求") == [world.refund]  # tag, Simplified spelling
    assert await ids("vip") == [world.refund]
    assert await ids("Jane") == [world.invoice]  # contact name
    assert await ids(f"#{world.invoice}") == [world.invoice]
    assert await ids(f"#{world.secret}") == []
    assert await ids(f"#{world.secret}", world.outsider) == [world.secret]
    assert await ids("jane", status="open") == []


BAD_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"q": ""}, "search_query_empty"),
    ({"q": "   "}, "search_query_empty"),
    ({"q": "😡🙏 ！"}, "search_query_empty"),
    ({"q": "退" * 201}, "search_query_too_long"),
    ({"q": "a" * 1001}, "invalid_input"),
    ({"q": "x", "since": "2024-01-01T00:00:00"}, "naive_datetime"),
    ({"q": "x", "until": "yesterday"}, "invalid_input"),
    ({"q": "x", "assignee": "bob"}, "invalid_input"),
    ({"q": "x", "status": "gone"}, "invalid_input"),
    ({"q": "x", "type": "files"}, "invalid_input"),
    ({"q": "x", "offset": 100000}, "invalid_input"),
    ({"q": "x", "limit": 0}, "invalid_input"),
]


async def _bad_queries_are_4xx(world: World) -> None:
    for params, code in BAD_QUERIES:
        response = await world.agent.get("/api/v1/search", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["code"] == code, params


async def test_messages(world: World, workspace: Workspace) -> None:
    """One world, several checks: building it (visitors, logins, index) is the costly part."""
    await _messages_both_scripts_ranked_with_marked_snippets(world)
    await _internal_notes_are_found_by_agents_activity_lines_are_not(world)
    await _nobody_finds_what_they_cannot_open(world)
    await _filters(world, workspace)
    await _paging(world)


async def test_contacts_conversations_and_bad_queries(world: World) -> None:
    await _contacts(world)
    await _conversations(world)
    await _bad_queries_are_4xx(world)


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/search", params={"q": "退款"})
    assert response.status_code == 401
