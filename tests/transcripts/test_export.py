"""Agents export a conversation as one self-contained HTML file; without SMTP, customers are
not offered transcripts by email."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy.orm.attributes import set_committed_value

from kefu.messages.models import Message
from kefu.transcripts.render import TranscriptView, render_html, render_text
from tests.conftest import Workspace, agent_client, visitor_send

PERMISSION_TESTED = {
    "GET /api/v1/conversations/{conversation_id}/transcript",
}

XSS = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


async def test_the_html_export_is_self_contained_and_escapes_everything(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    key = workspace.inbox.public_key
    sent = await client.post(
        f"/api/v1/widget/{key}/messages",
        json={
            "text": f"hello {XSS}",
            "client_msg_id": uuid.uuid4().hex,
            "prechat": {"name": f"Eve {XSS}"},
        },
    )
    assert sent.status_code == 200
    mei = await agent_client(app, workspace.agent.email)
    conv_id = (await mei.get("/api/v1/conversations")).json()["items"][0]["id"]
    messages = f"/api/v1/conversations/{conv_id}/messages"
    await mei.post(messages, json={"text": f"reply </li></ol><script>alert(2)</script> {XSS}"})
    await mei.post(messages, json={"text": "NOTE: refund approved", "kind": "note"})
    url = f"/api/v1/conversations/{conv_id}/transcript"

    response = await mei.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="conversation-{conv_id}.html"'
    )
    assert "sandbox" in response.headers["content-security-policy"]
    page = response.text
    assert page.startswith("<!doctype html>")
    assert XSS not in page and "<script" not in page
    assert f"hello {ESCAPED}" in page and f"Eve {ESCAPED}" in page
    assert "&lt;/li&gt;&lt;/ol&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page
    # Nothing loaded from anywhere: no tags that fetch, no URLs, a CSP that allows no requests.
    assert not re.search(r"<(img|script|link|iframe|object|embed)\b", page)
    assert not re.search(r"https?://|url\(", page)
    assert "default-src 'none'" in page and "<style>" in page
    assert "NOTE: refund approved" not in page  # internal notes only when asked

    with_notes = (await mei.get(url, params={"include_notes": "true"})).text
    assert "NOTE: refund approved" in with_notes
    assert "內部備註" in with_notes  # Mei's console language is zh-TW: the file says so

    outsider = await agent_client(app, workspace.outsider.email)
    assert (await outsider.get(url)).status_code == 404
    assert (await client.get(url)).status_code == 401
    assert (await mei.get(url, params={"include_notes": "maybe"})).status_code == 422
    assert (await mei.get("/api/v1/conversations/999999/transcript")).status_code == 404
    await outsider.aclose()
    await mei.aclose()


async def test_without_smtp_the_widget_does_not_offer_transcripts(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    key = workspace.inbox.public_key
    assert (await client.get(f"/api/v1/widget/{key}/config")).json()["transcript"] is False
    sent = await visitor_send(client, workspace.inbox, "hi")
    refused = await client.post(
        f"/api/v1/widget/{key}/conversations/{sent['conversation']['id']}/transcript",
        json={"email": "me@example.com"},
        headers={"x-kefu-visitor": sent["visitor_token"]},
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "email_unavailable"


def test_english_email_bodies_label_the_customer_as_you_in_their_timezone() -> None:
    sent = datetime(2026, 11, 24, 1, 5, tzinfo=UTC)
    message = Message(
        id=1,
        conversation_id=1,
        seq=1,
        kind="incoming",
        text="line 1\nline 2",
        created_at=sent,
        sender_user_id=None,
        sender_contact_id=3,
    )
    set_committed_value(message, "sender_user", None)
    set_committed_value(message, "attachments", [])
    view = TranscriptView(
        locale="en",
        inbox_name="Shop <Support>",
        contact_name="",
        contact_id=3,
        zone=ZoneInfo("America/New_York"),
        started_at=sent,
        generated_at=sent,
        for_customer=True,
    )
    assert view.t("subject", inbox=view.inbox_name) == "Your conversation with Shop <Support>"
    text = render_text(view, [message])
    assert "[2026-11-23 20:05] You:\n  line 1\n  line 2" in text  # New York time
    assert "Times in America/New_York" in text and "please do not reply" in text
    page = render_html(view, [message])
    assert "Shop &lt;Support&gt;" in page and "Shop <Support>" not in page
    assert '<html lang="en">' in page
