"""Custom attributes: admins define them; values on conversations and contacts are checked
against the definitions (hostile input gets a 422 naming the field, and nothing is stored)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kefu.attributes.validation import apply_changes, check_changes
from kefu.errors import InvalidInput
from kefu.events import types
from tests.conftest import EventCapture, Workspace, agent_client
from tests.contacts.helpers import chat, conversation_with, define

PERMISSION_TESTED = {
    "GET /api/v1/attribute-definitions",
    "POST /api/v1/attribute-definitions",
    "PATCH /api/v1/attribute-definitions/{definition_id}",
    "DELETE /api/v1/attribute-definitions/{definition_id}",
    "PATCH /api/v1/conversations/{conversation_id}/attributes",
}


@dataclass
class Def:
    key: str
    type: str
    options: list[str] = field(default_factory=list)


DEFS = [
    Def("note", "text"),
    Def("amount", "number"),
    Def("due", "date"),
    Def("plan", "list", ["free", "pro"]),
]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"note": 5}, "attribute_type"),
        ({"note": ["a"]}, "attribute_type"),
        ({"note": {"$gt": ""}}, "attribute_type"),
        ({"note": "x" * 1001}, "attribute_too_long"),
        ({"note": "nul\x00byte"}, "attribute_type"),
        ({"amount": "12"}, "attribute_type"),
        ({"amount": True}, "attribute_type"),
        ({"amount": math.nan}, "attribute_type"),
        ({"amount": math.inf}, "attribute_type"),
        ({"amount": 1e300}, "attribute_type"),
        ({"due": "2024-02-30"}, "attribute_type"),
        ({"due": "2024-1-5"}, "attribute_type"),
        ({"due": "2024-01-05T00:00:00Z"}, "attribute_type"),
        ({"due": 20240105}, "attribute_type"),
        ({"plan": "PRO"}, "attribute_not_an_option"),
        ({"plan": 1}, "attribute_not_an_option"),
        ({"nope": "x"}, "unknown_attribute"),
        ({"__proto__": "x"}, "unknown_attribute"),
        ({"note": "ok", "amount": "bad"}, "attribute_type"),
    ],
)
def test_bad_values_are_refused(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_changes(DEFS, changes)
    assert caught.value.code == code
    assert caught.value.details["field"].startswith("attributes.")


def test_good_values_are_normalised() -> None:
    checked = check_changes(
        DEFS, {"note": "多行\n文字", "amount": 12.0, "due": "2024-02-29", "plan": "pro"}
    )
    assert checked == {"note": "多行\n文字", "amount": 12, "due": "2024-02-29", "plan": "pro"}
    assert check_changes(DEFS, {"amount": -0.5})["amount"] == -0.5
    assert apply_changes({"note": "a", "plan": "free"}, {"note": None, "amount": 3}) == {
        "plan": "free",
        "amount": 3,
    }


async def test_definitions_are_managed_by_admins(app: FastAPI, workspace: Workspace) -> None:
    admin = await agent_client(app, workspace.admin.email)
    agent = await agent_client(app, workspace.agent.email)
    created = await define(admin, "conversation", "order_id", "text")
    body = {"scope": "contact", "key": "tier", "label": "Tier", "type": "list", "options": ["a"]}
    assert (await agent.post("/api/v1/attribute-definitions", json=body)).status_code == 403
    url = f"/api/v1/attribute-definitions/{created['id']}"
    assert (await agent.patch(url, json={"label": "Hacked"})).status_code == 403
    assert (await agent.delete(url)).status_code == 403
    listed = (await agent.get("/api/v1/attribute-definitions?scope=conversation")).json()
    assert [d["key"] for d in listed] == ["order_id"]  # agents read them to show the forms
    assert (await agent.get("/api/v1/attribute-definitions?scope=contact")).json() == []

    for bad in (
        body | {"key": "Bad-Key"},
        body | {"key": "x" * 41},
        body | {"key": "<script>"},
        body | {"label": "x" * 10_000},
        body | {"label": "   "},
        body | {"options": []},
        body | {"options": ["a", "a"]},
        body | {"options": ["x" * 101]},
        body | {"type": "text"},  # options on a text attribute
        body | {"type": "json"},
        body | {"scope": "user"},
    ):
        r = await admin.post("/api/v1/attribute-definitions", json=bad)
        assert r.status_code == 422, (bad, r.text)
    taken = await admin.post(
        "/api/v1/attribute-definitions",
        json={"scope": "conversation", "key": "order_id", "label": "Again", "type": "text"},
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "attribute_key_taken"
    # The same key in the other scope is another attribute.
    await define(admin, "contact", "order_id", "number")
    renamed = await admin.patch(url, json={"label": "訂單編號"})
    assert renamed.json()["label"] == "訂單編號" and renamed.json()["type"] == "text"
    assert (await admin.patch(url, json={"options": ["x"]})).status_code == 422
    assert (await admin.patch(url, json={"type": "number"})).status_code == 422
    assert (await admin.delete(url)).status_code == 204
    assert (await admin.delete(url)).status_code == 404
    await admin.aclose()
    await agent.aclose()


async def test_conversation_values_are_checked_logged_and_scoped(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, capture_events: EventCapture
) -> None:
    await chat(client, workspace.inbox, "attrs")
    admin = await agent_client(app, workspace.admin.email)
    await define(admin, "conversation", "order_id", "text")
    await define(admin, "conversation", "refund", "number")
    await define(admin, "conversation", "channel", "list", ["web", "phone"])
    await define(admin, "contact", "vip", "text")  # another scope: unknown on conversations
    conv = await conversation_with(admin, "attrs")
    url = f"/api/v1/conversations/{conv['id']}/attributes"
    agent = await agent_client(app, workspace.agent.email)
    for changes, named in (
        ({"refund": "100"}, "attributes.refund"),
        ({"channel": "fax"}, "attributes.channel"),
        ({"order_id": "x" * 5000}, "attributes.order_id"),
        ({"vip": "yes"}, "attributes.vip"),
        ({"order_id": "A1", "refund": [1]}, "attributes.refund"),
    ):
        r = await agent.patch(url, json={"attributes": changes})
        assert r.status_code == 422, (changes, r.text)
        assert named in r.json()["error"]["message"]
    assert (await agent.patch(url, json={"attributes": "nope"})).status_code == 422
    many = {f"k{i}": "v" for i in range(101)}
    assert (await agent.patch(url, json={"attributes": many})).status_code == 422
    fresh = (await agent.get(f"/api/v1/conversations/{conv['id']}")).json()
    assert fresh["attributes"] == {} and fresh["last_seq"] == conv["last_seq"]

    r = await agent.patch(url, json={"attributes": {"order_id": "A-1001", "refund": 250.5}})
    assert r.status_code == 200, r.text
    assert r.json()["attributes"] == {"order_id": "A-1001", "refund": 250.5}
    r = await agent.patch(url, json={"attributes": {"refund": None, "channel": "phone"}})
    assert r.json()["attributes"] == {"order_id": "A-1001", "channel": "phone"}
    same = await agent.patch(url, json={"attributes": {"channel": "phone"}})
    assert same.json()["last_seq"] == r.json()["last_seq"]  # no change, no activity line
    lines = (await agent.get(f"/api/v1/conversations/{conv['id']}/messages")).json()["items"]
    activity = [m["activity"] for m in lines if m["kind"] == "activity"]
    assert activity == [
        {
            "type": "attributes_changed",
            "by": "王小美",
            "changes": {"order_id": "A-1001", "refund": 250.5},
        },
        {
            "type": "attributes_changed",
            "by": "王小美",
            "changes": {"refund": None, "channel": "phone"},
        },
    ]
    changed = capture_events.of_type(types.CONVERSATION_UPDATED)
    assert changed[-1].agent["conversation"]["attributes"] == {
        "order_id": "A-1001",
        "channel": "phone",
    }
    outsider = await agent_client(app, workspace.outsider.email)
    hidden = await outsider.patch(url, json={"attributes": {"order_id": "x"}})
    assert hidden.status_code == 404
    for c in (agent, outsider, admin):
        await c.aclose()
