"""The customer's transcript by email, delivered by the outbox to a real (local) SMTP server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from kefu.config import Settings
from kefu.outbox.runner import OutboxRunner
from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client, visitor_send
from tests.mailbox import Mailbox, part, serve_mailbox

PERMISSION_TESTED = {
    "POST /api/v1/widget/{inbox_key}/conversations/{conversation_id}/transcript",
}

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from serve_mailbox()


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_tls": "none",
            "smtp_from": "Support <support@shop.example.com>",
        }
    )


async def test_the_customer_gets_the_conversation_by_email_without_internal_notes(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    key = workspace.inbox.public_key
    config = (await client.get(f"/api/v1/widget/{key}/config")).json()
    assert config["transcript"] is True
    sent = await visitor_send(client, workspace.inbox, f"我的訂單 {XSS}")
    token, public_id = sent["visitor_token"], sent["conversation"]["id"]
    headers = {"x-kefu-visitor": token}
    mei = await agent_client(app, workspace.agent.email)
    conv_id = (await mei.get("/api/v1/conversations")).json()["items"][0]["id"]
    base = f"/api/v1/conversations/{conv_id}/messages"
    await mei.post(base, json={"text": "您好,已為您查詢\n第二行"})
    await mei.post(base, json={"text": "SECRET internal note", "kind": "note"})
    url = f"/api/v1/widget/{key}/conversations/{public_id}/transcript"

    # No address on file: the widget asks for one.
    asked = await client.post(url, json={}, headers=headers)
    assert asked.status_code == 422 and asked.json()["error"]["code"] == "email_required"
    bad = await client.post(url, json={"email": "not an address"}, headers=headers)
    assert bad.status_code == 422
    ok = await client.post(url, json={"email": "Customer@Example.com"}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"sent_to": "c***@example.com"}
    assert mailbox.received == []  # sent by the worker, after the commit

    await runtime.worker.run_once()
    [(sender, recipients, message)] = mailbox.received
    assert recipients == ["customer@example.com"]
    assert sender == "support@shop.example.com"
    assert message["To"] == "customer@example.com"
    assert message["Subject"] == "您與Website的對話紀錄"  # the inbox's language (zh-TW)
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = part(message, "plain"), part(message, "html")
    for body in (text, html):
        assert "您好,已為您查詢" in body and "第二行" in body and "王小美" in body
        assert "SECRET" not in body
    assert f"我的訂單 {XSS}" in text
    assert "我的訂單 &lt;img src=x onerror=alert(1)&gt;" in html and XSS not in html

    # The address is the contact's now: transcripts go there and nowhere else.
    elsewhere = await client.post(url, json={"email": "victim@example.org"}, headers=headers)
    assert elsewhere.status_code == 422
    assert elsewhere.json()["error"]["code"] == "email_mismatch"
    assert (await client.post(url, json={}, headers=headers)).status_code == 200

    # The agents see that it was asked for.
    items = (await mei.get(base)).json()["items"]
    assert [m["activity"]["type"] for m in items if m["kind"] == "activity"] == [
        "transcript_requested",
        "transcript_requested",
    ]
    await mei.aclose()


async def test_transcript_requests_are_rate_limited_and_scoped_to_the_visitor(
    client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime, mailbox: Mailbox
) -> None:
    key = workspace.inbox.public_key
    response = await client.post(
        f"/api/v1/widget/{key}/messages",
        json={
            "text": "hello",
            "client_msg_id": uuid.uuid4().hex,
            "prechat": {"email": "known@example.com"},
        },
    )
    sent = response.json()
    token, public_id = sent["visitor_token"], sent["conversation"]["id"]
    url = f"/api/v1/widget/{key}/conversations/{public_id}/transcript"
    headers = {"x-kefu-visitor": token}
    for _ in range(3):
        ok = await client.post(url, json={}, headers=headers)
        assert ok.json() == {"sent_to": "k***@example.com"}
    limited = await client.post(url, json={}, headers=headers)
    assert limited.status_code == 429 and limited.headers["retry-after"]

    stranger = (await visitor_send(client, workspace.inbox, "me too"))["visitor_token"]
    other = await client.post(url, json={}, headers={"x-kefu-visitor": stranger})
    assert other.status_code == 404
    assert (await client.post(url, json={})).status_code == 401
    crossed = url.replace(key, workspace.other_inbox.public_key)
    assert (await client.post(crossed, json={}, headers=headers)).status_code == 401
    assert (await client.post(url, json={"email": 5}, headers=headers)).status_code == 422

    # Three emails went out, through a runner of another node too (exactly once each).
    second = OutboxRunner(runtime.settings, runtime.db)
    await second.run_due()
    await runtime.worker.run_once()
    assert [r for _, r, _ in mailbox.received] == [["known@example.com"]] * 3
