"""The event brokers: the in-process fan-out, and Redis pub/sub between nodes, including the
resync a node asks of its clients after it lost its Redis subscription."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, cast

import redis.asyncio as aioredis
from starlette.websockets import WebSocket

from kefu.events import types
from kefu.events.brokers import InProcessBroker, RedisBroker
from kefu.events.types import Event
from kefu.realtime.hub import Connection, Hub


def _event(n: int, *, inbox_id: int = 1) -> Event:
    return Event(
        type=types.MESSAGE_CREATED,
        inbox_id=inbox_id,
        contact_id=7,
        actor_user_id=3,
        agent={"type": types.MESSAGE_CREATED, "conversation_id": 5, "seq": n, "text": f"m{n} 你好"},
        contact={"type": types.MESSAGE_CREATED, "conversation_id": "pub", "seq": n},
    )


class Collector:
    """A dispatch callback that lets a test await the n-th event."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(self, count: int, within: float = 5.0) -> list[Event]:
        async with asyncio.timeout(within):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events


class FakeSocket:
    """Stands in for a Starlette WebSocket inside a hub Connection."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))
        self._changed.set()

    async def close(self, code: int = 1000) -> None:
        return None

    async def wait_for_frame(self, predicate: Any, within: float = 10.0) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
                self._changed.clear()
                await self._changed.wait()


async def _no_resync() -> None:
    raise AssertionError("resync must not be requested without a connection loss")


async def test_in_process_broker_dispatches_in_order_and_stops() -> None:
    broker = InProcessBroker()
    seen = Collector()
    await broker.start(seen, _no_resync)
    await broker.publish([_event(1), _event(2)])
    assert [e.agent["seq"] for e in seen.events] == [1, 2]
    await broker.stop()
    await broker.publish([_event(3)])
    assert len(seen.events) == 2


async def test_redis_broker_round_trip_between_two_nodes(redis_url: str, channel: str) -> None:
    node_a, node_b = (
        RedisBroker(redis_url, channel=channel),
        RedisBroker(redis_url, channel=channel),
    )
    seen_a, seen_b = Collector(), Collector()
    await node_a.start(seen_a, _no_resync)
    await node_b.start(seen_b, _no_resync)
    try:
        sent = [_event(n) for n in range(1, 21)]
        await node_a.publish(sent[:10])
        await node_b.publish(sent[10:])
        # Every node receives every event, its own included, each once, in publish order per node.
        for seen in (seen_a, seen_b):
            received = await seen.wait_for(20)
            assert sorted(received, key=lambda e: e.agent["seq"]) == sent
            seqs = [e.agent["seq"] for e in received]
            assert [s for s in seqs if s <= 10] == list(range(1, 11))
            assert [s for s in seqs if s > 10] == list(range(11, 21))
    finally:
        await node_a.stop()
        await node_b.stop()
    assert len(seen_a.events) == len(seen_b.events) == 20


async def test_redis_broker_ignores_other_channels(redis_url: str, channel: str) -> None:
    mine, other = (
        RedisBroker(redis_url, channel=channel),
        RedisBroker(redis_url, channel=channel + "x"),
    )
    seen_mine, seen_other = Collector(), Collector()
    await mine.start(seen_mine, _no_resync)
    await other.start(seen_other, _no_resync)
    try:
        await other.publish([_event(1)])
        await mine.publish([_event(2)])
        assert [e.agent["seq"] for e in await seen_mine.wait_for(1)] == [2]
        assert [e.agent["seq"] for e in await seen_other.wait_for(1)] == [1]
    finally:
        await mine.stop()
        await other.stop()


async def test_redis_connection_loss_resyncs_clients_and_events_flow_again(
    redis_url: str, channel: str
) -> None:
    """Drop the node's subscriber connection (as a Redis restart or a network cut would): events
    published meanwhile are lost to it, so every client of the node must be told to resync, and
    live events must flow again afterwards."""
    name = f"kefu-test-{uuid.uuid4().hex[:12]}"
    hub = Hub()
    resyncs: list[float] = []
    resynced = asyncio.Event()

    async def resync() -> None:
        resyncs.append(asyncio.get_running_loop().time())
        await hub.resync_all()
        resynced.set()

    socket = FakeSocket()
    hub.add(Connection(cast(WebSocket, socket), user_id=1, is_admin=True))
    node = RedisBroker(f"{redis_url}?client_name={name}", channel=channel)
    publisher = RedisBroker(redis_url, channel=channel)
    admin = aioredis.from_url(redis_url)
    await node.start(hub.dispatch, resync)
    try:
        await publisher.publish([_event(1)])
        await socket.wait_for_frame(lambda f: f.get("seq") == 1)

        subscribers = [c for c in await admin.client_list(_type="pubsub") if c["name"] == name]
        assert len(subscribers) == 1, subscribers
        assert await admin.client_kill_filter(_id=subscribers[0]["id"]) == 1

        async with asyncio.timeout(10):
            await resynced.wait()
        await socket.wait_for_frame(lambda f: f == {"type": "resync"})
        assert len(resyncs) == 1

        # Subscribed again: live events reach the node's clients.
        await publisher.publish([_event(2)])
        await socket.wait_for_frame(lambda f: f.get("seq") == 2)
        renewed = [c for c in await admin.client_list(_type="pubsub") if c["name"] == name]
        assert len(renewed) == 1 and renewed[0]["id"] != subscribers[0]["id"]
    finally:
        await node.stop()
        await publisher.stop()
        await admin.aclose()
    frames = [f for f in socket.frames if f.get("seq") is not None or f["type"] == "resync"]
    assert frames == [_event(1).agent, {"type": "resync"}, _event(2).agent]
