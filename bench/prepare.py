"""Preparation through kefu's public HTTP API: agent API tokens and N visitors, each created by
its first widget message (which also opens its conversation)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import httpx

PREP_CONCURRENCY = 32
AGENT_EMAILS = ("admin@kefu.local", "mei@kefu.local", "alex@kefu.local")


def demo_passwords(data_dir: Path) -> dict[str, str]:
    lines = (data_dir / "demo-logins.txt").read_text().splitlines()
    return {email: password for _, email, password in (line.split("\t") for line in lines)}


async def agent_tokens(base_url: str, data_dir: Path) -> list[str]:
    """One personal API token per demo user (all are members of the demo inbox)."""
    passwords = demo_passwords(data_dir)
    tokens = []
    for email in AGENT_EMAILS:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            r = await client.post(
                "/api/v1/auth/login", json={"email": email, "password": passwords[email]}
            )
            r.raise_for_status()
            csrf = r.json()["csrf_token"]
            r = await client.post(
                "/api/v1/me/tokens", json={"name": "bench"}, headers={"x-csrf-token": csrf}
            )
            r.raise_for_status()
            tokens.append(str(r.json()["token"]))
    return tokens


async def inbox_key(base_url: str, token: str) -> str:
    """The demo inbox's widget key. Its automatic replies (greeting, queued) are turned off: this
    benchmark measures chat messages, and two replies per new visitor would add to every figure
    of the preparation without being what is measured (bench/routing.py measures routing)."""
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30, headers=headers) as client:
        r = await client.get("/api/v1/inboxes")
        r.raise_for_status()
        inbox = r.json()[0]
        url = f"/api/v1/inboxes/{inbox['id']}/routing"
        routing = (await client.get(url)).raise_for_status().json()
        routing.update(
            greeting_enabled=False, queued_reply_enabled=False, outside_hours_reply_enabled=False
        )
        (await client.put(url, json=routing)).raise_for_status()
        return str(inbox["public_key"])


async def create_visitors(base_urls: list[str], key: str, count: int) -> list[str]:
    """Create `count` visitors, spread round-robin over the nodes; return their tokens in order."""
    clients = [
        httpx.AsyncClient(
            base_url=url,
            timeout=60,
            limits=httpx.Limits(max_connections=PREP_CONCURRENCY),
        )
        for url in base_urls
    ]
    tokens: list[str] = [""] * count
    todo = iter(range(count))

    async def creator(client: httpx.AsyncClient) -> None:
        for i in todo:
            body = {"text": f"bench visitor {i}", "client_msg_id": f"prep-{i}"}
            r = await client.post(f"/api/v1/widget/{key}/messages", json=body)
            r.raise_for_status()
            tokens[i] = str(r.json()["visitor_token"])

    try:
        pool = itertools.cycle(clients)
        await asyncio.gather(*(creator(next(pool)) for _ in range(PREP_CONCURRENCY)))
    finally:
        for client in clients:
            await client.aclose()
    return tokens
