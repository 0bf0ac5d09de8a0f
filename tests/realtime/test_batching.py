"""Group commit of customers' socket messages: batches keep seq order and gaplessness, and
anything unusual falls back to the one-by-one path with its full rules."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI

from kefu.messages import actions as message_actions
from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client, visitor_send
from tests.realtime.test_resume import recv_until


@pytest.fixture
def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    original = message_actions.do_append_incoming_batch

    async def counting(session: Any, items: list[message_actions.IncomingItem]) -> Any:
        sizes.append(len(items))
        return await original(session, items)

    monkeypatch.setattr("kefu.realtime.batching.do_append_incoming_batch", counting)
    return sizes


async def _socket(live_server: str, workspace: Workspace, token: str) -> Any:
    url = f"ws://{live_server}/ws/widget?inbox={workspace.inbox.public_key}&token={token}"
    ws = await websockets.connect(url)
    assert json.loads(await ws.recv())["type"] == "hello"
    return ws


async def _send(ws: Any, text: str, client_msg_id: str) -> dict[str, Any]:
    await ws.send(
        json.dumps({"type": "message.send", "text": text, "client_msg_id": client_msg_id})
    )
    frames = await recv_until(ws, lambda f: f["type"] in ("ack", "error"), wait=10)
    frame: dict[str, Any] = frames[-1]
    return frame


async def test_concurrent_socket_messages_are_batched_gapless(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
    batch_sizes: list[int],
) -> None:
    visitors = [await visitor_send(client, workspace.inbox, f"start {i}") for i in range(12)]
    sockets = [await _socket(live_server, workspace, v["visitor_token"]) for v in visitors]
    # One message each to learn the conversation, then rounds of concurrent sends.
    for i, ws in enumerate(sockets):
        assert (await _send(ws, f"hello {i}", f"h{i}"))["seq"] == 2
    for round_ in range(3):
        acks = await asyncio.gather(
            *(_send(ws, f"r{round_} v{i}", f"r{round_}-{i}") for i, ws in enumerate(sockets))
        )
        assert [a["seq"] for a in acks] == [3 + round_] * len(sockets)
        assert not any(a["duplicate"] for a in acks)
    assert max(batch_sizes) > 1, batch_sizes  # they really were written together
    agent = await agent_client(app, workspace.agent.email)
    for conv in (await agent.get("/api/v1/conversations?limit=100")).json()["items"]:
        page = (await agent.get(f"/api/v1/conversations/{conv['id']}/messages")).json()
        assert [m["seq"] for m in page["items"]] == [1, 2, 3, 4, 5]
        assert conv["last_message_preview"] == page["items"][-1]["text"]
    for ws in sockets:
        await ws.close()
    await agent.aclose()


async def test_resolved_conversation_and_retries_fall_back_to_full_rules(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
    batch_sizes: list[int],
) -> None:
    first = await visitor_send(client, workspace.inbox, "hi")
    ws = await _socket(live_server, workspace, first["visitor_token"])
    assert (await _send(ws, "second", "s2"))["seq"] == 2  # conversation now known to the socket
    retry = await _send(ws, "second", "s2")
    assert retry["duplicate"] is True and retry["seq"] == 2
    agent = await agent_client(app, workspace.agent.email)
    conv_id = (await agent.get("/api/v1/conversations")).json()["items"][0]["id"]
    await agent.post(f"/api/v1/conversations/{conv_id}/status", json={"status": "resolved"})
    again = await _send(ws, "after resolve", "s3")
    assert again["conversation_id"] == first["conversation"]["id"]
    conversation = (await agent.get(f"/api/v1/conversations/{conv_id}")).json()
    assert conversation["status"] == "open"
    kinds = [
        m["kind"]
        for m in (await agent.get(f"/api/v1/conversations/{conv_id}/messages")).json()["items"]
    ]
    assert kinds == ["incoming", "incoming", "activity", "incoming", "activity"]
    bad = await _send(ws, "   ", "s4")
    assert bad["type"] == "error" and bad["error"]["code"] == "empty_message"
    await ws.close()
    await agent.aclose()
