"""Agent collision: `viewing` frames reach only the consoles viewing the same conversation (who
passed the same visibility check), say goodbye when a console leaves or closes, expire when a
console vanishes, and cross nodes through the broker (with notifications)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI
from redis.exceptions import RedisError

from kefu import runtime as runtime_module
from kefu.app import create_app
from kefu.auth.principals import SystemPrincipal
from kefu.config import Settings
from kefu.events.brokers import RedisBroker
from kefu.inboxes.actions import do_create_inbox
from kefu.realtime import viewers
from kefu.realtime.viewers import Watch, viewing_event
from kefu.runtime import Runtime
from kefu.users.actions import do_create_user
from tests.conftest import PASSWORD, Workspace, agent_client, free_port, visitor_send
from tests.notifications.helpers import Console, api_token, checked, start_conversation

REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


def viewing(conversation_id: int, on: bool = True) -> dict[str, object]:
    return {"type": "viewing", "conversation_id": conversation_id, "on": on}


async def test_viewing_reaches_only_fellow_viewers_and_says_goodbye(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    conversation_id, _ = await start_conversation(client, admin, workspace)
    other_id, _ = await start_conversation(client, admin, workspace)  # another visitor
    mei, alex, outsider, boss = [
        await Console.open(live_server, await api_token(app, user.email))
        for user in (workspace.agent, workspace.agent2, workspace.outsider, workspace.admin)
    ]

    await mei.send(viewing(conversation_id))
    first = await mei.wait_for(lambda f: f["type"] == "viewers")
    assert first == {"type": "viewers", "conversation_id": conversation_id, "viewers": []}
    await alex.send(viewing(conversation_id))
    snapshot = await alex.wait_for(lambda f: f["type"] == "viewers")
    assert [(v["user_id"], v["name"]) for v in snapshot["viewers"]] == [
        (workspace.agent.id, workspace.agent.name)
    ]
    seen = checked(await mei.wait_for(lambda f: f["type"] == "viewing"))
    assert (seen["user_id"], seen["name"], seen["on"]) == (workspace.agent2.id, "Alex", True)
    assert seen["expires_in"] == viewers.TTL_SECONDS

    # An agent of another inbox may not view it, and learns nothing of who does.
    refused = await outsider.request(viewing(conversation_id))
    assert refused["type"] == "error" and refused["error"]["code"] == "not_found"
    # Typing (agent-side) shows to the other viewer, never back to its author.
    await alex.send({"type": "typing", "conversation_id": conversation_id, "on": True})
    typing = await mei.wait_for(lambda f: f["type"] == "typing" and f["who"] == "agent")
    assert typing["name"] == "Alex"
    # A heartbeat refreshes without a second snapshot.
    await mei.send(viewing(conversation_id))
    for console in (mei, alex, outsider, boss):
        await console.settle()
    assert outsider.of_type("viewing") == [] and outsider.of_type("viewers") == []
    assert boss.of_type("viewing") == []  # an admin who does not view it is not told
    assert len(mei.of_type("viewers")) == 1
    assert all(f["user_id"] != workspace.agent2.id for f in alex.of_type("viewing"))
    assert [f["user_id"] for f in alex.of_type("viewing")] == [workspace.agent.id]  # the heartbeat

    # Moving to another conversation says goodbye to this one.
    await alex.send(viewing(other_id))
    left = await mei.wait_for(lambda f: f["type"] == "viewing" and not f["on"])
    assert (left["user_id"], left["viewer"]) == (workspace.agent2.id, seen["viewer"])
    # So does closing the console.
    await alex.send(viewing(conversation_id))
    back = await mei.wait_for(
        lambda f: f["type"] == "viewing" and f["on"] and f["viewer"] != seen["viewer"]
    )
    await alex.close()
    await mei.wait_for(
        lambda f: f["type"] == "viewing" and not f["on"] and f["viewer"] == back["viewer"]
    )
    assert runtime.hub.viewers.snapshot(conversation_id, exclude_user=workspace.agent.id) == []
    for console in (mei, outsider, boss):
        await console.close()
    await admin.aclose()


async def test_a_vanished_console_expires(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    conversation_id, _ = await start_conversation(client, admin, workspace)
    mei = await Console.open(live_server, await api_token(app, workspace.agent.email))
    await mei.send(viewing(conversation_id))
    await mei.wait_for(lambda f: f["type"] == "viewers")
    # Alex views it from another node, which then dies: no goodbye ever comes.
    ghost = Watch(conversation_id, workspace.inbox.id, "node-b-console")
    await runtime.broker.publish(
        [viewing_event(ghost, user_id=workspace.agent2.id, name="Alex", on=True, ttl=0.3)]
    )
    heard = checked(await mei.wait_for(lambda f: f["type"] == "viewing"))
    assert heard["expires_in"] == 0.3  # the console forgets it after that, unless refreshed
    seen = runtime.hub.viewers.snapshot(conversation_id, exclude_user=workspace.agent.id)
    assert [v["user_id"] for v in seen] == [workspace.agent2.id]
    await asyncio.sleep(0.4)
    assert runtime.hub.viewers.snapshot(conversation_id, exclude_user=workspace.agent.id) == []
    admin_console = await Console.open(live_server, await api_token(app, workspace.admin.email))
    await admin_console.send(viewing(conversation_id))
    later = await admin_console.wait_for(lambda f: f["type"] == "viewers")
    assert [v["user_id"] for v in later["viewers"]] == [workspace.agent.id]
    await mei.close()
    await admin_console.close()
    await admin.aclose()


# --- two nodes -----------------------------------------------------------------------------------


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _redis_or_skip() -> None:
    probe = aioredis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await probe.ping()
    except (RedisError, OSError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc})")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc})")
    finally:
        await probe.aclose()


async def test_viewing_and_notifications_cross_nodes(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _redis_or_skip()
    channel = f"kefu:test:{uuid.uuid4().hex}"  # not the cluster's: concurrent runs stay apart
    monkeypatch.setattr(
        runtime_module, "make_broker", lambda url: RedisBroker(url, channel=channel)
    )
    async with AsyncExitStack() as stack:
        apps = []
        for node in ("node-a", "node-b"):
            settings = Settings(
                data_dir=tmp_path / node,
                database_url=database_url,
                redis_url=REDIS_URL,
                secret_key="test-secret-key-" + "x" * 32,
                demo=False,
                gc_tuning=False,
                worker=False,
                node_name=node,
                _env_file=None,  # type: ignore[call-arg]
            )
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            apps.append(app)
        runtime: Runtime = apps[0].state.runtime
        system = SystemPrincipal()
        async with runtime.db.write() as session:
            users = [
                await do_create_user(
                    session, actor=system, email=f"{n}@example.com", name=n, password=PASSWORD
                )
                for n in ("amy", "bo")
            ]
            inbox = await do_create_inbox(
                session, actor=system, name="Web", member_ids=[u.id for u in users]
            )
        amy, bo = users
        servers = [await stack.enter_async_context(serving(app)) for app in apps]
        visitor = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apps[0]), base_url="http://testserver"
        )
        stack.push_async_callback(visitor.aclose)
        await visitor_send(visitor, inbox, "hello from the shop")
        amy_http = await agent_client(apps[0], amy.email)
        stack.push_async_callback(amy_http.aclose)
        conversation_id = (await amy_http.get("/api/v1/conversations")).json()["items"][0]["id"]

        on_a = await Console.open(servers[0], await api_token(apps[0], amy.email))
        on_b = await Console.open(servers[1], await api_token(apps[1], bo.email))
        await on_a.send(viewing(conversation_id))
        await on_a.wait_for(lambda f: f["type"] == "viewers")
        await on_b.send(viewing(conversation_id))
        # Node B heard of Amy through Redis before Bo came: its snapshot names her.
        snapshot = await on_b.wait_for(lambda f: f["type"] == "viewers")
        assert [v["name"] for v in snapshot["viewers"]] == ["amy"]
        assert (await on_a.wait_for(lambda f: f["type"] == "viewing"))["name"] == "bo"

        # Amy (node A) mentions Bo: Bo's console on node B gets the notification live.
        sent = await amy_http.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": "@bo", "kind": "note", "mentions": [{"type": "user", "id": bo.id}]},
        )
        assert sent.status_code == 201, sent.text
        pushed = checked(await on_b.wait_for(lambda f: f["type"] == "notification.created"))
        assert pushed["notification"]["actor"]["name"] == "amy" and pushed["alert"]["sound"]
        await on_b.close()
        left = await on_a.wait_for(lambda f: f["type"] == "viewing" and not f["on"])
        assert left["name"] == "bo"
        await on_a.close()
