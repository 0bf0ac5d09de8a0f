"""Continuing on another channel (kefu.channels.reach): where a contact can be reached, and an
agent's first message there queued for delivery; refused without an identity on that channel,
outside the reply window (templates only), or in an inbox the agent is not in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kefu.conversations.models import Conversation
from kefu.inboxes.models import Inbox
from kefu.messages.models import Message
from kefu.outbox.models import OutboxJob
from kefu.runtime import Runtime
from tests.channels.core.fake_adapter import FakeProvider
from tests.channels.matching_helpers import channel_inbox, contact_id_of, provider, receive
from tests.conftest import Workspace, agent_client

__all__ = ["provider"]

PERMISSION_TESTED = {
    "GET /api/v1/contacts/{contact_id}/channels",
    "POST /api/v1/contacts/{contact_id}/conversations",
}
NUMBER = "886912345678"


async def conversations_in(runtime: Runtime, inbox: Inbox) -> list[Conversation]:
    async with runtime.db.read() as session:
        rows = await session.scalars(select(Conversation).where(Conversation.inbox_id == inbox.id))
        return list(rows)


@pytest.fixture
async def channels(
    runtime: Runtime, workspace: Workspace, provider: tuple[FakeProvider, str]
) -> dict[str, Inbox]:
    """One customer on three channels (merged by WhatsApp's verified number): wrote on LINE,
    only followed the second channel, and last wrote on WhatsApp two days ago."""
    members = [workspace.agent.id]
    base = provider[1]
    found = {
        "line": await channel_inbox(runtime, base, name="LINE", members=members),
        "second": await channel_inbox(runtime, base, name="LINE 2", members=members),
        "wa": await channel_inbox(runtime, base, name="WhatsApp", kind="fakewin", members=members),
        "none": await channel_inbox(runtime, base, name="Telegram", members=members),
    }
    await receive(runtime, found["line"], "U1", verified_phone=NUMBER, text="LINE 的問題")
    await receive(runtime, found["second"], "U2", kind="follow", verified_phone=NUMBER)
    old = datetime.now(UTC) - timedelta(days=2)
    await receive(runtime, found["wa"], NUMBER, verified_phone=NUMBER, at=old, text="舊訊息")
    async with runtime.db.write() as session:  # resolved since, and two days old
        for c in await session.scalars(
            select(Conversation).where(Conversation.inbox_id == found["wa"].id)
        ):
            c.status, c.resolved_at = "resolved", old
            c.channel_context = {**c.channel_context, "last_inbound_at": old.isoformat()}
    return found


async def test_channels_lists_where_the_contact_can_be_reached(
    app: FastAPI, runtime: Runtime, workspace: Workspace, channels: dict[str, Inbox]
) -> None:
    contact = await contact_id_of(runtime, channels["line"], "U1")
    assert await contact_id_of(runtime, channels["second"], "U2") == contact
    agent = await agent_client(app, workspace.agent.email)
    r = await agent.get(f"/api/v1/contacts/{contact}/channels")
    assert r.status_code == 200, r.text
    by_inbox = {c["inbox_id"]: c for c in r.json()}
    assert set(by_inbox) == {channels["line"].id, channels["second"].id, channels["wa"].id}
    assert by_inbox[channels["wa"].id]["external_id"] == "886******678"
    assert by_inbox[channels["wa"].id]["channel_type"] == "fakewin"
    assert by_inbox[channels["line"].id]["open_conversation_id"] is not None
    assert by_inbox[channels["second"].id]["open_conversation_id"] is None
    outsider = await agent_client(app, workspace.outsider.email)
    assert (await outsider.get(f"/api/v1/contacts/{contact}/channels")).status_code == 404
    await agent.aclose()
    await outsider.aclose()


async def test_continue_on_another_channel_queues_the_message(
    app: FastAPI,
    runtime: Runtime,
    workspace: Workspace,
    channels: dict[str, Inbox],
    provider: tuple[FakeProvider, str],
) -> None:
    contact = await contact_id_of(runtime, channels["line"], "U1")
    agent = await agent_client(app, workspace.agent.email)
    r = await agent.post(
        f"/api/v1/contacts/{contact}/conversations",
        json={"inbox_id": channels["second"].id, "text": "您好，這裡是客服，接續您在 LINE 的問題"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["conversation"]["inbox_id"] == channels["second"].id
    assert body["conversation"]["assignee"]["id"] == workspace.agent.id
    assert body["message"]["delivery_status"] == "queued"
    async with runtime.db.read() as session:
        message = await session.get(Message, body["message"]["id"])
        assert message is not None and message.kind == "outgoing"
        jobs = (
            await session.scalars(select(OutboxJob).where(OutboxJob.kind == "channel.send"))
        ).all()
        assert [j.payload["message_id"] for j in jobs] == [message.id]
    await runtime.worker.outbox.run_due()
    assert provider[0].sent[-1]["to"] == "U2"
    assert provider[0].sent[-1]["text"].startswith("您好")
    # Again: the open conversation there is reused.
    again = await agent.post(
        f"/api/v1/contacts/{contact}/conversations",
        json={"inbox_id": channels["second"].id, "text": "還有其他問題嗎？"},
    )
    assert again.json()["conversation"]["id"] == body["conversation"]["id"]
    await agent.aclose()


async def test_refusals(
    app: FastAPI, runtime: Runtime, workspace: Workspace, channels: dict[str, Inbox]
) -> None:
    contact = await contact_id_of(runtime, channels["line"], "U1")
    agent = await agent_client(app, workspace.agent.email)
    url = f"/api/v1/contacts/{contact}/conversations"

    async def post(inbox_id: int) -> tuple[int, str]:
        r = await agent.post(url, json={"inbox_id": inbox_id, "text": "hi"})
        return r.status_code, r.json().get("error", {}).get("code", "")

    # WhatsApp: the customer last wrote two days ago; only a template may go.
    assert await post(channels["wa"].id) == (422, "channel_window_closed")
    assert [c.status for c in await conversations_in(runtime, channels["wa"])] == ["resolved"]
    assert await post(channels["none"].id) == (422, "no_channel_identity")
    assert await post(workspace.inbox.id) == (422, "not_a_channel_inbox")
    assert await post(workspace.other_inbox.id) == (404, "not_found")  # not the agent's inbox
    assert await post(999_999) == (404, "not_found")
    outsider = await agent_client(app, workspace.outsider.email)
    r = await outsider.post(url, json={"inbox_id": channels["line"].id, "text": "hi"})
    assert r.status_code == 404
    assert await conversations_in(runtime, channels["none"]) == []
    await agent.aclose()
    await outsider.aclose()
