"""Merge suggestions (kefu.contacts.suggestions): listed for whoever may see both contacts;
accepting merges them (supervisors and admins) and the timeline then shows both channels'
conversations; dismissing keeps both and the pair is not proposed again."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from kefu.inboxes.models import Inbox
from kefu.runtime import Runtime
from tests.channels.matching_helpers import channel_inbox, contact_id_of, provider, receive
from tests.conftest import Workspace, agent_client
from tests.contacts.helpers import make_user

__all__ = ["provider"]

PERMISSION_TESTED = {
    "GET /api/v1/merge-suggestions",
    "GET /api/v1/contacts/{contact_id}/merge-suggestions",
    "POST /api/v1/merge-suggestions/{suggestion_id}/accept",
    "POST /api/v1/merge-suggestions/{suggestion_id}/dismiss",
}


@dataclass
class Pair:
    line: Inbox
    wa: Inbox
    a: int  # wrote on LINE, typed a phone number (claimed)
    b: int  # wrote on WhatsApp (verified number)
    suggestion_id: int


@pytest.fixture
async def pair(
    app: FastAPI, runtime: Runtime, workspace: Workspace, provider: tuple[object, str]
) -> Pair:
    members = [workspace.agent.id]
    line = await channel_inbox(runtime, provider[1], name="LINE", members=members)
    wa = await channel_inbox(runtime, provider[1], name="WhatsApp", kind="fakewin", members=members)
    await receive(runtime, line, "U1", phone="0912-345-678", text="LINE 的問題")
    await receive(runtime, wa, "886912345678", verified_phone="886912345678", text="WA 的問題")
    a = await contact_id_of(runtime, line, "U1")
    b = await contact_id_of(runtime, wa, "886912345678")
    admin = await agent_client(app, workspace.admin.email)
    [item] = (await admin.get("/api/v1/merge-suggestions")).json()
    await admin.aclose()
    return Pair(line, wa, a, b, item["id"])


async def test_listing_follows_who_may_see_both_contacts(
    app: FastAPI, workspace: Workspace, pair: Pair
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    outsider = await agent_client(app, workspace.outsider.email)
    [item] = (await agent.get("/api/v1/merge-suggestions", params={"status": "pending"})).json()
    assert item["id"] == pair.suggestion_id
    assert (item["contact"]["id"], item["other_contact"]["id"]) == (pair.a, pair.b)
    assert (item["reason"], item["matched_value"], item["status"]) == (
        "same_phone",
        "+886*****5678",
        "pending",
    )
    # Asked from the other contact's page, that contact comes first.
    [mine] = (await agent.get(f"/api/v1/contacts/{pair.b}/merge-suggestions")).json()
    assert (mine["contact"]["id"], mine["other_contact"]["id"]) == (pair.b, pair.a)
    # An agent of another inbox sees neither contact.
    assert (await outsider.get("/api/v1/merge-suggestions")).json() == []
    r = await outsider.get(f"/api/v1/contacts/{pair.a}/merge-suggestions")
    assert r.status_code == 404
    for action in ("accept", "dismiss"):
        r = await outsider.post(f"/api/v1/merge-suggestions/{pair.suggestion_id}/{action}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "suggestion_not_found"
    assert (await agent.get("/api/v1/merge-suggestions", params={"status": "x"})).status_code == 422
    await agent.aclose()
    await outsider.aclose()


async def test_accept_merges_and_the_timeline_shows_both_channels(
    app: FastAPI, runtime: Runtime, workspace: Workspace, pair: Pair
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    r = await agent.post(f"/api/v1/merge-suggestions/{pair.suggestion_id}/accept")
    assert r.status_code == 403 and r.json()["error"]["code"] == "merge_not_allowed"
    supervisor_user = await make_user(runtime, "sup@example.com", "supervisor")
    admin = await agent_client(app, workspace.admin.email)
    members = (await admin.get(f"/api/v1/inboxes/{pair.line.id}")).json()["member_ids"]
    for inbox in (pair.line, pair.wa):
        r = await admin.patch(
            f"/api/v1/inboxes/{inbox.id}", json={"member_ids": members + [supervisor_user.id]}
        )
        assert r.status_code == 200, r.text
    supervisor = await agent_client(app, supervisor_user.email)
    r = await supervisor.post(f"/api/v1/merge-suggestions/{pair.suggestion_id}/accept")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "accepted" and body["decided_by_id"] == supervisor_user.id
    assert body["contact"]["id"] == pair.a  # the older contact survives
    assert await contact_id_of(runtime, pair.wa, "886912345678") == pair.a
    timeline = (await agent.get(f"/api/v1/contacts/{pair.b}/conversations")).json()["items"]
    assert {c["inbox_id"] for c in timeline} == {pair.line.id, pair.wa.id}
    assert {c["last_message_preview"] for c in timeline} == {"LINE 的問題", "WA 的問題"}
    again = await supervisor.post(f"/api/v1/merge-suggestions/{pair.suggestion_id}/accept")
    assert again.status_code == 409 and again.json()["error"]["code"] == "suggestion_decided"
    assert (await admin.get("/api/v1/merge-suggestions")).json() == []
    [done] = (await admin.get("/api/v1/merge-suggestions", params={"status": "accepted"})).json()
    assert done["id"] == pair.suggestion_id
    for c in (agent, admin, supervisor):
        await c.aclose()


async def test_dismiss_keeps_both_and_is_not_proposed_again(
    app: FastAPI, runtime: Runtime, workspace: Workspace, pair: Pair
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    r = await agent.post(f"/api/v1/merge-suggestions/{pair.suggestion_id}/dismiss")
    assert r.status_code == 403 and r.json()["error"]["code"] == "merge_not_allowed"
    admin = await agent_client(app, workspace.admin.email)
    r = await admin.post(f"/api/v1/merge-suggestions/{pair.suggestion_id}/dismiss")
    assert r.status_code == 200 and r.json()["status"] == "dismissed", r.text
    assert await contact_id_of(runtime, pair.line, "U1") == pair.a
    assert await contact_id_of(runtime, pair.wa, "886912345678") == pair.b
    # The same customer writes again with the same number: still two contacts, no new proposal.
    await receive(runtime, pair.line, "U1", phone="0912345678")
    await receive(runtime, pair.wa, "886912345678", verified_phone="886912345678")
    assert (await admin.get("/api/v1/merge-suggestions")).json() == []
    dismissed = (
        await admin.get("/api/v1/merge-suggestions", params={"status": "dismissed"})
    ).json()
    assert [d["id"] for d in dismissed] == [pair.suggestion_id]
    r = await admin.post(f"/api/v1/merge-suggestions/{pair.suggestion_id}/accept")
    assert r.status_code == 409
    # A manual merge later settles nothing it should not: the dismissed row stays dismissed.
    r = await admin.post(f"/api/v1/contacts/{pair.a}/merge", json={"other_id": pair.b})
    assert r.status_code == 200, r.text
    assert (await admin.get("/api/v1/merge-suggestions", params={"status": "dismissed"})).json()
    missing = await admin.post("/api/v1/merge-suggestions/999999/accept")
    assert missing.status_code == 404
    await agent.aclose()
    await admin.aclose()


async def test_a_manual_merge_settles_the_pending_suggestion(
    app: FastAPI, workspace: Workspace, pair: Pair
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    r = await admin.post(f"/api/v1/contacts/{pair.b}/merge", json={"other_id": pair.a})
    assert r.status_code == 200, r.text
    assert (await admin.get("/api/v1/merge-suggestions")).json() == []
    [done] = (await admin.get("/api/v1/merge-suggestions", params={"status": "accepted"})).json()
    assert done["decided_by_id"] == workspace.admin.id
    await admin.aclose()
