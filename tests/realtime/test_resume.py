"""WebSocket protocol: live delivery, resume without gap or duplicate, scoping."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from fastapi import FastAPI

from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client, visitor_send


async def _token(runtime: Runtime, app: FastAPI, email: str) -> str:
    agent = await agent_client(app, email)
    token: str = (await agent.post("/api/v1/me/tokens", json={"name": "ws"})).json()["token"]
    await agent.aclose()
    return token


async def recv_until(ws: Any, predicate: Any, wait: float = 5.0) -> list[dict[str, Any]]:
    """Collect frames until one satisfies predicate (inclusive)."""
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(wait):
        while True:
            frame = json.loads(await ws.recv())
            frames.append(frame)
            if predicate(frame):
                return frames


async def test_agent_socket_gets_live_message_and_resume_replays_missed(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
) -> None:
    first = await visitor_send(client, workspace.inbox, "first")
    token = first["visitor_token"]
    api_token = await _token(runtime, app, workspace.agent.email)
    headers = {"Authorization": f"Bearer {api_token}"}
    url = f"ws://{live_server}/ws/console"
    async with websockets.connect(url, additional_headers=headers) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        await visitor_send(client, workspace.inbox, "live one", token=token)
        frames = await recv_until(ws, lambda f: f["type"] == "message.created")
        live = frames[-1]
        assert live["message"]["text"] == "live one"
        conversation_id = live["conversation_id"]
        last_seq = live["seq"]

    # Disconnected while 50 messages are sent.
    for i in range(50):
        await visitor_send(client, workspace.inbox, f"missed {i}", token=token)

    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.recv()  # hello
        await ws.send(
            json.dumps({"type": "resume", "conversation_id": conversation_id, "last_seq": last_seq})
        )
        frames = await recv_until(ws, lambda f: f["type"] == "resumed")
    created = [f for f in frames if f["type"] == "message.created"]
    assert [f["message"]["text"] for f in created] == [f"missed {i}" for i in range(50)]
    assert [f["seq"] for f in created] == list(range(last_seq + 1, last_seq + 51))
    assert frames[-1]["last_seq"] == last_seq + 50


async def test_visitor_socket_send_ack_and_agent_reply(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
) -> None:
    first = await visitor_send(client, workspace.inbox, "hello")
    token = first["visitor_token"]
    url = f"ws://{live_server}/ws/widget?inbox={workspace.inbox.public_key}&token={token}"
    agent = await agent_client(app, workspace.agent.email)
    conv_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]
    async with websockets.connect(url, origin="https://shop.example.com") as ws:  # type: ignore[arg-type]
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.send(json.dumps({"type": "message.send", "text": "via ws", "client_msg_id": "a1"}))
        frames = await recv_until(ws, lambda f: f["type"] == "ack")
        assert frames[-1]["seq"] == 2 and frames[-1]["duplicate"] is False
        await ws.send(json.dumps({"type": "message.send", "text": "via ws", "client_msg_id": "a1"}))
        frames = await recv_until(ws, lambda f: f["type"] == "ack")
        assert frames[-1]["duplicate"] is True and frames[-1]["seq"] == 2
        await agent.post(
            f"/api/v1/conversations/{conv_id}/messages", json={"text": "note", "kind": "note"}
        )
        await agent.post(f"/api/v1/conversations/{conv_id}/messages", json={"text": "reply"})
        frames = await recv_until(
            ws, lambda f: f["type"] == "message.created" and f["message"]["kind"] == "outgoing"
        )
        texts = [f["message"]["text"] for f in frames if f["type"] == "message.created"]
        assert "note" not in texts
        assert frames[-1]["message"]["text"] == "reply"
        assert frames[-1]["conversation_id"] == first["conversation"]["id"]
    await agent.aclose()


async def test_outsider_socket_receives_no_events_of_other_inbox(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
) -> None:
    outsider_token = await _token(runtime, app, workspace.outsider.email)
    member_token = await _token(runtime, app, workspace.agent.email)
    url = f"ws://{live_server}/ws/console"
    async with (
        websockets.connect(
            url, additional_headers={"Authorization": f"Bearer {outsider_token}"}
        ) as out_ws,
        websockets.connect(
            url, additional_headers={"Authorization": f"Bearer {member_token}"}
        ) as in_ws,
    ):
        await out_ws.recv()
        await in_ws.recv()
        await visitor_send(client, workspace.inbox, "private to inbox")
        await recv_until(in_ws, lambda f: f["type"] == "message.created")
        await out_ws.send(json.dumps({"type": "ping", "ref": "p"}))
        frames = await recv_until(out_ws, lambda f: f["type"] == "pong")
        assert frames == [{"type": "pong", "ref": "p"}]


async def test_visitor_socket_refuses_foreign_origin_and_bad_token(
    client: httpx.AsyncClient, workspace: Workspace, live_server: str
) -> None:
    first = await visitor_send(client, workspace.inbox, "hello")
    key = workspace.inbox.public_key
    url = f"ws://{live_server}/ws/widget?inbox={key}&token={first['visitor_token']}"
    async with websockets.connect(url, origin="https://evil.example.net") as ws:  # type: ignore[arg-type]
        frame = json.loads(await ws.recv())
        assert frame["error"]["code"] == "origin_not_allowed"
    bad = f"ws://{live_server}/ws/widget?inbox={key}&token=forged"
    async with websockets.connect(bad) as ws:
        frame = json.loads(await ws.recv())
        assert frame["error"]["code"] == "invalid_visitor_token"
