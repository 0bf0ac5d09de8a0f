"""Driving the bot through the app in tests."""

from __future__ import annotations

from typing import Any

import httpx

from kefu.runtime import Runtime
from tests.conftest import Workspace, visitor_send


async def settle(runtime: Runtime) -> None:
    """Until routing and the bot are both idle (a turn may route; routing may start a turn)."""
    for _ in range(4):
        await runtime.dispatcher.settle()
        await runtime.bot.settle()


async def ask(
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    text: str,
    token: str | None = None,
) -> str:
    """A visitor's message to the workspace's inbox, once the bot has dealt with it; returns
    the visitor token for the next one."""
    body = await visitor_send(client, workspace.inbox, text, token)
    await settle(runtime)
    return str(body["visitor_token"])


async def latest(agent: httpx.AsyncClient) -> dict[str, Any]:
    item: dict[str, Any] = (await agent.get("/api/v1/conversations?status=all&limit=1")).json()[
        "items"
    ][0]
    page = (await agent.get(f"/api/v1/conversations/{item['id']}/messages")).json()
    item["messages"] = page["items"]
    return item


def said_by(conversation: dict[str, Any], sender_type: str) -> list[str]:
    return [
        m["text"]
        for m in conversation["messages"]
        if m["kind"] == "outgoing" and m["sender"]["type"] == sender_type
    ]


def activities(conversation: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        m["activity"]
        for m in conversation["messages"]
        if m["kind"] == "activity" and m["activity"]["type"] == kind
    ]
