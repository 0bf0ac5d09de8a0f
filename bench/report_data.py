"""The reports benchmark's data: a year of support history in a fresh database. Run from the
repository root:

    .venv/bin/python -m bench.report_data --url sqlite+aiosqlite:///var/bench/reports.db \\
        --conversations 1000000 --messages-per-conversation 10 --recreate
    .venv/bin/python -m bench.report_data \\
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/kefu_bench --recreate

1. The database is migrated (with --recreate it is dropped and created first; without it, it
   must hold no users yet).
2. The workspace through kefu's actions: an admin (ADMIN_EMAIL / ADMIN_PASSWORD, for
   bench/reports.py), 40 agents in 4 teams (one supervisor each), an inbox for each of the 6
   channels plus a second website inbox, 20 tags.
3. About --days of history ending now (kefu.reports.sample_history: seasonality, channel and
   language mix, bot, queue, surveys, SLA), bulk-inserted by insert_history.
4. kefu.reports.refresh.rebuild_reports computes the report facts and rollups; PostgreSQL gets
   ANALYZE after the load.

Prints one JSON object: insert and rebuild timings and rates, and row counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

import kefu.users.actions as user_actions
from bench.servers import PG_ADMIN_DSN
from kefu.auth.passwords import hash_password
from kefu.auth.principals import SystemPrincipal
from kefu.auth.sealing import SecretBox
from kefu.db import Database, utcnow
from kefu.inboxes.actions import do_create_inbox
from kefu.migrate import upgrade
from kefu.reports.refresh import rebuild_reports
from kefu.reports.sample_history import (
    HistoryAgent,
    HistoryInbox,
    HistorySpec,
    HistoryTag,
    HistoryTeam,
    insert_history,
)
from kefu.reports.sample_insert import InsertResult
from kefu.tags.actions import do_create_tag
from kefu.teams.actions import do_create_team
from kefu.users.actions import do_create_user

ADMIN_EMAIL = "admin@bench.local"
ADMIN_PASSWORD = "bench-reports-admin-password"
# Seals the channel inboxes' secrets; bench/reports.py serves with the same key.
SECRET_KEY = "bench-reports-secret-key-" + "k" * 32
TEAMS = ("客服一組 Support", "訂單組 Orders", "技術支援 Tech", "VIP 專線")
TAGS = (
    "訂單查詢",
    "退換貨",
    "發票",
    "付款問題",
    "物流延遲",
    "帳號登入",
    "商品諮詢",
    "優惠券",
    "VIP",
    "客訴",
    "refund",
    "shipping",
    "billing",
    "bug",
    "feedback",
    "wholesale",
    "urgent",
    "follow-up",
    "spam",
    "other",
)
AGENTS = 40
# (name, channel, team index, config, secrets)
INBOXES: tuple[tuple[str, str, int, dict[str, Any], dict[str, str]], ...] = (
    ("官網客服 Website", "web", 0, {}, {}),
    ("會員中心 Members", "web", 0, {}, {}),
    ("LINE 官方帳號", "line", 0, {}, {"channel_secret": "0" * 32, "channel_access_token": "t"}),
    ("Email 客服", "email", 1, {"address": "support@shop.example.com"}, {}),
    (
        "WhatsApp",
        "whatsapp",
        1,
        {"phone_number_id": "1234567890", "waba_id": "9876543210"},
        {"access_token": "t", "app_secret": "s", "verify_token": "v"},
    ),
    (
        "Messenger",
        "messenger",
        2,
        {"page_id": "1122334455"},
        {"page_access_token": "t", "app_secret": "s", "verify_token": "v"},
    ),
    ("Telegram", "telegram", 2, {}, {"bot_token": "123456:bench"}),
)


@dataclass
class Workspace:
    inboxes: list[HistoryInbox]
    agents: list[HistoryAgent]
    teams: list[HistoryTeam]
    tags: list[HistoryTag]


async def _pg_admin(sql: str) -> None:
    con = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await con.execute(sql)
    finally:
        await con.close()


def recreate(url: str) -> None:
    """Drop and create the database (PostgreSQL) or remove the file (SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = parsed.database
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))


