"""Serve a provider's fake API (a Starlette app written from the provider's documented contract)
on a free loopback port, for the duration of a test: adapters talk to it over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

from tests.conftest import free_port


class _QuickServer(uvicorn.Server):
    """uvicorn checks for shutdown every 0.1 s; a fake that stops at once saves seconds over
    a module of tests that start several of them."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter += 1
            await asyncio.sleep(0.005)


@asynccontextmanager
async def serve_asgi(app: ASGIApp) -> AsyncIterator[str]:
    """Yields the server's base URL, e.g. "http://127.0.0.1:54321"."""
    port = free_port()
    server = _QuickServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    else:
        raise RuntimeError("the fake provider server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Clients keep idle keep-alive connections: without force_exit uvicorn waits for them
        # (half a second a test).
        server.should_exit = server.force_exit = True
        await task
