"""The search benchmark: a million messages, indexed by kefu's own indexer, searched over HTTP.
Run from the repository root:

    .venv/bin/python -m bench.search --db sqlite
    .venv/bin/python -m bench.search --db postgres --messages 1000000

Prints one JSON object (docs/benchmarks.md, "Search", explains each figure).

1. A fresh SQLite file or PostgreSQL database (bench/routing_setup.Store), migrated.
2. Seed (bench/search_setup.py): an admin and 20 agents in 5 inboxes (4 each), API tokens for
   the admin and for one agent of one inbox; --messages messages in conversations of about 10,
   half Chinese (Simplified and Traditional), half English (bench/search_corpus.py).
3. Index: kefu.search.indexer.index_pending, the worker's job, in this process, with its own
   batch size, until caught up. `indexing.messages_per_s` is messages / wall time. PostgreSQL
   then gets ANALYZE (autovacuum would do it by itself soon after such a load).
4. One kefu node (`kefu serve`, worker off) and this process as its client, one request at a
   time: every query of each class is sent as the admin (sees all 5 inboxes) and as the agent
   (sees 1), --rounds times, in a shuffled order. Latency is measured at the client (HTTP on
   loopback included). The first query (jieba's dictionary loads then) is reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.routing_setup import Store
from bench.search_setup import TAGS, Seeded, seed
from bench.servers import Server, free_port
from bench.stats import percentiles
from kefu.db import Database, utcnow
from kefu.search.indexer import index_pending

ZH_TRADITIONAL = [
    "退款",
    "發票",
    "帳號",
    "訂單",
    "信用卡",
    "密碼",
    "優惠券",
    "包裹",
    "耳機",
    "軟體",
]
ZH_SIMPLIFIED = ["退款", "发票", "账号", "订单", "信用卡", "密码", "优惠券", "快递", "软件", "网络"]
ZH_PHRASES = ["还没收到", "扣款兩次", "我要退款", "登錄不了", "重新寄出", "怎么办", "退款发票"]
ZH_CHARACTERS = ["退", "票", "卡", "寄", "锁", "慢"]
EN_WORDS = ["refund", "invoice", "password", "delivery", "warranty", "coupon", "cancel"]
EN_PREFIXES = ["refun", "invo", "passw", "deliv", "warr", "subscr", "dam"]
MIXED = ["credit card", "gift card", "iPhone 退款", "AirPods 耳机", "order 发票"]


def query_classes(seeded: Seeded, inbox_id: int) -> dict[str, list[dict[str, Any]]]:
    since = (utcnow() - timedelta(days=30)).isoformat()
    words = ["退款", "發票", "refund", "invoice", "账号", "password"]
    return {
        "zh_traditional": [{"q": q} for q in ZH_TRADITIONAL],
        "zh_simplified": [{"q": q} for q in ZH_SIMPLIFIED],
        "zh_phrase": [{"q": q} for q in ZH_PHRASES],
        "zh_one_character": [{"q": q} for q in ZH_CHARACTERS],
        "en_word": [{"q": q} for q in EN_WORDS],
        "en_prefix": [{"q": q} for q in EN_PREFIXES],
        "mixed": [{"q": q} for q in MIXED],
        "rare_order_number": [{"q": n} for n in seeded.order_numbers[:10]],
        "filter_status": [{"q": w, "status": "open"} for w in words],
        "filter_inbox": [{"q": w, "inbox_id": inbox_id} for w in words],
        "filter_tag": [{"q": w, "tag": t} for w, t in zip(words, TAGS, strict=False)],
        "filter_unassigned": [{"q": w, "assignee": "unassigned"} for w in words],
        "filter_last_30_days": [{"q": w, "since": since} for w in words],
        "filter_combined": [
            {"q": w, "status": "resolved", "inbox_id": inbox_id, "since": since} for w in words
        ],
        "contacts": [
            {"q": q, "type": "contacts"}
            for q in [*seeded.contact_names[:4], "陈", "Smith", "example.tw", "0912"]
        ],
        "conversations": [
            {"q": q, "type": "conversations"}
            for q in ["退款請求", "vip客户", "billing", *seeded.contact_names[4:7]]
        ],
    }


async def index_all(url: str) -> dict[str, Any]:
    db = Database(url)
    started = time.perf_counter()
    indexed = await index_pending(db, budget_seconds=float("inf"))
    seconds = time.perf_counter() - started
    await db.dispose()
    return {
        "messages": indexed,
        "seconds": round(seconds, 1),
        "messages_per_s": round(indexed / seconds),
    }


async def sizes(url: str, db_kind: str, data_file: str) -> dict[str, Any]:
    """The index's size: PostgreSQL's relation sizes; for SQLite, the FTS5 shadow tables'
    bytes (the inverted index in _data, the stored tokens in _content) and the file."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:

            async def mb(sql: str) -> float:
                return round(int(await conn.scalar(text(sql)) or 0) / 1e6, 1)

            if db_kind == "postgres":
                return {
                    "index_mb": await mb("SELECT pg_total_relation_size('search_messages')"),
                    "gin_mb": await mb("SELECT pg_relation_size('ix_search_messages_document')"),
                    "messages_table_mb": await mb("SELECT pg_total_relation_size('messages')"),
                    "database_mb": await mb("SELECT pg_database_size(current_database())"),
                }
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            return {
                "index_inverted_mb": await mb(
                    "SELECT sum(length(block)) FROM search_messages_data"
                ),
                "index_content_mb": await mb(
                    "SELECT sum(length(c0) + length(c1) + length(c2)) FROM search_messages_content"
                ),
                "messages_text_mb": await mb(
                    "SELECT sum(length(CAST(text AS BLOB))) FROM messages"
                ),
                "database_mb": round(Path(data_file).stat().st_size / 1e6, 1),  # noqa: ASYNC240
            }
    finally:
        await db.dispose()