async def create_workspace(db: Database, seed: int) -> Workspace:
    """Everything through the actions; one real password (the admin's), one shared argon2
    hash for the 40 agents (nobody logs in as them; 40 hashes would take ~10 s)."""
    system = SystemPrincipal()
    rng = random.Random(seed)
    shared = hash_password(secrets.token_urlsafe(12))
    real_hash = user_actions.hash_password
    async with db.write() as session:
        await do_create_user(
            session,
            actor=system,
            email=ADMIN_EMAIL,
            name="管理員 Admin",
            password=ADMIN_PASSWORD,
            role="admin",
        )
    user_actions.hash_password = lambda _password: shared
    try:
        async with db.write() as session:
            users = []
            for i in range(AGENTS):
                role = "supervisor" if i % 10 == 0 else "agent"
                users.append(
                    await do_create_user(
                        session,
                        actor=system,
                        email=f"agent{i}@bench.local",
                        name=f"Agent {i:02d}",
                        password="unused-password",
                        role=role,
                        locale="zh-TW" if i % 3 else "en",
                    )
                )
            teams = [
                await do_create_team(
                    session,
                    actor=system,
                    name=name,
                    member_ids=[u.id for j, u in enumerate(users) if j // 10 == t],
                )
                for t, name in enumerate(TEAMS)
            ]
            box = SecretBox(SECRET_KEY)
            inboxes = []
            for i, (name, channel, team, config, sealed) in enumerate(INBOXES):
                inbox = await do_create_inbox(
                    session,
                    actor=system,
                    name=name,
                    channel_type=channel,
                    channel_config=config,
                    channel_secrets=sealed,
                    box=box if channel != "web" else None,
                    team_id=teams[team].id,
                    member_ids=[u.id for u in users],
                )
                # The second website inbox gets a third of the first one's traffic.
                weight = 0.5 if i == 1 else 1.0
                inboxes.append(HistoryInbox(inbox.id, channel, name, teams[team].id, weight=weight))
            tags = [await do_create_tag(session, actor=system, name=n) for n in TAGS]
    finally:
        user_actions.hash_password = real_hash
    return Workspace(
        inboxes=inboxes,
        agents=[
            HistoryAgent(u.id, u.name, teams[j // 10].id, weight=rng.uniform(0.6, 1.4))
            for j, u in enumerate(users)
        ],
        teams=[HistoryTeam(t.id, t.name) for t in teams],
        tags=[HistoryTag(t.id, t.name) for t in tags],
    )


async def _rebuild(db: Database) -> dict[str, Any]:
    started = time.perf_counter()
    conversations = await rebuild_reports(db)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "conversations_per_s": round(conversations / seconds) if seconds else None,
    }


async def _counts(db: Database) -> dict[str, int]:
    tables = (
        "contacts",
        "conversations",
        "messages",
        "survey_responses",
        "sla_breaches",
        "conversation_tags",
        "conversation_facts",
        "report_rollups",
    )
    out = {}
    async with db.engine.connect() as conn:
        for table in tables:
            try:
                out[table] = int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            except DBAPIError:  # a table of the reports core not there yet
                await conn.rollback()
    return out


async def _size_mb(db: Database, url: str) -> float:
    if db.is_sqlite:
        path = Path(make_url(url).database or "")
        return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6, 1)
    async with db.engine.connect() as conn:
        size = await conn.scalar(text("SELECT pg_database_size(current_database())"))
    return round(int(size or 0) / 1e6, 1)


async def _analyze(db: Database) -> float:
    if db.is_sqlite:
        return 0.0
    started = time.perf_counter()
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    return round(time.perf_counter() - started, 2)


async def load(args: argparse.Namespace) -> dict[str, Any]:
    db = Database(args.url)
    try:
        async with db.read() as session:
            if await session.scalar(text("SELECT count(*) FROM users")):
                raise SystemExit("the database already has users: pass --recreate")
        workspace = await create_workspace(db, args.seed)
        end = utcnow()
        spec = HistorySpec(
            inboxes=workspace.inboxes,
            agents=workspace.agents,
            teams=workspace.teams,
            tags=workspace.tags,
            start=end - timedelta(days=args.days),
            end=end,
            conversations_per_day=args.conversations / args.days,
            contacts=int(args.conversations * 0.55),
            seed=args.seed,
            messages_per_conversation=args.messages_per_conversation,
        )
        step = max(1, args.conversations // 10)
        shown = [0]

        def progress(result: InsertResult) -> None:
            done = result.rows["conversations"]
            if done - shown[0] >= step:
                shown[0] = done
                print(
                    f"  {done} conversations, {result.rows['messages']} messages,"
                    f" {result.seconds:.0f} s",
                    file=sys.stderr,
                )

        inserted = await insert_history(
            db, spec, batch=args.batch, progress=progress, core=args.insert == "core"
        )
        analyze = await _analyze(db)
        rebuild = await _rebuild(db) if not args.skip_rebuild else {"skipped": True}
        analyze_after = await _analyze(db)
        return {
            "db": "sqlite" if db.is_sqlite else "postgresql",
            "days": args.days,
            "insert": {
                "method": args.insert,
                "seconds": inserted.seconds,
                "generate_seconds": inserted.generate_seconds,
                "messages_per_s": inserted.messages_per_s,
                "conversations_per_s": round(inserted.rows["conversations"] / inserted.seconds),
                "rows": inserted.rows,
            },
            "analyze_seconds": round(analyze + analyze_after, 2),
            "rebuild": rebuild,
            "counts": await _counts(db),
            "database_mb": await _size_mb(db, args.url),
        }
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL (sqlite+aiosqlite or asyncpg)")
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--messages-per-conversation", type=float, default=10.0)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=2000, help="conversations per transaction")
    parser.add_argument("--recreate", action="store_true", help="drop the database first")
    parser.add_argument("--skip-rebuild", action="store_true", help="insert only")
    parser.add_argument(
        "--insert",
        choices=["driver", "core"],
        default="driver",
        help="driver: executemany (SQLite) / COPY (PostgreSQL); core: SQLAlchemy Core",
    )
    args = parser.parse_args(argv)
    if args.recreate:
        recreate(args.url)
    upgrade(args.url)
    print(json.dumps(asyncio.run(load(args)), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
