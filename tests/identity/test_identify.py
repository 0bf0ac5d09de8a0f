"""Identified visitors: the host site's user id vouched for by an HMAC under the inbox's secret.
A valid HMAC gets the user's history on any device; a wrong or missing one gets none of it and
is never merged into the verified contact. The secret is admins' only."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from kefu.identity.actions import user_hash
from kefu.inboxes.models import Inbox
from tests.conftest import Workspace, agent_client
from tests.contacts.helpers import chat, contact_of, widget_session

PERMISSION_TESTED = {
    "GET /api/v1/inboxes/{inbox_id}/identity",
    "PATCH /api/v1/inboxes/{inbox_id}/identity",
    "POST /api/v1/inboxes/{inbox_id}/identity/secret",
}


async def identify(
    client: httpx.AsyncClient,
    inbox: Inbox,
    user: dict[str, Any],
    token: str | None = None,
    status: int = 200,
    origin: str | None = None,
) -> dict[str, Any]:
    headers = {"x-kefu-visitor": token} if token else {}
    if origin:
        headers["origin"] = origin
    r = await client.post(f"/api/v1/widget/{inbox.public_key}/session", json=user, headers=headers)
    assert r.status_code == status, r.text
    return dict(r.json())


def texts(session: dict[str, Any]) -> list[str]:
    return [m["text"] for m in session["messages"]]


async def test_identity_secret_is_for_admins(app: FastAPI, workspace: Workspace) -> None:
    admin = await agent_client(app, workspace.admin.email)
    agent = await agent_client(app, workspace.agent.email)
    url = f"/api/v1/inboxes/{workspace.inbox.id}/identity"
    for method, path, body in (
        ("GET", url, None),
        ("PATCH", url, {"require_verified": False}),
        ("POST", f"{url}/secret", None),
    ):
        r = await agent.request(method, path, json=body)
        assert r.status_code == 403, (method, path, r.text)
    assert (await agent.get(f"/api/v1/inboxes/{workspace.inbox.id}")).json().get("secret") is None
    assert (await admin.get(url)).json() == {
        "secret": None,
        "require_verified": False,
        "rotated_at": None,
    }
    early = await admin.patch(url, json={"require_verified": True})
    assert early.status_code == 422 and early.json()["error"]["code"] == "identity_secret_missing"
    first = (await admin.post(f"{url}/secret")).json()["secret"]
    assert len(first) == 64 and (await admin.get(url)).json()["secret"] == first
    second = (await admin.post(f"{url}/secret")).json()["secret"]
    assert second != first
    assert (await admin.patch(url, json={"require_verified": True})).json()["require_verified"]
    # Stored sealed, never in plain text.
    assert (await admin.get("/api/v1/inboxes")).text.count(second) == 0
    missing = await admin.get("/api/v1/inboxes/999999/identity")
    assert missing.status_code == 404
    await admin.aclose()
    await agent.aclose()


async def test_verified_identity_follows_the_customer_and_nothing_else_does(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    inbox = workspace.inbox
    admin = await agent_client(app, workspace.admin.email)
    secret = (await admin.post(f"/api/v1/inboxes/{inbox.id}/identity/secret")).json()["secret"]
    user = {
        "id": "u-42",
        "name": "Mei Lin",
        "email": "Mei@Shop.tw",
        "hash": user_hash(secret, "u-42"),
    }

    # Device 1: chats anonymously, then the site logs her in: the contact becomes u-42.
    device1 = await chat(client, inbox, "anonymous question")
    out = await identify(client, inbox, user, token=device1)
    assert out["verified"] is True
    device1 = out["visitor_token"]
    contact = await contact_of(admin, "anonymous question")
    profile = (await admin.get(f"/api/v1/contacts/{contact}")).json()
    assert profile["verified"] is True and profile["email"] == "mei@shop.tw"
    assert profile["name"] == "Mei Lin"
    assert [(i["channel_type"], i["external_id"]) for i in profile["identities"]] == [
        ("web", None),
        ("site_user", "u-42"),
    ]
    trail = (await admin.get(f"/api/v1/contacts/{contact}/activity")).json()
    assert [a["action"] for a in trail] == ["updated", "identified"]
    assert trail[0]["actor"] is None
    assert trail[0]["details"]["changes"]["name"] == {"from": "", "to": "Mei Lin"}

    # Device 2 (no token): the same identity gets the same contact and its history.
    device2 = await identify(client, inbox, user | {"hash": user["hash"].upper()})
    assert device2["verified"] is True
    assert texts(await widget_session(client, inbox, device2["visitor_token"])) == [
        "anonymous question"
    ]
    # Same answer on repeat: nothing is created twice.
    assert (await identify(client, inbox, user, token=device1))["visitor_token"] == device1

    # A wrong hash, a missing hash, or the hash of another id: none of her history.
    for claim in (
        user | {"hash": "0" * 64},
        user | {"hash": None},
        {"id": "u-42"},
        user | {"hash": user_hash(secret, "u-43")},
        user | {"hash": "ünïcödé"},
        user | {"hash": user_hash("another-secret", "u-42")},
    ):
        out = await identify(client, inbox, claim)
        assert out["verified"] is False
        session = await widget_session(client, inbox, out["visitor_token"])
        assert session["conversation"] is None, claim
    # The secret of another inbox does not verify here.
    other = (await admin.post(f"/api/v1/inboxes/{workspace.other_inbox.id}/identity/secret")).json()
    out = await identify(client, inbox, user | {"hash": user_hash(other["secret"], "u-42")})
    assert out["verified"] is False
    # Rotating the secret retires the old hashes at once.
    await admin.post(f"/api/v1/inboxes/{inbox.id}/identity/secret")
    assert (await identify(client, inbox, user))["verified"] is False
    await admin.aclose()


async def test_anonymous_visitor_identifying_is_merged_into_the_verified_contact(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    inbox = workspace.inbox
    admin = await agent_client(app, workspace.admin.email)
    secret = (await admin.post(f"/api/v1/inboxes/{inbox.id}/identity/secret")).json()["secret"]
    user = {"id": "42", "hash": user_hash(secret, "42"), "email": "vip@example.com"}
    first = (await identify(client, inbox, user))["visitor_token"]
    await chat(client, inbox, "yesterday, verified", token=first)
    verified = await contact_of(admin, "yesterday, verified")

    # Another browser: anonymous, chats, then logs in.
    anonymous = await chat(client, inbox, "today, anonymous")
    anonymous_contact = await contact_of(admin, "today, anonymous")
    out = await identify(client, inbox, user, token=anonymous)
    assert out["verified"] is True
    timeline = (await admin.get(f"/api/v1/contacts/{verified}/conversations")).json()["items"]
    assert [c["last_message_preview"] for c in timeline] == [
        "today, anonymous",
        "yesterday, verified",
    ]
    # Both were open in this inbox: the older one is resolved, the fresh chat goes on.
    assert [c["status"] for c in timeline] == ["open", "resolved"]
    # The anonymous browser's old token and the new one both see the verified history.
    for token in (anonymous, out["visitor_token"]):
        assert texts(await widget_session(client, inbox, token)) == ["today, anonymous"]
    assert (await admin.get(f"/api/v1/contacts/{anonymous_contact}")).json()["id"] == verified
    trail = (await admin.get(f"/api/v1/contacts/{verified}/activity")).json()
    assert trail[0]["action"] == "merged" and trail[0]["details"]["reason"] == "identified"
    assert trail[0]["actor"] is None
    await admin.aclose()


async def test_unverified_identity_is_never_merged_into_a_verified_contact(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    inbox = workspace.inbox
    admin = await agent_client(app, workspace.admin.email)
    url = f"/api/v1/inboxes/{inbox.id}/identity"
    secret = (await admin.post(f"{url}/secret")).json()["secret"]
    owner = {"id": "7", "name": "Owner", "hash": user_hash(secret, "7")}
    owner_token = (await identify(client, inbox, owner))["visitor_token"]
    await chat(client, inbox, "owner's secret order", token=owner_token)
    verified = await contact_of(admin, "owner's secret order")

    # An impostor claims id 7 without (or with a forged) hash: they keep their own contact,
    # which only gets the claimed name; the verified contact is untouched.
    impostor = await chat(client, inbox, "impostor here")
    impostor_contact = await contact_of(admin, "impostor here")
    for claim in ({"id": "7", "name": "Owner?"}, {"id": "7", "hash": "f" * 64, "name": "Owner?"}):
        out = await identify(client, inbox, claim, token=impostor)
        assert out["verified"] is False
        assert out["visitor_token"] == impostor
    assert texts(await widget_session(client, inbox, impostor)) == ["impostor here"]
    assert (await admin.get(f"/api/v1/contacts/{impostor_contact}")).json()["name"] == "Owner?"
    owner_profile = (await admin.get(f"/api/v1/contacts/{verified}")).json()
    assert owner_profile["name"] == "Owner"
    timeline = (await admin.get(f"/api/v1/contacts/{verified}/conversations")).json()["items"]
    assert [c["last_message_preview"] for c in timeline] == ["owner's secret order"]

    # On the owner's browser someone now claims another user without a hash: a fresh anonymous
    # visitor, never the owner's contact. The same id without the hash keeps the owner's token.
    switched = await identify(client, inbox, {"id": "8", "name": "Guest"}, token=owner_token)
    assert switched["verified"] is False and switched["visitor_token"] != owner_token
    assert (await widget_session(client, inbox, switched["visitor_token"]))["conversation"] is None
    same = await identify(client, inbox, {"id": "7"}, token=owner_token)
    assert same["visitor_token"] == owner_token

    # Required verification: an unverified identity is refused and nothing is stored.
    await admin.patch(url, json={"require_verified": True})
    before = len((await admin.get("/api/v1/contacts")).json()["items"])
    refused = await identify(client, inbox, {"id": "9", "name": "X"}, status=401)
    assert refused["error"]["code"] == "identity_unverified"
    assert len((await admin.get("/api/v1/contacts")).json()["items"]) == before
    assert (await identify(client, inbox, owner))["verified"] is True

    # Input checks and the inbox's origins apply.
    for bad in ({"id": ""}, {"id": "x" * 201}, {"id": "1", "email": "nope"}, {"id": "1", "x": 1}):
        await identify(client, inbox, bad, status=422)
    forbidden = await identify(client, inbox, owner, status=403, origin="https://evil.example")
    assert forbidden["error"]["code"] == "origin_not_allowed"
    await admin.aclose()
