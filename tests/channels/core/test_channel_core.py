"""The channel core (kefu.channels) with a fake provider: webhooks in (signature, schema,
de-duplication, contacts, conversations, media, profiles, statuses) and messages out (the
outbox, delivery states, Retry-After, failures and retries, the reply window, templates,
automatic-reply guards), against a fake provider API served over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.auth.sealing import SecretBox
from kefu.channels.outbound import AUTOMATIC_REPLIES_PER_HOUR
from kefu.channels.secrets import open_secrets
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.conversations.queries import get_conversation
from kefu.db import utcnow
from kefu.inboxes.actions import do_create_inbox
from kefu.inboxes.models import Inbox
from kefu.messages.actions import append_message
from kefu.messages.models import Attachment, Message
from kefu.outbox.models import OutboxJob
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.settings import RoutingSettings
from kefu.runtime import Runtime
from tests.attachments.samples import png
from tests.channels.core.fake_adapter import FakeProvider, sign
from tests.channels.provider_server import serve_asgi
from tests.conftest import EventCapture, Workspace, agent_client

PERMISSION_TESTED = {
    "GET /api/v1/conversations/{conversation_id}/channel",
    "GET /api/v1/inboxes/{inbox_id}/templates",
    "POST /api/v1/conversations/{conversation_id}/messages/{message_id}/retry",
    "POST /api/v1/conversations/{conversation_id}/templates",
}
SECRET = "s3cret-signing"


@dataclass
class Channel:
    inbox: Inbox
    provider: FakeProvider
    base: str


@pytest.fixture
async def provider() -> AsyncIterator[tuple[FakeProvider, str]]:
    fake = FakeProvider()
    async with serve_asgi(fake.app) as base:
        yield fake, base


async def make_channel(
    runtime: Runtime, workspace: Workspace, provider: tuple[FakeProvider, str], kind: str = "fake"
) -> Channel:
    fake, base = provider
    async with runtime.db.write() as session:
        inbox = await do_create_inbox(
            session,
            actor=SystemPrincipal(),
            name=f"{kind} channel",
            member_ids=[workspace.agent.id],
            channel_type=kind,
            channel_config={"api_base": base},
            channel_secrets={"signing_secret": SECRET, "token": "tok"},
            box=SecretBox(runtime.settings.effective_secret_key),
            allow_private_urls=True,
        )
        quiet = RoutingSettings(
            greeting_enabled=False, queued_reply_enabled=False, outside_hours_reply_enabled=False
        )
        await do_update_inbox_routing(session, actor=SystemPrincipal(), inbox=inbox, settings=quiet)
    return Channel(inbox, fake, base)


@pytest.fixture
async def channel(
    runtime: Runtime, workspace: Workspace, provider: tuple[FakeProvider, str]
) -> Channel:
    return await make_channel(runtime, workspace, provider)


async def post_webhook(
    client: httpx.AsyncClient, inbox: Inbox, events: Any, *, secret: str = SECRET
) -> httpx.Response:
    body = orjson.dumps(events)
    return await client.post(
        f"/webhooks/{inbox.channel_type}/{inbox.public_key}",
        content=body,
        headers={"x-fake-signature": sign(secret, body), "content-type": "application/json"},
    )


async def messages_of(runtime: Runtime, inbox: Inbox) -> list[Message]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.inbox_id == inbox.id)
            .order_by(Message.id)
        )
        return list(rows)


async def run_outbox(runtime: Runtime) -> int:
    return await runtime.worker.outbox.run_due()


async def test_webhook_creates_contact_conversation_and_message_once(
    client: httpx.AsyncClient, runtime: Runtime, channel: Channel
) -> None:
    events = [{"id": "ev-1", "user": "U1", "text": "你好 👋 order?", "name": "陳小姐", "mid": "m1"}]
    first = await post_webhook(client, channel.inbox, events)
    again = await post_webhook(client, channel.inbox, events)  # a redelivery
    assert first.status_code == 200, first.text
    assert first.json() == {"ok": True, "messages": 1, "duplicates": 0}
    assert again.json() == {"ok": True, "messages": 0, "duplicates": 1}
    [message] = await messages_of(runtime, channel.inbox)
    assert (message.kind, message.text, message.external_id) == ("incoming", "你好 👋 order?", "m1")
    async with runtime.db.read() as session:
        conversation = await session.get(Conversation, message.conversation_id)
        assert conversation is not None
        contact = await session.get(Contact, conversation.contact_id)
        assert contact is not None and contact.name == "陳小姐"
        assert conversation.status == "open"
    # A second message from the same customer lands in the same conversation.
    await post_webhook(client, channel.inbox, [{"id": "ev-2", "user": "U1", "text": "還在嗎"}])
    first_msg, second_msg = await messages_of(runtime, channel.inbox)
    assert first_msg.conversation_id == second_msg.conversation_id


async def test_bad_signature_is_401_and_stores_nothing(
    client: httpx.AsyncClient, runtime: Runtime, channel: Channel
) -> None:
    response = await post_webhook(
        client, channel.inbox, [{"id": "x", "user": "U1", "text": "hi"}], secret="wrong"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    unsigned = await client.post(
        f"/webhooks/fake/{channel.inbox.public_key}", content=b"[]", headers={}
    )
    assert unsigned.status_code == 401
    assert await messages_of(runtime, channel.inbox) == []
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count(Contact.id))) == 0


async def test_payload_of_unknown_shape_is_400_json(
    client: httpx.AsyncClient, runtime: Runtime, channel: Channel
) -> None:
    response = await post_webhook(client, channel.inbox, {"not": "a list"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"
    wrong_type = await client.post(
        f"/webhooks/line/{channel.inbox.public_key}",
        content=b"[]",
        headers={"x-fake-signature": sign(SECRET, b"[]")},
    )
    assert wrong_type.status_code == 404  # the key of a "fake" inbox under another type
    assert await messages_of(runtime, channel.inbox) == []


async def test_secrets_are_sealed_and_never_returned(
    app: FastAPI, runtime: Runtime, workspace: Workspace, channel: Channel
) -> None:
    async with runtime.db.read() as session:
        inbox = await session.get(Inbox, channel.inbox.id)
    assert inbox is not None and inbox.channel_secrets is not None
    assert SECRET not in inbox.channel_secrets and "tok" not in inbox.channel_secrets
    box = SecretBox(runtime.settings.effective_secret_key)
    assert open_secrets(box, inbox.channel_secrets) == {"signing_secret": SECRET, "token": "tok"}
    admin = await agent_client(app, workspace.admin.email)
    body = (await admin.get(f"/api/v1/inboxes/{channel.inbox.id}")).text
    assert SECRET not in body
    data = orjson.loads(body)
    assert data["channel_secrets_set"] == ["signing_secret", "token"]
    assert data["webhook_url"].endswith(f"/webhooks/fake/{channel.inbox.public_key}")
    # Replacing one secret keeps the other; removing a required one is refused.
    changed = await admin.patch(
        f"/api/v1/inboxes/{channel.inbox.id}", json={"channel_secrets": {"token": "new"}}
    )
    assert changed.status_code == 200, changed.text
    async with runtime.db.read() as session:
        inbox = await session.get(Inbox, channel.inbox.id)
    assert inbox is not None
    assert open_secrets(box, inbox.channel_secrets) == {"signing_secret": SECRET, "token": "new"}
    removed = await admin.patch(
        f"/api/v1/inboxes/{channel.inbox.id}", json={"channel_secrets": {"token": None}}
    )
    assert removed.status_code == 422
    assert removed.json()["error"]["code"] == "invalid_channel_secrets"
    await admin.aclose()


async def _incoming(client: httpx.AsyncClient, channel: Channel, **extra: Any) -> int:
    event = {"id": f"ev-{extra.pop('n', 1)}", "user": "U1", "text": "hello", **extra}
    assert (await post_webhook(client, channel.inbox, [event])).status_code == 200
    async with client_runtime(client).db.read() as session:
        cid = await session.scalar(
            select(Conversation.id).where(Conversation.inbox_id == channel.inbox.id)
        )
    assert cid is not None
    return int(cid)


def client_runtime(client: httpx.AsyncClient) -> Runtime:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app: Any = transport.app
    runtime: Runtime = app.state.runtime
    return runtime


async def test_agent_reply_is_queued_then_sent_through_the_provider(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    channel: Channel,
    capture_events: EventCapture,
) -> None:
    cid = await _incoming(client, channel, reply_token="rt-1")
    agent = await agent_client(app, workspace.agent.email)
    reply = await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "您好！"})
    assert reply.status_code in (200, 201), reply.text
    assert reply.json()["delivery_status"] == "queued"
    await run_outbox(runtime)  # the send, and the new contact's profile
    assert channel.provider.sent == [
        {"to": "U1", "text": "您好！", "reply_token": "rt-1", "template": None, "files": []}
    ]
    sent = (await messages_of(runtime, channel.inbox))[-1]
    assert (sent.delivery_status, sent.external_id) == ("sent", "ext-1")
    updated = capture_events.of_type("message.updated")
    assert updated and updated[-1].agent["message"]["delivery_status"] == "sent"
    assert updated[-1].contact is None
    # The reply token is used once: the next message is pushed without it.
    await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "還有嗎？"})
    await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "內部", "kind": "note"})
    await run_outbox(runtime)
    assert [s["text"] for s in channel.provider.sent] == ["您好！", "還有嗎？"]  # no note
    assert channel.provider.sent[-1]["reply_token"] is None
    await agent.aclose()


async def test_statuses_move_forward_only(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    channel: Channel,
) -> None:
    cid = await _incoming(client, channel)
    agent = await agent_client(app, workspace.agent.email)
    await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "ok"})
    await run_outbox(runtime)
    status = [
        {"id": "st-read", "kind": "status", "mid": "ext-1", "status": "read"},
        {"id": "st-delivered", "kind": "status", "mid": "ext-1", "status": "delivered"},
        {"id": "st-failed", "kind": "status", "mid": "ext-1", "status": "failed", "error": "x"},
        {"id": "st-unknown", "kind": "status", "mid": "not-ours", "status": "read"},
    ]
    assert (await post_webhook(client, channel.inbox, status)).status_code == 200
    sent = (await messages_of(runtime, channel.inbox))[-1]
    assert (sent.delivery_status, sent.delivery_error) == ("read", None)
    await agent.aclose()


async def test_rate_limit_waits_for_retry_after_then_sends(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    channel: Channel,
) -> None:
    cid = await _incoming(client, channel)
    channel.provider.responses.append((429, {"error": "slow down"}, {"retry-after": "120"}))
    agent = await agent_client(app, workspace.agent.email)
    await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "ok"})
    before = utcnow()
    await run_outbox(runtime)
    async with runtime.db.read() as session:
        job = await session.scalar(select(OutboxJob).where(OutboxJob.kind == "channel.send"))
    assert job is not None and job.status == "pending" and job.attempts == 1
    wait = (job.next_attempt_at - before).total_seconds()
    assert 119 <= wait <= 125, wait  # Retry-After, not the 30 s backoff
    queued = (await messages_of(runtime, channel.inbox))[-1]
    assert queued.delivery_status == "queued"
    assert queued.delivery_error is not None and "slow down" in queued.delivery_error
    async with runtime.db.write() as session:
        await session.execute(
            OutboxJob.__table__.update().values(next_attempt_at=utcnow())  # type: ignore[attr-defined]
        )
    await run_outbox(runtime)
    sent = (await messages_of(runtime, channel.inbox))[-1]
    assert (sent.delivery_status, sent.delivery_error) == ("sent", None)
    assert len(channel.provider.sent) == 2
    await agent.aclose()


async def test_permanent_failure_shows_the_reason_and_can_be_retried(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    channel: Channel,
) -> None:
    cid = await _incoming(client, channel)
    channel.provider.responses.append((400, {"error": "user blocked the account"}, {}))
    agent = await agent_client(app, workspace.agent.email)
    await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "ok"})
    await run_outbox(runtime)
    failed = (await messages_of(runtime, channel.inbox))[-1]
    assert failed.delivery_status == "failed"
    assert failed.delivery_error == "400: user blocked the account"
    outsider = await agent_client(app, workspace.outsider.email)
    denied = await outsider.post(f"/api/v1/conversations/{cid}/messages/{failed.id}/retry")
    assert denied.status_code == 404
    retried = await agent.post(f"/api/v1/conversations/{cid}/messages/{failed.id}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["delivery_status"] == "queued"
    again = await agent.post(f"/api/v1/conversations/{cid}/messages/{failed.id}/retry")
    assert again.status_code == 422 and again.json()["error"]["code"] == "not_retryable"
    await run_outbox(runtime)
    sent = (await messages_of(runtime, channel.inbox))[-1]
    assert sent.delivery_status == "sent"
    await agent.aclose()
    await outsider.aclose()


async def test_a_send_that_keeps_failing_is_dead_lettered_as_failed(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    channel: Channel,
) -> None:
    cid = await _incoming(client, channel)
    runner = runtime.worker.outbox
    runner.max_attempts = 2
    channel.provider.responses.extend([(503, {"error": "down"}, {}), (503, {"error": "down"}, {})])
    agent = await agent_client(app, workspace.agent.email)
    await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "ok"})
    for _ in range(2):
        await runner.run_due()
        async with runtime.db.write() as session:
            await session.execute(
                OutboxJob.__table__.update().values(next_attempt_at=utcnow())  # type: ignore[attr-defined]
            )
    failed = (await messages_of(runtime, channel.inbox))[-1]
    assert failed.delivery_status == "failed"
    assert failed.delivery_error is not None and "down" in failed.delivery_error
    await agent.aclose()


async def test_reply_window_allows_only_templates_after_24_hours(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    provider: tuple[FakeProvider, str],
) -> None:
    channel = await make_channel(runtime, workspace, provider, kind="fakewin")
    cid = await _incoming(client, channel)
    agent = await agent_client(app, workspace.agent.email)
    state = (await agent.get(f"/api/v1/conversations/{cid}/channel")).json()
    assert state["window_open"] is True and state["templates_supported"] is True
    async with runtime.db.write() as session:
        conversation = await session.get(Conversation, cid)
        assert conversation is not None
        old = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
        conversation.channel_context = {**conversation.channel_context, "last_inbound_at": old}
    state = (await agent.get(f"/api/v1/conversations/{cid}/channel")).json()
    assert state["window_open"] is False
    refused = await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hi"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "channel_window_closed"
    note = await agent.post(
        f"/api/v1/conversations/{cid}/messages", json={"text": "n", "kind": "note"}
    )
    assert note.status_code in (200, 201)  # notes never leave kefu
    templates = await agent.get(f"/api/v1/inboxes/{channel.inbox.id}/templates")
    assert templates.json()[0]["name"] == "order_update"
    sent = await agent.post(
        f"/api/v1/conversations/{cid}/templates",
        json={
            "name": "order_update",
            "language": "zh_TW",
            "parameters": ["A123"],
            "text": "您的訂單 A123 已出貨",
        },
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["channel_payload"]["template"]["parameters"] == ["A123"]
    await run_outbox(runtime)
    assert channel.provider.sent[-1]["template"] == "order_update"
    await agent.aclose()


async def test_templates_only_where_the_channel_has_them(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, channel: Channel
) -> None:
    cid = await _incoming(client, channel)
    agent = await agent_client(app, workspace.agent.email)
    body = {"name": "x", "language": "en", "text": "t"}
    refused = await agent.post(f"/api/v1/conversations/{cid}/templates", json=body)
    assert refused.json()["error"]["code"] == "templates_not_supported"
    outsider = await agent_client(app, workspace.outsider.email)
    assert (await outsider.get(f"/api/v1/conversations/{cid}/channel")).status_code == 404
    assert (
        await outsider.post(f"/api/v1/conversations/{cid}/templates", json=body)
    ).status_code == 404
    assert (await outsider.get(f"/api/v1/inboxes/{channel.inbox.id}/templates")).status_code == 404
    await agent.aclose()
    await outsider.aclose()


async def test_media_and_profile_are_fetched_after_the_commit(
    client: httpx.AsyncClient, runtime: Runtime, channel: Channel
) -> None:
    channel.provider.media["img1"] = png()
    event = {"id": "ev-m", "user": "U9", "text": "", "media": ["img1", "gone"]}
    assert (await post_webhook(client, channel.inbox, [event])).status_code == 200
    [message] = await messages_of(runtime, channel.inbox)
    assert message.channel_payload == {"pending_media": 2}
    await run_outbox(runtime)
    async with runtime.db.read() as session:
        files = list(
            await session.scalars(select(Attachment).where(Attachment.message_id == message.id))
        )
        refreshed = await session.get(Message, message.id)
        contact = await session.scalar(select(Contact))
    assert [(f.content_type, f.size) for f in files] == [("image/png", len(png()))]
    assert refreshed is not None and refreshed.channel_payload is not None
    assert "pending_media" not in refreshed.channel_payload
    assert refreshed.channel_payload["refused_media"][0]["reason"] == "media expired"
    assert contact is not None and contact.name == "LINE 用戶 U9"


async def test_no_automatic_reply_to_automatic_messages(
    client: httpx.AsyncClient, runtime: Runtime, channel: Channel
) -> None:
    async with runtime.db.write() as session:
        inbox = await session.get(Inbox, channel.inbox.id)
        assert inbox is not None
        await do_update_inbox_routing(
            session, actor=SystemPrincipal(), inbox=inbox, settings=RoutingSettings()
        )
    await post_webhook(client, channel.inbox, [{"id": "a1", "user": "U1", "text": "x", "auto": 1}])
    await runtime.dispatcher.settle()
    automatic = [m for m in await messages_of(runtime, channel.inbox) if m.kind == "outgoing"]
    assert automatic, "the greeting was written"
    assert {m.delivery_status for m in automatic} == {"skipped"}
    await run_outbox(runtime)
    assert channel.provider.sent == []
    # A person's message is answered automatically as usual.
    await post_webhook(client, channel.inbox, [{"id": "a2", "user": "U2", "text": "hello"}])
    await runtime.dispatcher.settle()
    await run_outbox(runtime)
    assert channel.provider.sent and {s["to"] for s in channel.provider.sent} == {"U2"}


async def test_automatic_replies_are_capped_per_customer(
    client: httpx.AsyncClient, runtime: Runtime, channel: Channel
) -> None:
    cid = await _incoming(client, channel)
    async with runtime.db.write() as session:
        conversation = await get_conversation(session=session, conversation_id=cid)
        assert conversation is not None
        for n in range(AUTOMATIC_REPLIES_PER_HOUR + 2):
            await append_message(
                session,
                conversation=conversation,
                kind="outgoing",
                actor=SystemPrincipal(),
                text=f"auto {n}",
            )
    statuses = [m.delivery_status for m in await messages_of(runtime, channel.inbox)][1:]
    assert statuses == ["queued"] * AUTOMATIC_REPLIES_PER_HOUR + ["skipped"] * 2


async def test_a_burst_of_webhooks_loses_none(
    client: httpx.AsyncClient, runtime: Runtime, channel: Channel
) -> None:
    """1,000 webhooks from 100 customers, 50 at a time, every tenth delivered twice (a
    redelivery): 1,000 messages. (bench/webhooks.py does the same against a real server.)"""

    async def deliver(n: int) -> None:
        event = [{"id": f"burst-{n}", "user": f"U{n % 100}", "text": f"訊息 {n}"}]
        for _ in range(2 if n % 10 == 0 else 1):
            response = await post_webhook(client, channel.inbox, event)
            assert response.status_code == 200, response.text

    for start in range(0, 1000, 50):
        await asyncio.gather(*(deliver(n) for n in range(start, start + 50)))
    messages = await messages_of(runtime, channel.inbox)
    assert sorted(int(m.text.split()[1]) for m in messages) == list(range(1000))
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count(Conversation.id))) == 100


async def test_a_watermark_status_reaches_every_earlier_message(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    channel: Channel,
) -> None:
    cid = await _incoming(client, channel)
    agent = await agent_client(app, workspace.agent.email)
    for text in ("one", "two"):
        await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": text})
    await run_outbox(runtime)
    before_third = datetime.now(UTC)
    await agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "three"})
    await run_outbox(runtime)
    watermark = {
        "id": "wm-1",
        "kind": "status",
        "user": "U1",
        "status": "read",
        "at": before_third.isoformat(),
    }
    assert (await post_webhook(client, channel.inbox, [watermark])).status_code == 200
    sent = [m for m in await messages_of(runtime, channel.inbox) if m.kind == "outgoing"]
    assert [m.delivery_status for m in sent] == ["read", "read", "sent"]
    await agent.aclose()
