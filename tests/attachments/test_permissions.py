"""Who may send and fetch files: agents only in conversations they may see, customers only in
their own conversation and only through valid, unexpired links; settings are for admins."""

from __future__ import annotations

import time

import httpx
from fastapi import FastAPI
from itsdangerous import TimestampSigner
from sqlalchemy import select

from kefu.attachments.links import CONTACT_SALT
from kefu.messages.models import Attachment
from kefu.runtime import Runtime
from tests.attachments import samples
from tests.attachments.helpers import agent_upload, error_code, start_chat, visitor_upload
from tests.conftest import Workspace, agent_client, visitor_send

PERMISSION_TESTED = {
    "POST /api/v1/conversations/{conversation_id}/attachments",
    "GET /api/v1/attachments/{attachment_id}",
    "POST /api/v1/widget/{inbox_key}/attachments",
    "GET /api/v1/files/{public_id}",
    "GET /api/v1/inboxes/{inbox_id}/attachment-settings",
    "PUT /api/v1/inboxes/{inbox_id}/attachment-settings",
}


async def attachment_row(runtime: Runtime, attachment_id: int | str) -> Attachment:
    """By id, or by public id."""
    key = Attachment.public_id if isinstance(attachment_id, str) else Attachment.id
    async with runtime.db.read() as session:
        row = await session.scalar(select(Attachment).where(key == attachment_id))
    assert row is not None
    return row


async def test_agents_reach_files_only_through_their_conversations(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    colleague = await agent_client(app, workspace.agent2.email)
    outsider = await agent_client(app, workspace.outsider.email)
    chat = await start_chat(client, workspace, agent)
    sent = await agent_upload(agent, chat.id, [("a.png", samples.png(), "image/png")])
    url = sent.json()["attachments"][0]["url"]

    assert (await colleague.get(url)).status_code == 200  # a member of the inbox
    assert (await outsider.get(url)).status_code == 404  # an agent of another inbox
    refused = await agent_upload(outsider, chat.id, [("b.png", samples.png(), "image/png")])
    assert refused.status_code == 404
    assert (await agent.get("/api/v1/attachments/999999")).status_code == 404
    assert (await client.get(url)).status_code == 401  # no session at all
    for c in (agent, colleague, outsider):
        await c.aclose()


async def test_customers_reach_only_their_files_through_valid_links(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    chat = await start_chat(client, workspace, agent)
    mine = await visitor_upload(client, workspace, chat.token, [("a.png", samples.png(), "")])
    link = mine.json()["message"]["attachments"][0]["url"]
    assert (await client.get(link)).status_code == 200

    # Another visitor, with their own file and link.
    other = await start_chat(client, workspace, agent, text="我是另一位")
    theirs = await visitor_upload(client, workspace, other.token, [("b.txt", samples.TEXT, "")])
    their_link = theirs.json()["message"]["attachments"][0]["url"]
    public_id, token = link.removeprefix("/api/v1/files/").split("?t=")
    their_id, their_token = their_link.removeprefix("/api/v1/files/").split("?t=")

    async def get(file_id: str, t: str | None, **headers: str) -> httpx.Response:
        query = f"?t={t}" if t is not None else ""
        return await client.get(f"/api/v1/files/{file_id}{query}", headers=headers)

    # Their link's signature does not open my file, and their visitor token is no key.
    swapped = await get(public_id, their_token)
    assert swapped.status_code == 403 and error_code(swapped) == "attachment_link_invalid"
    no_link = await get(their_id, None, **{"x-kefu-visitor": chat.token})
    assert no_link.status_code == 401
    forged = await get(public_id, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert forged.status_code == 403 and error_code(forged) == "attachment_link_invalid"
    assert (await get("f" * 32, token)).status_code == 404
    assert (await get("../../etc/passwd", token)).status_code == 404

    # An expired link: made two days ago.
    row = await attachment_row(runtime, public_id)
    signer = TimestampSigner(row.access_key, salt=CONTACT_SALT)
    signer.get_timestamp = lambda: int(time.time()) - 2 * 86400  # type: ignore[method-assign]
    old = signer.sign(row.public_id).decode()[len(row.public_id) + 1 :]
    expired = await get(row.public_id, old)
    assert expired.status_code == 403 and error_code(expired) == "attachment_link_expired"

    # A visitor's upload always lands in their own conversation; another inbox's token is no key.
    other_inbox = await visitor_send(client, workspace.other_inbox, "hi")
    wrong_inbox = await visitor_upload(
        client, workspace, other_inbox["visitor_token"], [("c.png", samples.png(), "")]
    )
    assert wrong_inbox.status_code == 401
    evil = await client.post(
        f"/api/v1/widget/{workspace.inbox.public_key}/attachments",
        files=[("files", ("c.png", samples.png(), "image/png"))],
        headers={"x-kefu-visitor": chat.token, "origin": "https://evil.example.net"},
    )
    assert evil.status_code == 403 and error_code(evil) == "origin_not_allowed"
    await agent.aclose()


async def test_attachment_settings_are_read_by_members_and_edited_by_admins(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    agent = await agent_client(app, workspace.agent.email)
    outsider = await agent_client(app, workspace.outsider.email)
    url = f"/api/v1/inboxes/{workspace.inbox.id}/attachment-settings"
    body = {"customer_uploads": True, "max_bytes": 5_000_000, "allowed_types": ["image/png"]}

    defaults = await agent.get(url)  # a member reads them (the console checks sizes)
    assert defaults.status_code == 200
    assert defaults.json()["max_bytes"] == 10 * 1024 * 1024
    assert defaults.json()["customer_uploads"] is True
    assert "image/png" in defaults.json()["allowed_types"]
    assert (await outsider.get(url)).status_code == 404
    assert (await agent.put(url, json=body)).status_code == 403
    assert (await outsider.put(url, json=body)).status_code == 403
    assert (
        await admin.put("/api/v1/inboxes/999999/attachment-settings", json=body)
    ).status_code == 404
    over = await admin.put(url, json={**body, "max_bytes": 100 * 1024 * 1024})
    assert over.status_code == 422 and error_code(over) == "attachment_limit_over_cap"
    unknown = await admin.put(url, json={**body, "allowed_types": ["text/html"]})
    assert unknown.status_code == 422
    ok = await admin.put(url, json=body)
    assert ok.status_code == 200 and ok.json()["allowed_types"] == ["image/png"]
    assert (await agent.get(url)).json()["max_bytes"] == 5_000_000
    audit = (await admin.get("/api/v1/audit-log")).json()
    assert any(e["action"] == "inbox.attachments_updated" for e in audit["items"])

    # The widget learns the limit and types; with customer uploads off, it offers none.
    config = (await client.get(f"/api/v1/widget/{workspace.inbox.public_key}/config")).json()
    assert config["attachments"] == {
        "max_bytes": 5_000_000,
        "types": ["image/png"],
        "extensions": [".png"],
        "max_files": 5,
    }
    echoed = await admin.put(url, json=ok.json())
    assert echoed.status_code == 422  # the read-only fields are not settings
    off = await admin.put(url, json={**body, "customer_uploads": False})
    assert off.status_code == 200
    config = (await client.get(f"/api/v1/widget/{workspace.inbox.public_key}/config")).json()
    assert config["attachments"] is None
    token = (await visitor_send(client, workspace.inbox, "hi"))["visitor_token"]
    refused = await visitor_upload(client, workspace, token, [("a.png", samples.png(), "")])
    assert refused.status_code == 403 and error_code(refused) == "customer_uploads_off"
    for c in (admin, agent, outsider):
        await c.aclose()
