"""WhatsApp through the whole app: an inbox created by the admin API, Meta's handshake, signed
webhooks becoming conversations, agents' replies going out through the outbox to the fake Cloud
API, statuses on the agent's message, failures, retries and templates outside the window."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.inboxes.models import Inbox
from kefu.messages.models import Attachment
from kefu.outbox.models import OutboxJob
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.settings import RoutingSettings
from kefu.runtime import Runtime
from tests.channels.meta_harness import MetaInbox
from tests.channels.provider_server import serve_asgi
from tests.channels.whatsapp.fake_api import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    VERSION,
    WABA_ID,
    FakeWhatsApp,
    graph_error,
)
from tests.conftest import Workspace, agent_client

FIXTURES = Path(__file__).parent / "fixtures"
CUSTOMER = "886912345678"


@dataclass
class WhatsApp(MetaInbox):
    channel = "whatsapp"
    app_secret = APP_SECRET

    fake: FakeWhatsApp


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def statuses(*items: tuple[str, str]) -> bytes:
    """A statuses webhook in the documented shape for (wamid, status) pairs."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [
            {"id": wamid, "status": status, "timestamp": "1749416600", "recipient_id": CUSTOMER}
            for wamid, status in items
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


@pytest.fixture
async def wa(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> AsyncIterator[WhatsApp]:
    fake = FakeWhatsApp()
    async with serve_asgi(fake.app()) as base_url:
        admin = await agent_client(app, workspace.admin.email)
        created = await admin.post(
            "/api/v1/inboxes",
            json={
                "name": "WhatsApp",
                "member_ids": [workspace.agent.id],
                "channel_type": "whatsapp",
                "channel_config": {
                    "api_base": base_url,
                    "api_version": VERSION,
                    "phone_number_id": PHONE_NUMBER_ID,
                    "waba_id": WABA_ID,
                },
                "channel_secrets": {
                    "access_token": ACCESS_TOKEN,
                    "app_secret": APP_SECRET,
                    "verify_token": VERIFY_TOKEN,
                },
            },
        )
        assert created.status_code == 201, created.text
        assert ACCESS_TOKEN not in created.text and APP_SECRET not in created.text
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
        yield WhatsApp(inbox, agent, client, runtime, fake=fake)
        await agent.aclose()


async def retry_now(runtime: Runtime) -> None:
    async with runtime.db.write() as session:
        await session.execute(
            OutboxJob.__table__.update().values(next_attempt_at=utcnow())  # type: ignore[attr-defined]
        )


async def test_handshake_answers_the_challenge_only_for_the_verify_token(wa: WhatsApp) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "987654"}
    ok = await wa.client.get(wa.url, params=query)
    assert (ok.status_code, ok.text) == (200, "987654")
    wrong = await wa.client.get(wa.url, params={**query, "hub.verify_token": "nope"})
    assert wrong.status_code == 403


async def test_signed_webhook_becomes_a_conversation_once(wa: WhatsApp) -> None:
    first = await wa.post(fixture("text.json"))
    again = await wa.post(fixture("text.json"))  # Meta redelivers until it gets a 200
    assert first.status_code == 200, first.text
    assert first.json()["messages"] == 1
    assert again.json() == {"ok": True, "messages": 0, "duplicates": 1}
    [message] = await wa.messages()
    assert message.kind == "incoming"
    assert message.text == "你好, my order https://shop.example/o/123 has not arrived"
    assert message.external_id is not None and message.external_id.startswith("wamid.")
    cid = await wa.conversation_id()
    conversation = (await wa.agent.get(f"/api/v1/conversations/{cid}")).json()
    assert conversation["contact"]["name"] == "陳小明 Sheena"
    async with wa.runtime.db.read() as session:
        contact = await session.scalar(select(Contact))
    assert contact is not None and contact.phone == "+886912345678"  # vouched for by WhatsApp


async def test_wrong_signature_is_401_and_stores_nothing(wa: WhatsApp) -> None:
    response = await wa.post(fixture("text.json"), secret="not the app secret")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    unsigned = await wa.client.post(wa.url, content=fixture("text.json"))
    assert unsigned.status_code == 401
    assert await wa.messages() == []
    async with wa.runtime.db.read() as session:
        assert await session.scalar(select(func.count(Contact.id))) == 0


async def test_malformed_payload_is_400_json_and_logged(
    wa: WhatsApp, caplog: pytest.LogCaptureFixture
) -> None:
    response = await wa.post(b'{"object": "page", "entry": []}')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"
    assert "expected 'whatsapp_business_account'" in caplog.text
    assert await wa.messages() == []


async def test_agent_reply_goes_out_and_statuses_update_it(wa: WhatsApp) -> None:
    await wa.post(fixture("text.json"))
    reply = await wa.reply("已為您查詢，包裹明天送達")
    assert reply["delivery_status"] == "queued"
    await wa.runtime.worker.outbox.run_due()
    assert wa.fake.sent == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": CUSTOMER,
            "type": "text",
            "text": {"preview_url": False, "body": "已為您查詢，包裹明天送達"},
        }
    ]
    assert wa.fake.requests[0].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    sent = await wa.api_message(reply["id"])
    assert sent["delivery_status"] == "sent"
    assert (await wa.post(statuses(("wamid.FAKE1", "delivered")))).status_code == 200
    assert (await wa.api_message(reply["id"]))["delivery_status"] == "delivered"
    await wa.post(statuses(("wamid.FAKE1", "read"), ("wamid.FAKE1", "delivered")))
    assert (await wa.api_message(reply["id"]))["delivery_status"] == "read"


