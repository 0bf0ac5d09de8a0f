"""Tags: the catalogue (admins write, everyone reads), tags on a conversation (any agent who
sees it; a new name joins the catalogue), limits and hostile input, rename/delete reaching the
conversations, routing rules' tags in the catalogue, and the `tag=` filter."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.events import types
from kefu.events.schemas import validate_payload
from kefu.runtime import Runtime
from kefu.tags.models import ConversationTag, Tag
from kefu.tags.names import PALETTE
from tests.conftest import EventCapture, Workspace, agent_client
from tests.conversations.test_snooze import activities, start

PERMISSION_TESTED = {
    "GET /api/v1/tags",
    "POST /api/v1/tags",
    "PATCH /api/v1/tags/{tag_id}",
    "DELETE /api/v1/tags/{tag_id}",
    "POST /api/v1/conversations/{conversation_id}/tags",
}


async def tag_rows(runtime: Runtime) -> tuple[int, int]:
    async with runtime.db.read() as session:
        tags = await session.scalar(select(func.count(Tag.id)))
        links = await session.scalar(select(func.count()).select_from(ConversationTag))
    return int(tags or 0), int(links or 0)


async def test_agents_tag_conversations_and_the_catalogue_follows(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    runtime: Runtime,
    capture_events: EventCapture,
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    agent = await agent_client(app, workspace.agent.email)
    vip = await admin.post("/api/v1/tags", json={"name": "  VIP  ", "colour": "#AA0000"})
    assert vip.status_code == 201, vip.text
    assert vip.json()["name"] == "VIP" and vip.json()["colour"] == "#aa0000"
    conv_id, _ = await start(client, workspace, runtime)
    url = f"/api/v1/conversations/{conv_id}/tags"
    # Existing names match regardless of case and width; a new one joins the catalogue.
    tagged = await agent.post(url, json={"add": ["vip", "退款請求", "ＶＩＰ"]})
    assert tagged.status_code == 200, tagged.text
    assert tagged.json()["tags"] == ["VIP", "退款請求"]
    catalogue = {t["name"]: t for t in (await agent.get("/api/v1/tags")).json()}
    assert set(catalogue) == {"VIP", "退款請求"}
    assert catalogue["退款請求"]["colour"] in PALETTE
    again = await agent.post(url, json={"add": ["VIP"]})  # already there: no change, no line
    assert again.json()["tags"] == ["VIP", "退款請求"]
    removed = await agent.post(url, json={"remove": ["Vip"], "add": ["refund"]})
    assert removed.json()["tags"] == ["退款請求", "refund"]
    lines = [a for a in await activities(agent, conv_id) if a["type"] == "tags_changed"]
    assert lines == [
        {
            "type": "tags_changed",
            "by": workspace.agent.name,
            "added": ["VIP", "退款請求"],
            "removed": [],
        },
        {
            "type": "tags_changed",
            "by": workspace.agent.name,
            "added": ["refund"],
            "removed": ["VIP"],
        },
    ]
    # The list filter, by any spelling; the rows behind it match the JSON list.
    for name, expected in (("退款請求", [conv_id]), ("REFUND", [conv_id]), ("vip", [])):
        listed = await agent.get("/api/v1/conversations", params={"tag": name, "status": "all"})
        assert [c["id"] for c in listed.json()["items"]] == expected, name
    both = await agent.get(
        "/api/v1/conversations", params=[("tag", "refund"), ("tag", "退款請求"), ("status", "all")]
    )
    assert [c["id"] for c in both.json()["items"]] == [conv_id]
    assert await tag_rows(runtime) == (3, 2)

    # Admin renames and recolours: conversations follow; consoles are told to reload.
    refund_id = next(
        t["id"] for t in (await agent.get("/api/v1/tags")).json() if t["name"] == "refund"
    )
    renamed = await admin.patch(
        f"/api/v1/tags/{refund_id}", json={"name": "Refund", "colour": "#00aa00"}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Refund"
    clash = await admin.patch(f"/api/v1/tags/{refund_id}", json={"name": "vip"})
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "tag_name_taken"
    assert (await agent.get(f"/api/v1/conversations/{conv_id}")).json()["tags"] == [
        "退款請求",
        "Refund",
    ]
    deleted = await admin.delete(f"/api/v1/tags/{catalogue['退款請求']['id']}")
    assert deleted.status_code == 204
    assert (await agent.get(f"/api/v1/conversations/{conv_id}")).json()["tags"] == ["Refund"]
    assert await tag_rows(runtime) == (2, 1)
    changed = capture_events.of_type(types.TAGS_CHANGED)
    assert changed and workspace.agent.id in (changed[-1].user_ids or ())
    assert changed[-1].agent == {"type": "tags.changed"}  # nothing about any conversation
    for event in capture_events.events:
        validate_payload(event.type, event.agent, audience="agent")
    await admin.aclose()
    await agent.aclose()


async def test_hostile_tag_input_is_refused_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    agent = await agent_client(app, workspace.agent.email)
    conv_id, _ = await start(client, workspace, runtime)
    url = f"/api/v1/conversations/{conv_id}/tags"
    huge = "退" * 10_000
    cases = [
        (agent.post(url, json={"add": [huge]}), 422, "tag_name_too_long"),
        (admin.post("/api/v1/tags", json={"name": huge}), 422, "tag_name_too_long"),
        (agent.post(url, json={"add": ["a" * 51]}), 422, "tag_name_too_long"),
        (agent.post(url, json={"add": ["   "]}), 422, "bad_tag_name"),
        (agent.post(url, json={"add": ["bad\u0000name"]}), 422, "bad_tag_name"),
        (agent.post(url, json={"add": [42]}), 422, "invalid_input"),
        (agent.post(url, json={"add": "vip"}), 422, "invalid_input"),
        (agent.post(url, json={}), 422, "invalid_input"),
        (agent.post(url, json={"add": [f"t{i}" for i in range(31)]}), 422, "invalid_input"),
        (admin.post("/api/v1/tags", json={"name": "x", "colour": "red"}), 422, "invalid_input"),
        (agent.get("/api/v1/conversations", params={"tag": "x" * 300}), 422, "tag_name_too_long"),
        (agent.get("/api/v1/conversations", params={"tag": "a\x00b"}), 422, "bad_tag_name"),
    ]
    for request, status, code in cases:
        response = await request
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code, response.text
    assert await tag_rows(runtime) == (0, 0)
    assert (await agent.get(f"/api/v1/conversations/{conv_id}")).json()["tags"] == []

    # At most 30 tags on a conversation: the 31st is refused, the 30 stay.
    thirty = [f"tag {i}" for i in range(30)]
    assert (await agent.post(url, json={"add": thirty})).status_code == 200
    over = await agent.post(url, json={"add": ["one more"]})
    assert over.status_code == 422 and over.json()["error"]["code"] == "too_many_tags"
    assert re.search("30", over.json()["error"]["message"])
    assert len((await agent.get(f"/api/v1/conversations/{conv_id}")).json()["tags"]) == 30
    assert await tag_rows(runtime) == (30, 30)
    await admin.aclose()
    await agent.aclose()


async def test_routing_rule_tags_join_the_catalogue(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    await admin.post("/api/v1/tags", json={"name": "VIP", "colour": "#123456"})
    rule = await admin.post(
        "/api/v1/routing/rules",
        json={
            "name": "refunds",
            "conditions": {"items": [{"field": "keywords", "keywords": ["退款"]}]},
            "actions": {"tags": ["vip", "退款請求"]},
        },
    )
    assert rule.status_code == 201, rule.text
    conv_id, _ = await start(client, workspace, runtime, text="我要退款")
    conversation = (await admin.get(f"/api/v1/conversations/{conv_id}")).json()
    assert conversation["tags"] == ["VIP", "退款請求"]
    names = {t["name"] for t in (await admin.get("/api/v1/tags")).json()}
    assert names == {"VIP", "退款請求"}
    listed = await admin.get("/api/v1/conversations", params={"tag": "退款請求"})
    assert [c["id"] for c in listed.json()["items"]] == [conv_id]
    await admin.aclose()


async def test_tag_permissions(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    agent = await agent_client(app, workspace.agent.email)
    outsider = await agent_client(app, workspace.outsider.email)
    tag_id = (await admin.post("/api/v1/tags", json={"name": "VIP"})).json()["id"]
    conv_id, sent = await start(client, workspace, runtime)
    refused = [
        await agent.post("/api/v1/tags", json={"name": "new"}),
        await agent.patch(f"/api/v1/tags/{tag_id}", json={"colour": "#000000"}),
        await agent.delete(f"/api/v1/tags/{tag_id}"),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert (await agent.get("/api/v1/tags")).status_code == 200
    assert (await admin.patch("/api/v1/tags/9999", json={"name": "x"})).status_code == 404
    hidden = await outsider.post(f"/api/v1/conversations/{conv_id}/tags", json={"add": ["VIP"]})
    assert hidden.status_code == 404
    visitor = await client.post(
        f"/api/v1/conversations/{conv_id}/tags",
        json={"add": ["VIP"]},
        headers={"x-kefu-visitor": sent["visitor_token"]},
    )
    assert visitor.status_code == 401
    filtered = await outsider.get("/api/v1/conversations", params={"tag": "VIP", "status": "all"})
    assert filtered.json()["items"] == []
    assert (await admin.get(f"/api/v1/conversations/{conv_id}")).json()["tags"] == []
    for c in (admin, agent, outsider):
        await c.aclose()