async def run_queries(base_url: str, seeded: Seeded, rounds: int, seed_: int) -> dict[str, Any]:
    classes = query_classes(seeded, seeded.agent_inbox_id)
    roles = {"admin": seeded.admin_token, "agent": seeded.agent_token}
    plan = [
        (cls, role, params)
        for cls, queries in classes.items()
        for role in roles
        for params in queries
        for _ in range(rounds)
    ]
    random.Random(seed_).shuffle(plan)
    samples: dict[tuple[str, str], list[float]] = {}
    hits: dict[tuple[str, str], list[int]] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        first_started = time.perf_counter()
        first = await client.get(
            "/api/v1/search",
            params={"q": "退款"},
            headers={"authorization": f"Bearer {seeded.admin_token}"},
        )
        first.raise_for_status()
        first_ms = (time.perf_counter() - first_started) * 1000
        for cls, role, params in plan:
            started = time.perf_counter()
            response = await client.get(
                "/api/v1/search",
                params=params,
                headers={"authorization": f"Bearer {roles[role]}"},
            )
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            body = response.json()
            samples.setdefault((cls, role), []).append(elapsed)
            hits.setdefault((cls, role), []).append(
                len(body["messages"]) + len(body["contacts"]) + len(body["conversations"])
            )
    per_class: dict[str, Any] = {}
    for (cls, role), values in sorted(samples.items()):
        found = hits[(cls, role)]
        per_class.setdefault(cls, {})[role] = {
            **percentiles(values),
            "empty_pages": sum(1 for h in found if h == 0),
        }
    every = [v for values in samples.values() for v in values]
    messages_only = [
        v
        for (cls, _), values in samples.items()
        if cls not in ("contacts", "conversations")
        for v in values
    ]
    return {
        "first_query_ms": round(first_ms, 1),
        "overall": percentiles(every),
        "messages_overall": percentiles(messages_only),
        "classes": per_class,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="times each query is sent")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    store = Store(args.db)
    server: Server | None = None
    try:
        store.create()
        seeded = asyncio.run(seed(store.url, messages=args.messages, seed=args.seed))
        indexing = asyncio.run(index_all(store.url))
        store.analyze()
        data_file = str(store.root / "kefu.db")
        size = asyncio.run(sizes(store.url, args.db, data_file))
        port = free_port()
        env = {
            **os.environ,
            "KEFU_DATA_DIR": str(store.root / "node"),
            "KEFU_DATABASE_URL": store.url,
            "KEFU_DEMO": "false",
            "KEFU_WORKER": "false",
            "KEFU_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        }
        server = Server(
            name="kefu",
            argv=[sys.executable, "-m", "kefu.cli", "serve", "--port", str(port)],
            env=env,
            port=port,
            log_path=store.root / "node.log",
        )
        server.start()
        queries = asyncio.run(run_queries(server.base_url, seeded, args.rounds, args.seed))
        result = {
            "db": args.db,
            "messages": seeded.messages,
            "conversations": seeded.conversations,
            "contacts": seeded.contacts,
            "seed_seconds": seeded.seconds,
            "indexing": indexing,
            "size": size,
            "server_rss_mb": round(server.rss() / 1e6, 1),
            **queries,
        }
        print(json.dumps(result, ensure_ascii=False, indent=1))
    finally:
        if server is not None:
            server.stop()
        store.drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
