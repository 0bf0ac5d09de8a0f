"""The webhook benchmark: bursts of provider webhooks into one kefu node, each delivered twice,
then a count of what was stored. Run from the repository root:

    .venv/bin/python -m bench.webhooks --db sqlite
    .venv/bin/python -m bench.webhooks --db postgres --webhooks 5000 --concurrency 100

Prints one JSON object (docs/benchmarks.md, "Webhooks"):
1. A fresh SQLite file or PostgreSQL database, migrated; a Telegram inbox created with its
   secrets (the Telegram adapter: its webhook is authenticated by a secret header, so the
   figures are kefu's own work, not a hash function's).
2. One kefu node (`kefu serve`, worker off so that only webhooks are measured) and this process
   as its client: --webhooks updates from --customers customers (Chinese and English text), sent
   --concurrency at a time; every update is sent a second time right after its first 200 (a
   provider's redelivery). Latency is per request, measured at the client.
3. `lost` = updates answered 200 whose message is not in the database (must be 0);
   `duplicated` = customer messages beyond one per update (must be 0). The inbox's automatic
   replies (greeting, queue place) are on, as in a real inbox, and are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.routing_setup import Store
from bench.servers import Server, free_port
from bench.stats import percentiles
from kefu.auth.principals import SystemPrincipal
from kefu.auth.sealing import SecretBox
from kefu.channels import adapters  # noqa: F401  (registers the adapters)
from kefu.db import Database
from kefu.inboxes.actions import do_create_inbox
from kefu.messages.models import Message

SECRET_KEY = "bench-secret-key-" + "x" * 32
WEBHOOK_SECRET = "bench_webhook_secret"
TEXTS = [
    "請問我的訂單什麼時候到？",
    "I'd like a refund, please.",
    "帳號登入不了 😢",
    "Where is my parcel?",
]


async def create_inbox(url: str) -> str:
    db = Database(url)
    try:
        async with db.write() as session:
            inbox = await do_create_inbox(
                session,
                actor=SystemPrincipal(),
                name="Telegram",
                channel_type="telegram",
                channel_secrets={"bot_token": "123456:bench", "webhook_secret": WEBHOOK_SECRET},
                box=SecretBox(SECRET_KEY),
            )
            return inbox.public_key
    finally:
        await db.dispose()


def update(n: int, customers: int) -> bytes:
    user = 10_000 + n % customers
    body = {
        "update_id": 500_000 + n,
        "message": {
            "message_id": n,
            "from": {"id": user, "is_bot": False, "first_name": f"客戶{user}"},
            "chat": {"id": user, "type": "private", "first_name": f"客戶{user}"},
            "date": int(time.time()),
            "text": f"{TEXTS[n % len(TEXTS)]} #{n}",
        },
    }
    return json.dumps(body, ensure_ascii=False).encode()


async def burst(
    base: str, key: str, total: int, customers: int, concurrency: int
) -> dict[str, Any]:
    url = f"{base}/webhooks/telegram/{key}"
    headers = {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": WEBHOOK_SECRET,
    }
    latencies: list[float] = []
    failures = 0
    accepted = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal failures, accepted
        while not queue.empty():
            n = queue.get_nowait()
            body = update(n, customers)
            for _ in range(2):  # the delivery, then the provider's redelivery
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    failures += 1
            accepted += 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "non_200": failures,
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "updates_per_s": round(accepted / elapsed, 1),
        "latency_ms": percentiles(latencies),
    }


async def count_messages(url: str) -> int:
    db = Database(url)
    try:
        async with db.read() as session:
            query = select(func.count(Message.id)).where(Message.kind == "incoming")
            return int(await session.scalar(query) or 0)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    store = Store(args.db)
    server: Server | None = None
    try:
        store.create()
        key = asyncio.run(create_inbox(store.url))
        port = free_port()
        env = {
            **os.environ,
            "KEFU_DATA_DIR": str(store.root / "node"),
            "KEFU_DATABASE_URL": store.url,
            "KEFU_DEMO": "false",
            "KEFU_WORKER": "false",
            "KEFU_SECRET_KEY": SECRET_KEY,
        }
        server = Server(
            name="kefu",
            argv=[sys.executable, "-m", "kefu.cli", "serve", "--port", str(port)],
            env=env,
            port=port,
            log_path=store.root / "node.log",
        )
        server.start()
        figures = asyncio.run(
            burst(server.base_url, key, args.webhooks, args.customers, args.concurrency)
        )
        stored = asyncio.run(count_messages(store.url))
        result = {
            "db": args.db,
            "webhooks": args.webhooks,
            "customers": args.customers,
            "concurrency": args.concurrency,
            **figures,
            "messages_stored": stored,
            "lost": max(0, args.webhooks - stored),
            "duplicated": max(0, stored - args.webhooks),
            "server_rss_mb": round(server.rss() / 1e6, 1),
        }
        print(json.dumps(result, ensure_ascii=False, indent=1))
    finally:
        if server is not None:
            server.stop()
        store.drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
