"""Participants (followers): follow and unfollow yourself, supervisors add and remove others who
can see the conversation, the "participating" filter, and the live participants event."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from kefu.conversations.models import Conversation
from kefu.events import types
from kefu.events.schemas import validate_payload
from kefu.runtime import Runtime
from tests.conftest import EventCapture, Workspace, agent_client
from tests.notifications.helpers import make_supervisor, start_conversation


async def test_follow_unfollow_and_the_participating_filter(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    capture_events: EventCapture,
) -> None:
    lead = await make_supervisor(app, runtime, workspace)
    mei = await agent_client(app, workspace.agent.email)
    conversation_id, _ = await start_conversation(client, mei, workspace)
    url = f"/api/v1/conversations/{conversation_id}/participants"

    assert (await mei.get("/api/v1/conversations?assignee=participating")).json()["items"] == []
    for _ in range(2):  # following twice is following once
        followed = await mei.post(url, json={"user_id": workspace.agent.id})
        assert followed.status_code == 200, followed.text
    assert [(p["user"]["id"], p["reason"]) for p in followed.json()] == [
        (workspace.agent.id, "follow")
    ]
    listed = (await mei.get("/api/v1/conversations?assignee=participating")).json()["items"]
    assert [c["id"] for c in listed] == [conversation_id]
    [changed] = capture_events.of_type(types.CONVERSATION_PARTICIPANTS)
    assert changed.inbox_id == workspace.inbox.id
    validate_payload(changed.type, changed.agent, audience="agent")

    # Agents follow only for themselves; supervisors add and remove colleagues who can see it.
    refused = await mei.post(url, json={"user_id": workspace.agent2.id})
    assert (
        refused.status_code == 403 and refused.json()["error"]["code"] == "participants_lead_only"
    )
    boss = await agent_client(app, lead.email)
    added = await boss.post(url, json={"user_id": workspace.agent2.id})
    assert added.status_code == 200
    assert {p["user"]["id"]: p["reason"] for p in added.json()}[workspace.agent2.id] == "added"
    blind = await boss.post(url, json={"user_id": workspace.outsider.id})
    assert blind.status_code == 422 and blind.json()["error"]["code"] == "participant_not_visible"
    ghost = await boss.post(url, json={"user_id": 999_999})
    assert ghost.status_code == 422 and ghost.json()["error"]["code"] == "unknown_user"
    kept = await mei.delete(f"{url}/{workspace.agent2.id}")
    assert kept.status_code == 403
    removed = await boss.delete(f"{url}/{workspace.agent2.id}")
    assert [p["user"]["id"] for p in removed.json()] == [workspace.agent.id]

    left = await mei.delete(f"{url}/{workspace.agent.id}")
    assert left.status_code == 200 and left.json() == []
    assert (await mei.get("/api/v1/conversations?assignee=participating")).json()["items"] == []
    async with runtime.db.read() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None and conversation.participant_count == 0
    await mei.aclose()
    await boss.aclose()
