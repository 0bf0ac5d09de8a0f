"""Fan-out of committed events to every node: in-process (default) or Redis pub/sub.

Redis pub/sub is fire-and-forget, so a node that loses its Redis connection asks its clients to
resync (they resume from their last seq, from the database) once it is connected again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import orjson
import redis.asyncio as aioredis

from kefu.events.types import Event

log = logging.getLogger(__name__)

Dispatch = Callable[[Event], None]
Resync = Callable[[], Awaitable[None]]

CHANNEL = "kefu:events"


class Broker(Protocol):
    async def start(self, dispatch: Dispatch, resync: Resync) -> None: ...
    async def publish(self, events: list[Event]) -> None: ...
    async def stop(self) -> None: ...


class InProcessBroker:
    def __init__(self) -> None:
        self._dispatch: Dispatch | None = None

    async def start(self, dispatch: Dispatch, resync: Resync) -> None:
        self._dispatch = dispatch

    async def publish(self, events: list[Event]) -> None:
        if self._dispatch is None:
            return
        for event in events:
            self._dispatch(event)

    async def stop(self) -> None:
        self._dispatch = None


class RedisBroker:
    def __init__(self, url: str, *, channel: str = CHANNEL) -> None:
        self.url = url
        self.channel = channel
        self._redis = aioredis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self, dispatch: Dispatch, resync: Resync) -> None:
        self._task = asyncio.create_task(self._listen(dispatch, resync), name="redis-broker")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def publish(self, events: list[Event]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self.channel, orjson.dumps(event.to_wire()))
            await pipe.execute()

    async def _listen(self, dispatch: Dispatch, resync: Resync) -> None:
        backoff = 0.2
        connected_before = False
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._ready.set()
                if connected_before:
                    await resync()
                connected_before = True
                backoff = 0.2
                async for message in pubsub.listen():
                    if message["type"] != "message":
                        continue
                    try:
                        dispatch(Event.from_wire(orjson.loads(message["data"])))
                    except Exception:
                        log.exception("bad event from redis")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis broker disconnected (%s); retrying in %.1fs", exc, backoff)
            finally:
                # redis-py reconnects and resubscribes a failed pubsub connection by itself before
                # raising: close it, or it stays subscribed but unread (a leaked connection that
                # fills Redis's output buffer) while the next pubsub takes over.
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()


def make_broker(redis_url: str) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
