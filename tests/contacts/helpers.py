"""Shared steps of the contact tests: visitors chatting, the conversation and contact behind a
visitor token, a supervisor, an agent of no inbox."""

from __future__ import annotations

from typing import Any

import httpx

from kefu.auth.principals import SystemPrincipal
from kefu.inboxes.models import Inbox
from kefu.runtime import Runtime
from kefu.users.actions import do_create_user
from kefu.users.models import User
from tests.conftest import PASSWORD, visitor_send


async def chat(client: httpx.AsyncClient, inbox: Inbox, text: str, token: str | None = None) -> str:
    """A visitor message; returns the visitor token."""
    sent = await visitor_send(client, inbox, text, token=token)
    return str(sent["visitor_token"])


async def conversation_with(admin: httpx.AsyncClient, marker: str) -> dict[str, Any]:
    """The conversation whose latest customer message is `marker` (any status, any inbox)."""
    page = (await admin.get("/api/v1/conversations", params={"status": "all"})).json()
    for item in page["items"]:
        if item["last_message_preview"] == marker:
            return dict(item)
    raise AssertionError(f"no conversation {marker!r}")


async def contact_of(admin: httpx.AsyncClient, marker: str) -> int:
    return int((await conversation_with(admin, marker))["contact"]["id"])


async def widget_session(client: httpx.AsyncClient, inbox: Inbox, token: str) -> dict[str, Any]:
    r = await client.get(
        f"/api/v1/widget/{inbox.public_key}/session", headers={"x-kefu-visitor": token}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def make_user(runtime: Runtime, email: str, role: str) -> User:
    async with runtime.db.write() as session:
        return await do_create_user(
            session, actor=SystemPrincipal(), email=email, name=email, password=PASSWORD, role=role
        )


async def add_member(admin: httpx.AsyncClient, inbox: Inbox, user_id: int) -> None:
    current = (await admin.get(f"/api/v1/inboxes/{inbox.id}")).json()["member_ids"]
    r = await admin.patch(f"/api/v1/inboxes/{inbox.id}", json={"member_ids": current + [user_id]})
    assert r.status_code == 200, r.text


async def define(
    admin: httpx.AsyncClient, scope: str, key: str, type: str, options: list[str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"scope": scope, "key": key, "label": key.title(), "type": type}
    if options is not None:
        body["options"] = options
    r = await admin.post("/api/v1/attribute-definitions", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())
