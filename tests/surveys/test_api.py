"""CSAT / NPS surveys over HTTP: the customer's answers (widget, visitor token), the agents'
view of them, the per-inbox settings, hostile input and permissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.events import types
from kefu.events.schemas import validate_payload
from kefu.runtime import Runtime
from kefu.surveys.models import SurveyResponse
from tests.conftest import EventCapture, Workspace, agent_client, visitor_send

PERMISSION_TESTED = {
    "GET /api/v1/widget/{inbox_key}/conversations/{conversation_id}/survey",
    "POST /api/v1/widget/{inbox_key}/conversations/{conversation_id}/survey",
    "GET /api/v1/conversations/{conversation_id}/survey-responses",
    "GET /api/v1/inboxes/{inbox_id}/surveys",
    "PUT /api/v1/inboxes/{inbox_id}/surveys",
}

XSS = "<img src=x onerror=alert(1)>"


@dataclass
class Resolved:
    token: str
    public_id: str
    conversation_id: int
    agent: httpx.AsyncClient
    survey_url: str

    def headers(self) -> dict[str, str]:
        return {"x-kefu-visitor": self.token}


async def resolved_conversation(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, text: str = "help"
) -> Resolved:
    """A customer's conversation, taken by Mei and resolved."""
    sent = await visitor_send(client, workspace.inbox, text)
    agent = await agent_client(app, workspace.agent.email)
    listing = (await agent.get("/api/v1/conversations", params={"status": "all"})).json()
    conv_id = next(c["id"] for c in listing["items"] if c["last_message_preview"] == text)
    base = f"/api/v1/conversations/{conv_id}"
    taken = await agent.post(f"{base}/assign", json={"assignee_id": workspace.agent.id})
    assert taken.status_code == 200, taken.text
    done = await agent.post(f"{base}/status", json={"status": "resolved"})
    assert done.json()["status"] == "resolved"
    public_id = sent["conversation"]["id"]
    url = f"/api/v1/widget/{workspace.inbox.public_key}/conversations/{public_id}/survey"
    return Resolved(sent["visitor_token"], public_id, conv_id, agent, url)


async def answer(
    client: httpx.AsyncClient, conv: Resolved, body: dict[str, Any], status: int = 200
) -> dict[str, Any]:
    response = await client.post(conv.survey_url, json=body, headers=conv.headers())
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_the_customer_rates_a_resolved_conversation_and_agents_see_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    capture_events: EventCapture,
) -> None:
    conv = await resolved_conversation(app, client, workspace)
    state = (await client.get(conv.survey_url, headers=conv.headers())).json()
    assert state["open"] is True
    assert (state["csat_enabled"], state["nps_enabled"]) == (True, False)
    assert state["csat"] is None and state["closes_at"] is not None

    capture_events.events.clear()
    state = await answer(client, conv, {"kind": "csat", "score": 5, "comment": f" Great! {XSS} "})
    assert state["csat"] == {"score": 5, "comment": f"Great! {XSS}"}

    responses = (
        await conv.agent.get(f"/api/v1/conversations/{conv.conversation_id}/survey-responses")
    ).json()
    assert len(responses) == 1
    assert responses[0]["kind"] == "csat" and responses[0]["score"] == 5
    assert responses[0]["agent"] == {"id": workspace.agent.id, "name": workspace.agent.name}
    assert responses[0]["comment"] == f"Great! {XSS}"  # stored verbatim, rendered as text
    url = f"/api/v1/conversations/{conv.conversation_id}/survey-responses"
    outsider = await agent_client(app, workspace.outsider.email)
    assert (await outsider.get(url)).status_code == 404  # another inbox's agent
    assert (await client.get(url)).status_code == 401
    await outsider.aclose()

    # The agents get an activity line (live); the customer's socket gets nothing.
    created = capture_events.of_type(types.MESSAGE_CREATED)
    assert len(created) == 1 and created[0].contact is None
    validate_payload(types.MESSAGE_CREATED, created[0].agent, audience="agent")
    activity = created[0].agent["message"]["activity"]
    assert activity == {
        "type": "survey_answered",
        "survey": "csat",
        "score": 5,
        "scale": 5,
        "changed": False,
        "note": f"Great! {XSS}",
    }
    await conv.agent.aclose()


