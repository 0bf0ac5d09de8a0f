"""Canned responses: personal (the owner alone, admins included) and shared (admins and
supervisors manage, everyone uses), shortcuts unique per scope and language, search that
works with Chinese, and hostile input."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from kefu.auth.principals import SystemPrincipal
from kefu.runtime import Runtime
from kefu.users.actions import do_create_user
from tests.conftest import PASSWORD, Workspace, agent_client

PERMISSION_TESTED = {
    "GET /api/v1/canned-responses",
    "POST /api/v1/canned-responses",
    "GET /api/v1/canned-responses/{canned_id}",
    "PATCH /api/v1/canned-responses/{canned_id}",
    "DELETE /api/v1/canned-responses/{canned_id}",
}
URL = "/api/v1/canned-responses"


async def test_personal_and_shared_responses_and_who_may_do_what(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    async with runtime.db.write() as session:
        await do_create_user(
            session,
            actor=SystemPrincipal(),
            email="lead@example.com",
            name="Lead",
            password=PASSWORD,
            role="supervisor",
        )
    mei = await agent_client(app, workspace.agent.email)
    alex = await agent_client(app, workspace.agent2.email)
    lead = await agent_client(app, "lead@example.com")
    admin = await agent_client(app, workspace.admin.email)

    own = await mei.post(
        URL,
        json={
            "shortcut": "/Refund",
            "title": "退款說明",
            "content": "{{contact.name}} 您好,退款將在 3 到 5 個工作天內退回。",
            "locale": "zh-TW",
        },
    )
    assert own.status_code == 201, own.text
    mine = own.json()
    assert (mine["scope"], mine["shortcut"], mine["owner_id"]) == (
        "personal",
        "refund",
        workspace.agent.id,
    )
    # Agents may not create, edit or delete shared ones; supervisors may.
    refused = await mei.post(
        URL, json={"scope": "shared", "shortcut": "hi", "title": "Hi", "content": "Hi"}
    )
    assert (
        refused.status_code == 403 and refused.json()["error"]["code"] == "shared_canned_for_leads"
    )
    shared = await lead.post(
        URL,
        json={
            "scope": "shared",
            "shortcut": "refund",
            "title": "Refund",
            "content": "Hi {{contact.name}}, refunds take 3-5 days.",
            "locale": "en",
        },
    )
    assert shared.status_code == 201, shared.text
    shared_id = shared.json()["id"]
    # The same shortcut in another language is another response; in the same one, a clash.
    zh = await admin.post(
        URL,
        json={
            "scope": "shared",
            "shortcut": "refund",
            "title": "退款",
            "content": "退款說明",
            "locale": "zh-TW",
        },
    )
    assert zh.status_code == 201
    clash = await admin.post(
        URL,
        json={
            "scope": "shared",
            "shortcut": "REFUND",
            "title": "x",
            "content": "x",
            "locale": "en",
        },
    )
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "canned_shortcut_taken"
    mine_again = await mei.post(
        URL, json={"shortcut": "refund", "title": "x", "content": "x", "locale": "zh-TW"}
    )
    assert mine_again.status_code == 409
    assert (
        await alex.post(
            URL, json={"shortcut": "refund", "title": "x", "content": "x", "locale": "zh-TW"}
        )
    ).status_code == 201

    for agent in (mei, alex):
        edit = await agent.patch(f"{URL}/{shared_id}", json={"content": "changed"})
        assert edit.status_code == 403
        assert (await agent.delete(f"{URL}/{shared_id}")).status_code == 403
        assert (await agent.get(f"{URL}/{shared_id}")).status_code == 200  # everyone uses them
    # Another agent's personal response does not exist for them, nor for admins.
    for other in (alex, lead, admin):
        assert (await other.get(f"{URL}/{mine['id']}")).status_code == 404
        assert (
            await other.patch(f"{URL}/{mine['id']}", json={"title": "stolen"})
        ).status_code == 404
        assert (await other.delete(f"{URL}/{mine['id']}")).status_code == 404
        listed = (await other.get(URL)).json()
        assert mine["id"] not in [c["id"] for c in listed]
    assert (await mei.get(f"{URL}/{mine['id']}")).json()["title"] == "退款說明"

    # Mei's list: her own first, then the shared ones; search by shortcut, title or content.
    listed = (await mei.get(URL)).json()
    assert [c["scope"] for c in listed] == ["personal", "shared", "shared"]
    assert [c["id"] for c in (await mei.get(URL, params={"q": "工作天"})).json()] == [mine["id"]]
    assert len((await mei.get(URL, params={"q": "/REF"})).json()) == 3
    assert [c["locale"] for c in (await mei.get(URL, params={"locale": "en"})).json()] == ["en"]
    assert (await mei.get(URL, params={"q": "100%_"})).json() == []

    edited = await mei.patch(f"{URL}/{mine['id']}", json={"content": "新內容", "locale": None})
    assert edited.status_code == 200 and edited.json()["locale"] is None
    edited = await lead.patch(f"{URL}/{shared_id}", json={"title": "Refunds"})
    assert edited.json()["title"] == "Refunds"
    assert (await mei.delete(f"{URL}/{mine['id']}")).status_code == 204
    assert (await mei.get(f"{URL}/{mine['id']}")).status_code == 404
    assert (await lead.delete(f"{URL}/{shared_id}")).status_code == 204
    for c in (mei, alex, lead, admin):
        await c.aclose()


async def test_hostile_canned_input(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    mei = await agent_client(app, workspace.agent.email)
    good = {"shortcut": "hi", "title": "Hi", "content": "Hello"}
    cases = [
        ({**good, "shortcut": "has space"}, "bad_shortcut"),
        ({**good, "shortcut": "/"}, "bad_shortcut"),
        ({**good, "shortcut": "x" * 41}, "bad_shortcut"),
        ({**good, "shortcut": "<script>"}, "bad_shortcut"),
        ({**good, "title": "   "}, "empty_title"),
        ({**good, "content": "  "}, "empty_message"),
        ({**good, "content": "a\u0000b"}, "bad_text"),
        ({**good, "title": "a\u0000b"}, "bad_text"),
        ({**good, "content": "x" * 5001}, "invalid_input"),
        ({**good, "locale": "fr"}, "invalid_input"),
        ({**good, "scope": "global"}, "invalid_input"),
        ({**good, "title": 5}, "invalid_input"),
        ({**good, "owner_id": workspace.agent2.id}, "invalid_input"),
    ]
    for body, code in cases:
        response = await mei.post(URL, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == code, (body, response.text)
    assert (await mei.get(URL)).json() == []
    nul = await mei.get(URL, params={"q": "a\x00"})
    assert nul.status_code == 422 and nul.json()["error"]["code"] == "bad_text"
    # Content is stored as typed (HTML and template syntax included): the console renders it
    # as text and fills only the variables it knows.
    raw = "<b>{{contact.name}}</b> {{constructor.constructor('alert(1)')()}}"
    created = await mei.post(URL, json={**good, "shortcut": "退款", "content": raw})
    assert created.status_code == 201 and created.json()["content"] == raw
    assert created.json()["shortcut"] == "退款"
    await mei.aclose()
