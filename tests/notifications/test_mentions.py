"""@mentions in internal notes: validated before anything is stored, stored structurally, and
notifying the people (or the team members) who can see the conversation, live over their own
consoles only."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.messages.models import Message
from kefu.notifications.models import Notification
from kefu.runtime import Runtime
from kefu.teams.actions import do_create_team
from tests.conftest import Workspace, agent_client
from tests.notifications.helpers import Console, api_token, checked, start_conversation


async def _count(runtime: Runtime, model: type[Message] | type[Notification]) -> int:
    async with runtime.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_bad_mentions_are_refused_and_nothing_is_stored(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    conversation_id, _ = await start_conversation(client, agent, workspace)
    url = f"/api/v1/conversations/{conversation_id}/messages"
    note = {"text": "@someone please look", "kind": "note"}
    cases = [
        # A user of another inbox cannot see the conversation.
        ([{"type": "user", "id": workspace.outsider.id}], "note", "mention_not_visible"),
        ([{"type": "user", "id": 999_999}], "note", "unknown_user"),
        ([{"type": "team", "id": 999_999}], "note", "unknown_team"),
        # Mentions never go to the customer.
        ([{"type": "user", "id": workspace.agent2.id}], "reply", "mention_in_reply"),
        ([{"type": "robot", "id": 1}], "note", "invalid_input"),
        ([{"type": "user", "id": 0}], "note", "invalid_input"),
        ([{"type": "user", "id": 2**40}], "note", "invalid_input"),
        ([{"type": "user", "id": workspace.agent2.id}] * 21, "note", "invalid_input"),
        ({"type": "user"}, "note", "invalid_input"),
    ]
    before = await _count(runtime, Message)
    for mentions, kind, code in cases:
        response = await agent.post(url, json={**note, "kind": kind, "mentions": mentions})
        assert response.status_code == 422, (mentions, response.text)
        assert response.json()["error"]["code"] == code, response.text
    refused = await agent.post(
        url,
        json={**note, "mentions": [{"type": "user", "id": workspace.outsider.id}]},
        headers={"accept-language": "zh-TW"},
    )
    assert "Outsider看不到這個對話" in refused.json()["error"]["message"]

    # The same over the console socket: an error for the frame, nothing stored.
    console = await Console.open(live_server, await api_token(app, workspace.agent.email))
    error = await console.request(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "text": "@Outsider",
            "private": True,
            "client_msg_id": "m-outsider",
            "mentions": [{"type": "user", "id": workspace.outsider.id}],
        }
    )
    assert error["type"] == "error" and error["error"]["code"] == "mention_not_visible"
    assert await _count(runtime, Message) == before
    assert await _count(runtime, Notification) == 0
    await console.close()
    await agent.aclose()


async def test_mention_notifies_the_mentioned_user_live_and_only_them(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    conversation_id, _ = await start_conversation(client, agent, workspace)
    alex = await Console.open(live_server, await api_token(app, workspace.agent2.email))
    admin = await Console.open(live_server, await api_token(app, workspace.admin.email))
    author = await Console.open(live_server, await api_token(app, workspace.agent.email))

    ack = await author.request(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "text": "@Alex can you check the refund?",
            "private": True,
            "client_msg_id": "m-alex",
            "mentions": [{"type": "user", "id": workspace.agent2.id}],
        }
    )
    assert ack["type"] == "ack", ack
    frame = checked(await alex.wait_for(lambda f: f["type"] == "notification.created"))
    notification = frame["notification"]
    assert notification["type"] == "mentioned"
    assert notification["conversation_id"] == conversation_id
    assert notification["actor"] == {"id": workspace.agent.id, "name": workspace.agent.name}
    assert notification["preview"] == "@Alex can you check the refund?"
    assert frame["unread_delta"] == 1
    assert frame["alert"] == {"browser": True, "sound": True, "dnd": False}
    # The note keeps its mentions structurally; everyone in the inbox sees the note itself.
    created = await admin.wait_for(lambda f: f["type"] == "message.created" and f["seq"] == 2)
    assert created["message"]["mentions"] == [{"type": "user", "id": workspace.agent2.id}]
    for other in (admin, author):
        await other.settle()
        assert other.of_type("notification.created") == [], other.frames

    listed = await (await agent_client(app, workspace.agent2.email)).get("/api/v1/notifications")
    assert listed.json()["unread_count"] == 1
    assert listed.json()["items"][0]["contact_name"] == notification["contact_name"]
    for console in (alex, admin, author):
        await console.close()
    await agent.aclose()


async def test_team_mention_reaches_its_members_who_can_see_the_conversation(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
) -> None:
    async with runtime.db.write() as session:
        team = await do_create_team(
            session,
            actor=SystemPrincipal(),
            name="Refunds",
            member_ids=[workspace.agent.id, workspace.agent2.id, workspace.outsider.id],
        )
    agent = await agent_client(app, workspace.agent.email)
    conversation_id, _ = await start_conversation(client, agent, workspace)
    picker = (await agent.get(f"/api/v1/conversations/{conversation_id}/mentionable")).json()
    names = {u["name"] for u in picker["users"]}
    assert {workspace.agent.name, workspace.agent2.name, workspace.admin.name} <= names
    assert workspace.outsider.name not in names
    assert {"id": team.id, "name": "Refunds"} in picker["teams"]

    response = await agent.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"text": "@Refunds", "kind": "note", "mentions": [{"type": "team", "id": team.id}]},
    )
    assert response.status_code == 201, response.text
    assert response.json()["mentions"] == [{"type": "team", "id": team.id}]
    async with runtime.db.read() as session:
        rows = (await session.execute(select(Notification.user_id, Notification.type))).all()
    # The author is not notified of their own note; the outsider cannot see the conversation.
    assert rows == [(workspace.agent2.id, "mentioned")]
    await agent.aclose()
