"""The contacts API: profile edits (validated, with a trail and an event), notes, the filtered
list, and the cross-inbox timeline under conversation_scope; who may see what."""

from __future__ import annotations

import httpx
import orjson
from fastapi import FastAPI

from kefu.events import types
from kefu.events.schemas import validate_payload
from kefu.runtime import Runtime
from tests.conftest import EventCapture, Workspace, agent_client
from tests.contacts.helpers import chat, contact_of, conversation_with, define, make_user

PERMISSION_TESTED = {
    "GET /api/v1/contacts",
    "GET /api/v1/contacts/{contact_id}",
    "PATCH /api/v1/contacts/{contact_id}",
    "GET /api/v1/contacts/{contact_id}/conversations",
    "GET /api/v1/contacts/{contact_id}/notes",
    "POST /api/v1/contacts/{contact_id}/notes",
    "DELETE /api/v1/contacts/{contact_id}/notes/{note_id}",
    "GET /api/v1/contacts/{contact_id}/activity",
}


async def test_edit_is_validated_leaves_a_trail_and_tells_consoles(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, capture_events: EventCapture
) -> None:
    await chat(client, workspace.inbox, "edit me")
    admin = await agent_client(app, workspace.admin.email)
    contact_id = await contact_of(admin, "edit me")
    await define(admin, "contact", "plan", "list", ["free", "pro"])
    agent = await agent_client(app, workspace.agent.email)
    url = f"/api/v1/contacts/{contact_id}"

    bad = [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "x@example.com<script>"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "+886 2 1234-5678" + "9" * 50}, "phone"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"company": "c" * 10_000}, "company"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"avatar_url": "data:image/svg+xml,<svg onload=alert(1)>"}, "avatar_url"),
        ({"avatar_url": "//evil.example/a.png"}, "avatar_url"),
        ({"avatar_url": "https://user:pw@evil.example/a.png"}, "avatar_url"),
        ({"attributes": {"plan": "gold"}}, "attributes.plan"),
        ({"attributes": {"nope": "x"}}, "attributes.nope"),
        ({"unknown_field": 1}, "unknown_field"),
    ]
    for body, field in bad:
        r = await agent.patch(url, json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["error"]["message"], (body, r.json())
    unchanged = (await agent.get(url)).json()
    assert unchanged["email"] is None and unchanged["attributes"] == {}
    assert (await agent.get(f"{url}/activity")).json() == []  # nothing stored, nothing logged

    r = await agent.patch(
        url,
        json={
            "name": "  陳小明 ",
            "email": "Ming@Example.COM",
            "phone": "+886 (2) 1234-5678",
            "company": "Acme 股份有限公司",
            "avatar_url": "https://cdn.example.com/a.png",
            "attributes": {"plan": "pro"},
        },
    )
    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["name"] == "陳小明" and profile["email"] == "ming@example.com"
    assert profile["attributes"] == {"plan": "pro"} and profile["verified"] is False
    assert [i["channel_type"] for i in profile["identities"]] == ["web"]
    assert profile["identities"][0]["external_id"] is None  # a visitor's random id stays hidden
    # Clearing: null and "" both clear an optional field; a null attribute removes it.
    r = await agent.patch(
        url, json={"company": "", "avatar_url": None, "attributes": {"plan": None}}
    )
    assert r.json()["company"] is None and r.json()["attributes"] == {}

    trail = (await agent.get(f"{url}/activity")).json()
    assert [a["action"] for a in trail] == ["updated", "updated"]
    assert trail[1]["actor"]["id"] == workspace.agent.id
    assert trail[1]["details"]["changes"]["name"] == {"from": "", "to": "陳小明"}
    assert trail[0]["details"]["changes"]["attributes.plan"] == {"from": "pro", "to": None}

    updates = capture_events.of_type(types.CONTACT_UPDATED)
    assert updates and updates[-1].user_ids is not None
    # Admins and the inbox's members hear of it; the agent of another inbox does not.
    assert {workspace.admin.id, workspace.agent.id, workspace.agent2.id} <= set(
        updates[-1].user_ids
    )
    assert workspace.outsider.id not in updates[-1].user_ids
    for event in updates:
        validate_payload(event.type, orjson.loads(orjson.dumps(event.agent)), audience="agent")
    # The open conversation's list entry follows the new name.
    changed = capture_events.of_type(types.CONVERSATION_UPDATED)
    assert changed[-1].agent["conversation"]["contact"]["name"] == "陳小明"
    conv = await conversation_with(admin, "edit me")
    assert conv["contact"]["name"] == "陳小明"
    await agent.aclose()
    await admin.aclose()


async def test_notes_list_filter_and_paging(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    markers = [f"filter {i}" for i in range(5)]
    for marker in markers:
        await chat(client, workspace.inbox, marker)
    await chat(client, workspace.other_inbox, "elsewhere")
    admin = await agent_client(app, workspace.admin.email)
    ids = [await contact_of(admin, m) for m in markers]
    await admin.patch(
        f"/api/v1/contacts/{ids[0]}", json={"name": "Wang Da-ming", "company": "台積"}
    )
    await admin.patch(f"/api/v1/contacts/{ids[1]}", json={"email": "wang@shop.tw"})
    await admin.patch(f"/api/v1/contacts/{ids[2]}", json={"phone": "0912-345-678"})
    agent = await agent_client(app, workspace.agent.email)

    async def found(q: str) -> list[int]:
        r = await agent.get("/api/v1/contacts", params={"q": q})
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert await found("WANG") == [ids[1], ids[0]]  # name and email, any case, newest first
    assert await found("台積") == [ids[0]]
    assert await found("345-6") == [ids[2]]
    assert await found("%") == [] and await found("_") == []  # LIKE wildcards are literal
    # The agent sees the contacts of their inbox only; paging walks all five.
    seen: list[int] = []
    before = None
    while True:
        params = {"limit": 2} | ({"before_id": before} if before else {})
        page = (await agent.get("/api/v1/contacts", params=params)).json()
        seen += [c["id"] for c in page["items"]]
        before = page["next_before_id"]
        if before is None:
            break
    assert seen == sorted(ids, reverse=True)
    assert len((await admin.get("/api/v1/contacts")).json()["items"]) == 6

    url = f"/api/v1/contacts/{ids[0]}/notes"
    first = await agent.post(url, json={"text": "  Prefers LINE, <b>not</b> email  "})
    assert first.status_code == 201, first.text
    assert first.json()["text"] == "Prefers LINE, <b>not</b> email"
    assert first.json()["author"]["id"] == workspace.agent.id
    for body in ({"text": "   "}, {"text": "x" * 5001}, {}):
        assert (await agent.post(url, json=body)).status_code == 422
    colleague = await agent_client(app, workspace.agent2.email)
    await colleague.post(url, json={"text": "second"})
    notes = (await agent.get(url)).json()
    assert [n["text"] for n in notes] == ["second", "Prefers LINE, <b>not</b> email"]
    mine = notes[1]["id"]
    refused = await colleague.delete(f"{url}/{mine}")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_your_note"
    assert (await agent.delete(f"{url}/{mine}")).status_code == 204
    assert (await agent.delete(f"{url}/{mine}")).status_code == 404
    # A note id of another contact is not found through this one.
    other = (await admin.post(f"/api/v1/contacts/{ids[1]}/notes", json={"text": "x"})).json()
    assert (await admin.delete(f"{url}/{other['id']}")).status_code == 404
    trail = (await agent.get(f"/api/v1/contacts/{ids[0]}/activity")).json()
    assert trail[0]["action"] == "note_deleted" and "Prefers LINE" in trail[0]["details"]["text"]
    for c in (agent, colleague, admin):
        await c.aclose()


async def test_timeline_spans_inboxes_and_follows_scope(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    """One contact with conversations in two inboxes (after a merge): each agent's timeline shows
    the conversations they may see; an agent of neither inbox gets 404 for everything."""
    await chat(client, workspace.inbox, "in website")
    await chat(client, workspace.other_inbox, "in other")
    admin = await agent_client(app, workspace.admin.email)
    web_contact = await contact_of(admin, "in website")
    other_contact = await contact_of(admin, "in other")
    merged = await admin.post(
        f"/api/v1/contacts/{web_contact}/merge", json={"other_id": other_contact}
    )
    assert merged.status_code == 200, merged.text

    async def timeline(c: httpx.AsyncClient) -> list[str]:
        r = await c.get(f"/api/v1/contacts/{web_contact}/conversations")
        assert r.status_code == 200, r.text
        return [item["last_message_preview"] for item in r.json()["items"]]

    assert await timeline(admin) == ["in other", "in website"]  # newest first, both inboxes
    paged = (await admin.get(f"/api/v1/contacts/{web_contact}/conversations?limit=1")).json()
    assert len(paged["items"]) == 1 and paged["next_before_id"] is not None
    rest = await admin.get(
        f"/api/v1/contacts/{web_contact}/conversations",
        params={"before_id": paged["next_before_id"]},
    )
    assert [i["last_message_preview"] for i in rest.json()["items"]] == ["in website"]
    agent = await agent_client(app, workspace.agent.email)
    outsider = await agent_client(app, workspace.outsider.email)
    assert await timeline(agent) == ["in website"]
    assert await timeline(outsider) == ["in other"]
    # The merged-away id answers with the survivor, for whoever may see it.
    again = (await outsider.get(f"/api/v1/contacts/{other_contact}")).json()
    assert again["id"] == web_contact
    assert [i["inbox_id"] for i in again["identities"]] == [workspace.other_inbox.id]

    await make_user(runtime, "nobody@example.com", "agent")
    nobody = await agent_client(app, "nobody@example.com")
    base = f"/api/v1/contacts/{web_contact}"
    for method, path, body in (
        ("GET", base, None),
        ("PATCH", base, {"name": "hijacked"}),
        ("GET", f"{base}/conversations", None),
        ("GET", f"{base}/notes", None),
        ("POST", f"{base}/notes", {"text": "hi"}),
        ("DELETE", f"{base}/notes/1", None),
        ("GET", f"{base}/activity", None),
    ):
        r = await nobody.request(method, path, json=body)
        assert r.status_code == 404, (method, path, r.text)
    assert (await nobody.get("/api/v1/contacts")).json()["items"] == []
    assert (await admin.get(base)).json()["name"] == ""
    for c in (agent, outsider, nobody, admin):
        await c.aclose()
