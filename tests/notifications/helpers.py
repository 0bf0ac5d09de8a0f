"""Helpers for the notification and collision tests: console sockets read in the background,
API tokens, a supervisor, and the conversation a visitor's message created."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import websockets
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection

from kefu.auth.principals import SystemPrincipal
from kefu.events.schemas import validate_payload
from kefu.runtime import Runtime
from kefu.users.actions import do_create_user
from kefu.users.models import User
from tests.conftest import PASSWORD, Workspace, agent_client, visitor_send

Frame = dict[str, Any]


class Console:
    """A console WebSocket whose frames are collected in the background."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, server: str, token: str) -> Console:
        ws = await websockets.connect(
            f"ws://{server}/ws/console", additional_headers={"Authorization": f"Bearer {token}"}
        )
        console = cls(ws)
        await console.wait_for(lambda f: f["type"] == "hello")
        return console

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
                self._changed.set()
        except websockets.ConnectionClosed:
            pass

    async def wait_for(self, predicate: Callable[[Frame], bool], within: float = 5.0) -> Frame:
        async with asyncio.timeout(within):
            while True:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
                self._changed.clear()
                await self._changed.wait()

    async def send(self, frame: Frame) -> None:
        await self.ws.send(json.dumps(frame))

    async def request(self, frame: Frame) -> Frame:
        """Send with a fresh ref; the server's reply (pong, ack, error) to it."""
        ref = uuid.uuid4().hex
        await self.send({**frame, "ref": ref})
        return await self.wait_for(lambda f: f.get("ref") == ref)

    async def settle(self) -> None:
        """A ping round trip: every frame queued for this socket before it has arrived."""
        await self.request({"type": "ping"})

    def of_type(self, kind: str) -> list[Frame]:
        return [f for f in self.frames if f["type"] == kind]

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


def checked(frame: Frame) -> Frame:
    """The frame, after validating it against its event schema (docs/realtime.md)."""
    validate_payload(frame["type"], frame, audience="agent")
    return frame


async def api_token(app: FastAPI, email: str) -> str:
    agent = await agent_client(app, email)
    token: str = (await agent.post("/api/v1/me/tokens", json={"name": "ws"})).json()["token"]
    await agent.aclose()
    return token


async def make_supervisor(app: FastAPI, runtime: Runtime, workspace: Workspace) -> User:
    """A supervisor who is a member of the workspace's inbox."""
    system = SystemPrincipal()
    async with runtime.db.write() as session:
        user = await do_create_user(
            session,
            actor=system,
            email="lead@example.com",
            name="Lead",
            password=PASSWORD,
            role="supervisor",
        )
    admin = await agent_client(app, workspace.admin.email)
    members = [workspace.agent.id, workspace.agent2.id, user.id]
    response = await admin.patch(
        f"/api/v1/inboxes/{workspace.inbox.id}", json={"member_ids": members}
    )
    assert response.status_code == 200, response.text
    await admin.aclose()
    return user


async def start_conversation(
    client: httpx.AsyncClient, agent: httpx.AsyncClient, workspace: Workspace, text: str = "hi"
) -> tuple[int, str]:
    """A visitor writes; the conversation's id (as agents see it) and the visitor's token."""
    sent = await visitor_send(client, workspace.inbox, text)
    page = (await agent.get("/api/v1/conversations")).json()
    return page["items"][0]["id"], sent["visitor_token"]