async def test_a_later_answer_replaces_the_earlier_one(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    conv = await resolved_conversation(app, client, workspace)
    await answer(client, conv, {"kind": "csat", "score": 2})
    state = await answer(client, conv, {"kind": "csat", "score": 4, "comment": "ok now"})
    assert state["csat"] == {"score": 4, "comment": "ok now"}
    async with runtime.db.read() as session:
        rows = (await session.execute(select(SurveyResponse))).scalars().all()
    assert [(r.kind, r.score, r.contact_id, r.inbox_id) for r in rows] == [
        ("csat", 4, rows[0].contact_id, workspace.inbox.id)
    ]
    messages = (
        await conv.agent.get(f"/api/v1/conversations/{conv.conversation_id}/messages")
    ).json()["items"]
    answered = [m["activity"] for m in messages if m["kind"] == "activity"][-2:]
    assert [(a["score"], a["changed"]) for a in answered] == [(2, False), (4, True)]
    await conv.agent.aclose()


async def test_nps_is_asked_only_where_enabled(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    conv = await resolved_conversation(app, client, workspace)
    refused = await answer(client, conv, {"kind": "nps", "score": 9}, status=422)
    assert refused["error"]["code"] == "survey_disabled"

    admin = await agent_client(app, workspace.admin.email)
    url = f"/api/v1/inboxes/{workspace.inbox.id}/surveys"
    saved = await admin.put(url, json={"csat_enabled": True, "nps_enabled": True})
    assert saved.json() == {"csat_enabled": True, "nps_enabled": True}
    state = (await client.get(conv.survey_url, headers=conv.headers())).json()
    assert state["nps_enabled"] is True
    state = await answer(client, conv, {"kind": "nps", "score": 0})
    assert state["nps"] == {"score": 0, "comment": ""}

    # CSAT off, NPS on: only NPS is asked.
    await admin.put(url, json={"csat_enabled": False, "nps_enabled": True})
    refused = await answer(client, conv, {"kind": "csat", "score": 5}, status=422)
    assert refused["error"]["code"] == "survey_disabled"
    await admin.aclose()
    await conv.agent.aclose()


HOSTILE_ANSWERS: list[dict[str, Any]] = [
    {"kind": "csat", "score": 0},
    {"kind": "csat", "score": 6},
    {"kind": "csat", "score": -1},
    {"kind": "csat", "score": 99999999999999999999},
    {"kind": "csat", "score": "5"},
    {"kind": "csat", "score": True},
    {"kind": "csat", "score": 4.5},
    {"kind": "csat"},
    {"kind": "ces", "score": 3},
    {"kind": "csat", "score": 5, "comment": "x" * 1001},
    {"kind": "csat", "score": 5, "comment": "nul\x00"},
    {"kind": "csat", "score": 5, "comment": ["list"]},
    {"kind": "csat", "score": 5, "agent_id": 1},
    {"kind": "nps", "score": 11},
]


async def test_hostile_answers_are_refused_and_store_nothing(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    conv = await resolved_conversation(app, client, workspace)
    for body in HOSTILE_ANSWERS:
        refused = await answer(client, conv, body, status=422)
        assert refused["error"]["code"] in ("invalid_input", "score_out_of_range", "bad_text")
    not_json = await client.post(
        conv.survey_url,
        content=b"{nope",
        headers={**conv.headers(), "content-type": "application/json"},
    )
    assert not_json.status_code == 422
    refused = await answer(client, conv, {"kind": "csat", "score": 7}, status=422)
    assert refused["error"]["code"] == "score_out_of_range"
    assert "1" in refused["error"]["message"] and "5" in refused["error"]["message"]
    async with runtime.db.read() as session:
        assert (await session.execute(select(SurveyResponse))).first() is None
    await conv.agent.aclose()


async def test_the_survey_is_open_only_while_resolved_and_within_its_window(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    sent = await visitor_send(client, workspace.inbox, "still open")
    token, public_id = sent["visitor_token"], sent["conversation"]["id"]
    url = f"/api/v1/widget/{workspace.inbox.public_key}/conversations/{public_id}/survey"
    headers = {"x-kefu-visitor": token}
    state = (await client.get(url, headers=headers)).json()
    assert state["open"] is False
    early = await client.post(url, json={"kind": "csat", "score": 5}, headers=headers)
    assert early.status_code == 409 and early.json()["error"]["code"] == "survey_not_open"

    agent = await agent_client(app, workspace.agent.email)
    conv_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]
    status_url = f"/api/v1/conversations/{conv_id}/status"
    await agent.post(status_url, json={"status": "resolved"})
    first = await client.post(url, json={"kind": "csat", "score": 2}, headers=headers)
    assert first.status_code == 200

    # Reopened: closed again. Resolved a second time: a new survey, a second answer kept.
    await agent.post(status_url, json={"status": "open"})
    reopened = await client.post(url, json={"kind": "csat", "score": 5}, headers=headers)
    assert reopened.status_code == 409
    await agent.post(status_url, json={"status": "resolved"})
    assert (await client.get(url, headers=headers)).json()["csat"] is None
    second = await client.post(url, json={"kind": "csat", "score": 5}, headers=headers)
    assert second.status_code == 200
    async with runtime.db.read() as session:
        scores = sorted((await session.scalars(select(SurveyResponse.score))).all())
    assert scores == [2, 5]

    # Eight days later the survey is closed (the window is seven).
    async with runtime.db.write() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conv_id)
            .values(resolved_at=utcnow() - timedelta(days=8))
        )
    late = await client.post(url, json={"kind": "csat", "score": 1}, headers=headers)
    assert late.status_code == 409
    assert (await client.get(url, headers=headers)).json()["open"] is False
    await agent.aclose()


async def test_visitors_reach_only_their_own_conversation(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    conv = await resolved_conversation(app, client, workspace)
    stranger = (await visitor_send(client, workspace.inbox, "another customer"))["visitor_token"]
    for method in ("GET", "POST"):
        body = {"kind": "csat", "score": 1} if method == "POST" else None
        other = await client.request(
            method, conv.survey_url, json=body, headers={"x-kefu-visitor": stranger}
        )
        assert other.status_code == 404, other.text
        anonymous = await client.request(method, conv.survey_url, json=body)
        assert anonymous.status_code == 401
        forged = await client.request(
            method, conv.survey_url, json=body, headers={"x-kefu-visitor": conv.token + "x"}
        )
        assert forged.status_code == 401
        # The right token through another inbox's key: refused (tokens are per inbox).
        other_inbox = conv.survey_url.replace(
            workspace.inbox.public_key, workspace.other_inbox.public_key
        )
        crossed = await client.request(method, other_inbox, json=body, headers=conv.headers())
        assert crossed.status_code == 401
        # A site the inbox does not allow.
        foreign = await client.request(
            method,
            conv.survey_url,
            json=body,
            headers={**conv.headers(), "origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
    await conv.agent.aclose()


async def test_survey_settings_are_read_by_members_and_changed_by_admins(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    url = f"/api/v1/inboxes/{workspace.inbox.id}/surveys"
    member = await agent_client(app, workspace.agent.email)
    outsider = await agent_client(app, workspace.outsider.email)
    admin = await agent_client(app, workspace.admin.email)
    assert (await member.get(url)).json() == {"csat_enabled": True, "nps_enabled": False}
    assert (await outsider.get(url)).status_code == 404
    body = {"csat_enabled": True, "nps_enabled": True}
    assert (await outsider.put(url, json=body)).status_code == 404
    denied = await member.put(url, json=body)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    for bad in (
        {"csat_enabled": "yes", "nps_enabled": True},
        {"csat_enabled": 1, "nps_enabled": True},
        {"nps_enabled": True, "question": "<script>"},
        {"nps_enabled": None},
    ):
        assert (await admin.put(url, json=bad)).status_code == 422, bad
    assert (await member.get(url)).json()["nps_enabled"] is False  # nothing stored
    assert (await admin.put(url, json=body)).status_code == 200
    assert (await member.get(url)).json() == body
    assert (await admin.put("/api/v1/inboxes/999999/surveys", json=body)).status_code == 404
    audit = (await admin.get("/api/v1/audit-log")).json()
    assert any(entry["action"] == "inbox.surveys_updated" for entry in audit["items"])
    for c in (member, outsider, admin):
        await c.aclose()
