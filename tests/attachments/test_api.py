"""Files both ways over HTTP: an agent's image reaches the customer, a customer's file reaches
the agents, internal notes' files never reach the customer; payloads, events, previews and
retries behave as for text messages."""

from __future__ import annotations

import httpx
import orjson
from fastapi import FastAPI

from kefu.attachments.links import contact_link
from kefu.events import types
from kefu.events.schemas import validate_payload
from kefu.messages.models import Attachment
from kefu.runtime import Runtime
from tests.attachments import samples
from tests.attachments.helpers import (
    agent_upload,
    counts,
    start_chat,
    stored,
    visitor_upload,
)
from tests.conftest import EventCapture, Workspace, agent_client

FILE_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
}


def assert_file_headers(response: httpx.Response) -> None:
    for name, value in FILE_HEADERS.items():
        assert response.headers[name] == value, name


async def test_agent_image_reaches_the_customer(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    runtime: Runtime,
    capture_events: EventCapture,
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    chat = await start_chat(client, workspace, agent)
    image = samples.png(4, 3)
    sent = await agent_upload(
        agent,
        chat.id,
        [("截圖.png", image, "image/png")],
        text="請看這張圖",
        client_msg_id="img-1",
    )
    assert sent.status_code == 201, sent.text
    message = sent.json()
    [attachment] = message["attachments"]
    assert message["text"] == "請看這張圖" and message["kind"] == "outgoing"
    assert attachment == {
        "id": attachment["id"],
        "file_name": "截圖.png",
        "content_type": "image/png",
        "size": len(image),
        "kind": "image",
        "width": 4,
        "height": 3,
        "url": f"/api/v1/attachments/{attachment['id']}",
    }

    # A retry (same client_msg_id) answers with the same message and keeps no second copy.
    again = await agent_upload(
        agent, chat.id, [("截圖.png", image, "image/png")], text="請看這張圖", client_msg_id="img-1"
    )
    assert again.json()["id"] == message["id"]
    assert await counts(runtime) == (1, 2)
    assert len(stored(runtime)) == 1

    # The events: one message.created, for agents and for the customer, both valid.
    [event] = [
        e
        for e in capture_events.of_type(types.MESSAGE_CREATED)
        if e.agent["message"]["id"] == message["id"]
    ]
    wire = orjson.loads(orjson.dumps(event.to_wire()))
    validate_payload(event.type, wire["agent"], audience="agent")
    validate_payload(event.type, wire["contact"], audience="contact")
    assert wire["agent"]["message"] == message
    [seen] = wire["contact"]["message"]["attachments"]
    assert seen["kind"] == "image" and seen["url"].startswith("/api/v1/files/")
    assert "id" not in seen  # customers never see internal ids

    # The customer loads it through the signed link in their payload (no header: as <img>).
    session = await client.get(
        f"/api/v1/widget/{workspace.inbox.public_key}/session",
        headers={"x-kefu-visitor": chat.token},
    )
    [link] = [a["url"] for m in session.json()["messages"] for a in m["attachments"]]
    fetched = await client.get(link)
    assert fetched.status_code == 200
    assert fetched.content == image
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.headers["content-disposition"].startswith("inline; ")
    assert fetched.headers["cross-origin-resource-policy"] == "cross-origin"
    assert_file_headers(fetched)
    for url in (seen["url"], link):  # the event's link works too
        assert (await client.get(url)).status_code == 200
    download = await client.get(link + "&download=1")
    assert download.headers["content-disposition"].startswith("attachment; ")

    # Agents load it with their session (the console's <img>).
    own = await agent.get(attachment["url"])
    assert own.status_code == 200 and own.content == image
    assert own.headers["cross-origin-resource-policy"] == "same-origin"
    assert_file_headers(own)
    conversation = (await agent.get(f"/api/v1/conversations/{chat.id}")).json()
    assert conversation["last_message_attachment"] == "image"
    assert conversation["last_message_preview"] == "請看這張圖"
    await agent.aclose()


async def test_customer_file_reaches_the_agents(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    chat = await start_chat(client, workspace, agent)
    sent = await visitor_upload(
        client,
        workspace,
        chat.token,
        [("報價單.pdf", samples.PDF, "application/pdf"), ("scan", samples.JPEG, "")],
        client_msg_id="files-1",
    )
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["conversation"]["id"] == chat.public_id and body["created"] is True
    message = body["message"]
    assert message["text"] == "" and message["client_msg_id"] == "files-1"
    names = [(a["file_name"], a["kind"]) for a in message["attachments"]]
    assert names == [("報價單.pdf", "file"), ("scan.jpg", "image")]  # the extension follows

    page = (await agent.get(f"/api/v1/conversations/{chat.id}/messages")).json()["items"]
    pdf, jpeg = page[-1]["attachments"]
    assert pdf["content_type"] == "application/pdf" and pdf["size"] == len(samples.PDF)
    fetched = await agent.get(pdf["url"])
    assert fetched.status_code == 200 and fetched.content == samples.PDF
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.headers["content-disposition"] == (
        "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E5%A0%B1%E5%83%B9%E5%96%AE.pdf"
    )
    assert_file_headers(fetched)
    listed = (await agent.get("/api/v1/conversations", params={"status": "all"})).json()
    assert listed["items"][0]["last_message_attachment"] == "file"
    assert listed["items"][0]["last_message_preview"] == "報價單.pdf"

    # The customer's own copy downloads (a PDF is never shown inline).
    link = message["attachments"][0]["url"]
    mine = await client.get(link)
    assert mine.status_code == 200 and mine.content == samples.PDF
    assert mine.headers["content-disposition"].startswith("attachment; ")
    assert await counts(runtime) == (2, 2) and len(stored(runtime)) == 2
    await agent.aclose()


async def test_files_on_internal_notes_never_reach_the_customer(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    runtime: Runtime,
    capture_events: EventCapture,
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    chat = await start_chat(client, workspace, agent)
    note = await agent_upload(
        agent, chat.id, [("內部.txt", samples.TEXT, "text/plain")], kind="note"
    )
    assert note.status_code == 201, note.text
    assert note.json()["kind"] == "note"
    [event] = [
        e
        for e in capture_events.of_type(types.MESSAGE_CREATED)
        if e.agent["message"]["id"] == note.json()["id"]
    ]
    assert event.contact is None and event.contact_id is None
    session = await client.get(
        f"/api/v1/widget/{workspace.inbox.public_key}/session",
        headers={"x-kefu-visitor": chat.token},
    )
    assert all(not m["attachments"] for m in session.json()["messages"])
    # Even a correctly signed link (as if one had leaked) does not open a note's file.
    async with runtime.db.read() as db:
        row = await db.get(Attachment, note.json()["attachments"][0]["id"])
    assert row is not None
    leaked = await client.get(contact_link(row))
    assert leaked.status_code == 404
    await agent.aclose()
