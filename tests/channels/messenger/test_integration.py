"""Messenger through the whole app: an inbox created by the admin API, Meta's handshake, signed
webhooks becoming conversations (postbacks too, echoes skipped), the sender's profile fetched,
agents' replies going out through the outbox to the fake Send API, deliveries on the agent's
message, the window refusal and rate-limit retries."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.contacts.models import Contact
from kefu.db import utcnow
from kefu.inboxes.models import Inbox
from kefu.outbox.models import OutboxJob
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.settings import RoutingSettings
from kefu.runtime import Runtime
from tests.channels.messenger.fake_api import (
    APP_SECRET,
    PAGE_ID,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    VERSION,
    FakeMessenger,
    graph_error,
)
from tests.channels.meta_harness import MetaInbox
from tests.channels.provider_server import serve_asgi
from tests.conftest import Workspace, agent_client

FIXTURES = Path(__file__).parent / "fixtures"
PSID = "6789012345678901"


@dataclass
class Messenger(MetaInbox):
    channel = "messenger"
    app_secret = APP_SECRET

    fake: FakeMessenger


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def only(fixture_name: str, index: int) -> bytes:
    """One messaging item of a fixture, in a body of its own."""
    body = json.loads(fixture(fixture_name))
    body["entry"][0]["messaging"] = [body["entry"][0]["messaging"][index]]
    return json.dumps(body).encode()


@pytest.fixture
async def fb(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> AsyncIterator[Messenger]:
    fake = FakeMessenger()
    fake.profiles[PSID] = {
        "first_name": "美玲",
        "last_name": "林",
        "profile_pic": "https://x/p.jpg",
    }
    async with serve_asgi(fake.app()) as base_url:
        admin = await agent_client(app, workspace.admin.email)
        created = await admin.post(
            "/api/v1/inboxes",
            json={
                "name": "Messenger",
                "member_ids": [workspace.agent.id],
                "channel_type": "messenger",
                "channel_config": {
                    "api_base": base_url,
                    "api_version": VERSION,
                    "page_id": PAGE_ID,
                },
                "channel_secrets": {
                    "page_access_token": PAGE_TOKEN,
                    "app_secret": APP_SECRET,
                    "verify_token": VERIFY_TOKEN,
                },
            },
        )
        assert created.status_code == 201, created.text
        assert PAGE_TOKEN not in created.text
        await admin.aclose()
        async with runtime.db.write() as session:
            inbox = await session.get(Inbox, created.json()["id"])
            assert inbox is not None
            quiet = RoutingSettings(
                greeting_enabled=False,
                queued_reply_enabled=False,
                outside_hours_reply_enabled=False,
            )
            await do_update_inbox_routing(
                session, actor=SystemPrincipal(), inbox=inbox, settings=quiet
            )
        agent = await agent_client(app, workspace.agent.email)
        yield Messenger(inbox, agent, client, runtime, fake=fake)
        await agent.aclose()


async def test_handshake(fb: Messenger) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "c-42"}
    ok = await fb.client.get(fb.url, params=query)
    assert (ok.status_code, ok.text) == (200, "c-42")
    assert (
        await fb.client.get(fb.url, params={**query, "hub.verify_token": "x"})
    ).status_code == 403


async def test_message_becomes_a_conversation_once_and_the_profile_names_it(
    fb: Messenger,
) -> None:
    assert (await fb.post(fixture("text.json"))).json()["messages"] == 1
    assert (await fb.post(fixture("text.json"))).json()["duplicates"] == 1
    [message] = await fb.messages()
    assert message.text == "請問還有貨嗎? https://shop.example/p/42"
    await fb.runtime.worker.outbox.run_due()  # the profile job
    cid = await fb.conversation_id()
    conversation = (await fb.agent.get(f"/api/v1/conversations/{cid}")).json()
    assert conversation["contact"]["name"] == "美玲 林"
    [profile] = [r for r in fb.fake.requests if r.path == f"/{VERSION}/{PSID}"]
    assert profile.headers["authorization"] == f"Bearer {PAGE_TOKEN}"


async def test_wrong_signature_is_401_and_stores_nothing(fb: Messenger) -> None:
    response = await fb.post(fixture("text.json"), secret="whatsapp-app-secret")
    assert response.status_code == 401
    assert await fb.messages() == []
    async with fb.runtime.db.read() as session:
        assert await session.scalar(select(func.count(Contact.id))) == 0


async def test_malformed_payload_is_400(fb: Messenger) -> None:
    body = json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "messaging": 5}]})
    response = await fb.post(body.encode())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"


async def test_echo_is_skipped_and_postback_becomes_a_message(fb: Messenger) -> None:
    echo = await fb.post(fixture("echo.json"))
    assert echo.status_code == 200 and echo.json()["messages"] == 0
    assert await fb.messages() == []
    postback = await fb.post(only("kinds.json", 5))
    assert postback.json()["messages"] == 1
    [message] = await fb.messages()
    assert message.text == "Talk to a person"
    assert message.channel_payload == {"postback_payload": "HUMAN_HANDOFF"}


async def test_agent_reply_goes_out_and_a_delivery_updates_it(fb: Messenger) -> None:
    await fb.post(fixture("text.json"))
    reply = await fb.reply("還有的，請問要幾件？")
    await fb.runtime.worker.outbox.run_due()
    [sent] = [r for r in fb.fake.requests if r.path.endswith("/messages")]
    assert sent.path == f"/{VERSION}/{PAGE_ID}/messages"
    assert sent.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    assert sent.json == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "還有的，請問要幾件？"},
    }
    assert (await fb.api_message(reply["id"]))["delivery_status"] == "sent"
    # statuses.json: m_FAKE1 and m_FAKE2 delivered, then watermarks.
    assert (await fb.post(fixture("statuses.json"))).status_code == 200
    assert (await fb.api_message(reply["id"]))["delivery_status"] == "delivered"


async def test_outside_the_window_the_message_fails_with_the_reason(fb: Messenger) -> None:
    await fb.post(fixture("text.json"))
    fb.fake.outside_window.add(PSID)
    reply = await fb.reply("Hello?")
    await fb.runtime.worker.outbox.run_due()
    failed = await fb.api_message(reply["id"])
    assert failed["delivery_status"] == "failed"
    assert "outside of allowed window" in failed["delivery_error"]


async def test_rate_limit_is_retried(fb: Messenger) -> None:
    await fb.post(fixture("text.json"))
    await fb.runtime.worker.outbox.run_due()  # the profile job first
    status, body, _ = graph_error(429, 613, "Calls to this api have exceeded the rate limit.")
    fb.fake.fail_next.append((status, body, {"Retry-After": "20"}))
    reply = await fb.reply("Hi")
    await fb.runtime.worker.outbox.run_due()
    assert (await fb.api_message(reply["id"]))["delivery_status"] == "queued"
    async with fb.runtime.db.write() as session:
        await session.execute(
            OutboxJob.__table__.update().values(next_attempt_at=utcnow())  # type: ignore[attr-defined]
        )
    await fb.runtime.worker.outbox.run_due()
    assert (await fb.api_message(reply["id"]))["delivery_status"] == "sent"
    assert len(fb.fake.sent) == 2