async def test_a_failed_status_shows_whatsapps_reason(wa: WhatsApp) -> None:
    await wa.post(fixture("text.json"))
    await wa.reply("one")
    reply = await wa.reply("two")
    await wa.runtime.worker.outbox.run_due()
    # statuses.json fails wamid.FAKE2 (the second reply) with 131026 after it was sent.
    assert (await wa.post(fixture("statuses.json"))).status_code == 200
    failed = await wa.api_message(reply["id"])
    assert failed["delivery_status"] == "failed"
    assert failed["delivery_error"] == "Message undeliverable: Message Undeliverable. (code 131026)"


async def test_window_closed_answer_fails_the_message_with_the_reason(wa: WhatsApp) -> None:
    await wa.post(fixture("text.json"))
    wa.fake.fail_next.append(
        graph_error(
            400,
            131047,
            "(#131047) Re-engagement message",
            details="Message failed to send because more than 24 hours have passed since the "
            "customer last replied to this number.",
        )
    )
    reply = await wa.reply("Hello?")
    await wa.runtime.worker.outbox.run_due()
    failed = await wa.api_message(reply["id"])
    assert failed["delivery_status"] == "failed"
    assert "more than 24 hours" in failed["delivery_error"]
    assert len(wa.fake.sent) == 1  # permanent: not retried


async def test_rate_limit_is_retried_after_retry_after(wa: WhatsApp) -> None:
    await wa.post(fixture("text.json"))
    status, body, _ = graph_error(429, 130429, "Rate limit hit")
    wa.fake.fail_next.append((status, body, {"Retry-After": "30"}))
    reply = await wa.reply("Hi")
    await wa.runtime.worker.outbox.run_due()
    queued = await wa.api_message(reply["id"])
    assert queued["delivery_status"] == "queued"
    assert "Rate limit hit" in queued["delivery_error"]
    await retry_now(wa.runtime)
    await wa.runtime.worker.outbox.run_due()
    assert (await wa.api_message(reply["id"]))["delivery_status"] == "sent"
    assert len(wa.fake.sent) == 2  # the refused try and the good one: delivered exactly once


async def test_outside_the_window_only_a_template_goes_out(wa: WhatsApp) -> None:
    await wa.post(fixture("text.json"))
    cid = await wa.conversation_id()
    async with wa.runtime.db.write() as session:
        conversation = await session.get(Conversation, cid)
        assert conversation is not None
        old = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
        conversation.channel_context = {**conversation.channel_context, "last_inbound_at": old}
    state = (await wa.agent.get(f"/api/v1/conversations/{cid}/channel")).json()
    assert state["window_open"] is False and state["templates_supported"] is True
    refused = await wa.agent.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hi"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "channel_window_closed"
    wa.fake.templates = [
        {
            "name": "order_update",
            "language": "zh_TW",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "{{1}} 您好，訂單 {{2}} 已出貨"}],
        }
    ]
    offered = (await wa.agent.get(f"/api/v1/inboxes/{wa.inbox.id}/templates")).json()
    assert offered == [
        {
            "name": "order_update",
            "language": "zh_TW",
            "category": "UTILITY",
            "body_text": "{{1}} 您好，訂單 {{2}} 已出貨",
            "parameter_count": 2,
        }
    ]
    sent = await wa.agent.post(
        f"/api/v1/conversations/{cid}/templates",
        json={
            "name": "order_update",
            "language": "zh_TW",
            "parameters": ["王小姐", "A-1024"],
            "text": "王小姐 您好，訂單 A-1024 已出貨",
        },
    )
    assert sent.status_code == 201, sent.text
    await wa.runtime.worker.outbox.run_due()
    [template] = wa.fake.sent
    assert template["type"] == "template"
    assert template["template"] == {
        "name": "order_update",
        "language": {"code": "zh_TW"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "王小姐"},
                    {"type": "text", "text": "A-1024"},
                ],
            }
        ],
    }
    assert (await wa.api_message(sent.json()["id"]))["delivery_status"] == "sent"


async def test_inbound_image_is_fetched_after_the_commit(wa: WhatsApp) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x00" * 64
    wa.fake.media["1003383421387256"] = (jpeg, "image/jpeg")
    body = json.loads(fixture("media.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["messages"] = value["messages"][:1]  # the photo
    assert (await wa.post(json.dumps(body).encode())).status_code == 200
    await wa.runtime.worker.outbox.run_due()
    [message] = await wa.messages()
    assert message.text == "The broken part"
    async with wa.runtime.db.read() as session:
        files = list(
            await session.scalars(select(Attachment).where(Attachment.message_id == message.id))
        )
    assert [(f.content_type, f.size) for f in files] == [("image/jpeg", len(jpeg))]
    downloads = [r for r in wa.fake.requests if r.path.startswith("/media-download/")]
    assert downloads and downloads[0].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
