"""The routing benchmark's data: a throwaway database, the workspace created through kefu's
actions, the waiting queue, and the invariants read back from the database afterwards.

The queue's first `REAL_PATH` conversations are created exactly as a customer's first widget
message creates them (do_create_visitor, do_start_visitor_conversation, do_send_visitor_message)
and routed by do_route_conversation while every agent is offline, so they end up queued. The rest
are bulk-inserted in the same shape (contact, widget identity, conversation, the customer's
message), with increasing arrival times after them: creating 10,000 conversations one by one
would take longer than the benchmark itself, and only their being in the queue matters here.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

import kefu.users.actions as user_actions
from bench.servers import _pg_admin
from kefu.auth.passwords import hash_password
from kefu.auth.principals import AgentPrincipal, SystemPrincipal, VisitorPrincipal
from kefu.contacts.actions import do_create_visitor
from kefu.contacts.models import Contact, ContactIdentity
from kefu.conversations.actions import do_start_visitor_conversation
from kefu.conversations.models import Conversation
from kefu.db import Database, utcnow
from kefu.inboxes.actions import do_create_inbox
from kefu.inboxes.models import Inbox
from kefu.messages.actions import do_send_visitor_message
from kefu.messages.models import Message
from kefu.migrate import upgrade
from kefu.routing.actions import DRAIN_PAGE, do_assign_next, do_route_conversation
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.models import QueueCounter
from kefu.routing.queries import (
    agent_snapshots,
    count_ahead,
    queue_places,
    reaches,
    waiting_conversations,
)
from kefu.routing.settings import RoutingSettings
from kefu.users.actions import do_create_api_token, do_create_user

ORIGIN = "https://shop.example.com"
REAL_PATH = 20  # queued conversations created and routed through the actions, one by one
CHUNK = 1000  # rows per bulk INSERT


@dataclass
class Store:
    """A fresh SQLite file or PostgreSQL database, removed by `drop`."""

    db: str
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kefu-routing-")))
    url: str = ""
    pg_name: str = ""

    def create(self) -> None:
        if self.db == "sqlite":
            self.url = f"sqlite+aiosqlite:///{self.root / 'kefu.db'}"
        else:
            self.pg_name = f"kefu_bench_routing_{secrets.token_hex(4)}"
            asyncio.run(_pg_admin(f'CREATE DATABASE "{self.pg_name}"'))
            self.url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.pg_name}"
        upgrade(self.url)

    def analyze(self) -> None:
        """PostgreSQL: fresh planner statistics after the bulk load, as autovacuum would soon
        take on its own (kefu never runs ANALYZE on SQLite, so neither does the benchmark)."""
        if self.pg_name:
            asyncio.run(_pg_execute(self.url, "ANALYZE"))

    def drop(self) -> None:
        if self.pg_name:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        shutil.rmtree(self.root, ignore_errors=True)


async def _pg_execute(url: str, sql: str) -> None:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text(sql))
            await conn.commit()
    finally:
        await db.dispose()


@dataclass
class Workspace:
    admin_token: str
    agent_ids: list[int]
    backlog_inbox_id: int  # holds the waiting queue
    web_inbox_id: int  # where new customers write (phase "first message")
    web_inbox_key: str
    queue_ids: list[int]  # the seeded waiting conversations, in queue order


async def seed(url: str, *, agents: int, waiting: int, capacity: int) -> Workspace:
    """Admin + `agents` agents (offline), two inboxes with every agent a member, and `waiting`
    conversations queued in the backlog inbox."""
    db = Database(url)  # no publisher, no dispatcher: nothing routes in this process
    system = SystemPrincipal()
    # One argon2 hash for every agent (nobody logs in as them): 200 hashes would take longer
    # than the rest of the seed.
    shared_hash = hash_password(secrets.token_urlsafe(12))
    real_hash = user_actions.hash_password
    user_actions.hash_password = lambda _password: shared_hash
    try:
        async with db.write() as session:
            admin = await do_create_user(
                session,
                actor=system,
                email="admin@bench.local",
                name="Admin",
                password=secrets.token_urlsafe(12),
                role="admin",
            )
            agent_users = [
                await do_create_user(
                    session,
                    actor=system,
                    email=f"agent{i}@bench.local",
                    name=f"Agent {i}",
                    password="unused-password",
                )
                for i in range(agents)
            ]
            agent_ids = [u.id for u in agent_users]
            _, token = await do_create_api_token(
                session, actor=AgentPrincipal(user=admin, via="session"), name="bench"
            )
            backlog = await do_create_inbox(
                session,
                actor=system,
                name="Backlog",
                allowed_origins=[ORIGIN],
                member_ids=agent_ids,
            )
            web = await do_create_inbox(
                session, actor=system, name="Web", allowed_origins=[ORIGIN], member_ids=agent_ids
            )
            # Defaults otherwise (greeting and queued replies on, open around the clock).
            for inbox in (backlog, web):
                await do_update_inbox_routing(
                    session,
                    actor=system,
                    inbox=inbox,
                    settings=RoutingSettings(max_conversations_per_agent=capacity),
                )
    finally:
        user_actions.hash_password = real_hash
    await _queue_real_path(db, backlog.id, min(REAL_PATH, waiting))
    await _queue_bulk(db, backlog.id, waiting - min(REAL_PATH, waiting))
    async with db.read() as session:
        queue_ids = list(
            await session.scalars(
                select(Conversation.id)
                .where(Conversation.inbox_id == backlog.id, Conversation.queued_at.is_not(None))
                .order_by(Conversation.queued_at, Conversation.id)
            )
        )
    await db.dispose()
    assert len(queue_ids) == waiting, (len(queue_ids), waiting)
    return Workspace(
        admin_token=token,
        agent_ids=agent_ids,
        backlog_inbox_id=backlog.id,
        web_inbox_id=web.id,
        web_inbox_key=web.public_key,
        queue_ids=queue_ids,
    )


async def _queue_real_path(db: Database, inbox_id: int, count: int) -> None:
    for i in range(count):
        async with db.write() as session:
            inbox = await session.get(Inbox, inbox_id)
            assert inbox is not None
            contact = await do_create_visitor(session, inbox=inbox)
            visitor = VisitorPrincipal(contact_id=contact.id, inbox_id=inbox.id)
            conversation, _ = await do_start_visitor_conversation(
                session, actor=visitor, inbox=inbox
            )
            await do_send_visitor_message(
                session,
                actor=visitor,
                conversation=conversation,
                text=f"waiting customer {i}",
                client_msg_id=f"seed-{i}",
            )
        async with db.write() as session:
            await do_route_conversation(session, conversation_id=conversation.id)


async def _queue_bulk(db: Database, inbox_id: int, count: int) -> None:
    """`count` more waiting conversations, shaped like the routed ones above, queued after them."""
    if count <= 0:
        return
    async with db.write() as session:
        last = await session.scalar(
            select(func.max(Conversation.queued_at)).where(Conversation.inbox_id == inbox_id)
        )
        number = await session.scalar(
            select(func.max(Conversation.queue_number)).where(Conversation.inbox_id == inbox_id)
        )
    start = (last or utcnow()) + timedelta(milliseconds=1)
    first_number = (number or 0) + 1
    for offset in range(0, count, CHUNK):
        n = min(CHUNK, count - offset)
        now = utcnow()
        async with db.write() as session:
            contact_ids = list(
                await session.scalars(
                    insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
                    [{"name": "", "attributes": {}, "created_at": now, "last_seen_at": now}] * n,
                )
            )
            await session.execute(
                insert(ContactIdentity),
                [
                    {
                        "contact_id": cid,
                        "channel_type": "web",
                        "inbox_id": inbox_id,
                        "external_id": secrets.token_urlsafe(16),
                        "created_at": now,
                    }
                    for cid in contact_ids
                ],
            )
            rows = []
            for j, cid in enumerate(contact_ids):
                k = offset + j
                rows.append(
                    {
                        "public_id": secrets.token_urlsafe(16),
                        "inbox_id": inbox_id,
                        "contact_id": cid,
                        "status": "open",
                        "priority": "normal",
                        "team_id": None,
                        "last_seq": 1,
                        "contact_last_read_seq": 1,
                        "agent_last_read_seq": 0,
                        "last_message_preview": f"waiting customer {REAL_PATH + k}",
                        "created_at": now,
                        "last_activity_at": now,
                        "routing_state": "routed",
                        "topic": None,
                        "required_skills": [],
                        "queued_at": start + timedelta(microseconds=k),
                        "queue_number": first_number + k,
                        "waiting_since": now,
                        "tags": [],
                    }
                )
            conversation_ids = list(
                await session.scalars(
                    insert(Conversation).returning(Conversation.id, sort_by_parameter_order=True),
                    rows,
                )
            )
            await session.execute(
                insert(Message),
                [
                    {
                        "conversation_id": conv_id,
                        "seq": 1,
                        "kind": "incoming",
                        "sender_key": f"c:{cid}",
                        "sender_contact_id": cid,
                        "text": row["last_message_preview"],
                        "client_msg_id": f"seed-{REAL_PATH + offset + j}",
                        "created_at": now,
                    }
                    for j, (conv_id, cid, row) in enumerate(
                        zip(conversation_ids, contact_ids, rows, strict=True)
                    )
                ],
            )
    async with db.write() as session:
        await session.execute(
            update(QueueCounter)
            .where(QueueCounter.inbox_id == inbox_id)
            .values(value=first_number + count - 1)
        )


async def queue_length(url: str, inbox_id: int) -> int:
    db = Database(url)
    try:
        async with db.read() as session:
            return int(
                await session.scalar(
                    select(func.count(Conversation.id)).where(
                        Conversation.inbox_id == inbox_id,
                        Conversation.queued_at.is_not(None),
                        Conversation.assignee_id.is_(None),
                        Conversation.status != "resolved",
                    )
                )
                or 0
            )
    finally:
        await db.dispose()


async def invariants(
    url: str, ws: Workspace, *, backlog_capacity: int, web_capacity: int
) -> dict[str, Any]:
    """What must hold whatever the timings: nobody above capacity, every conversation assigned
    at most once (one `assigned` activity line each, matching the assigned conversations), and
    the backlog served in queue order."""
    db = Database(url)
    try:
        async with db.read() as session:
            loads = (
                await session.execute(
                    select(Conversation.assignee_id, Conversation.inbox_id, func.count())
                    .where(Conversation.assignee_id.is_not(None), Conversation.status != "resolved")
                    .group_by(Conversation.assignee_id, Conversation.inbox_id)
                )
            ).all()
            activities = (
                await session.execute(
                    select(Message.conversation_id, Message.activity).where(
                        Message.kind == "activity"
                    )
                )
            ).all()
            assigned_rows = (
                await session.execute(
                    select(Conversation.id, Conversation.inbox_id).where(
                        Conversation.assigned_at.is_not(None)
                    )
                )
            ).all()
    finally:
        await db.dispose()
    backlog_load: Counter[int] = Counter()
    total_load: Counter[int] = Counter()
    for user_id, inbox_id, count in loads:
        total_load[user_id] += count
        if inbox_id == ws.backlog_inbox_id:
            backlog_load[user_id] += count
    assigned_lines: Counter[int] = Counter(
        cid for cid, activity in activities if (activity or {}).get("type") == "assigned"
    )
    assigned_ids = {cid for cid, _ in assigned_rows}
    backlog_assigned = {cid for cid, iid in assigned_rows if iid == ws.backlog_inbox_id}
    in_order = set(ws.queue_ids[: len(backlog_assigned)]) == backlog_assigned
    return {
        "max_backlog_load": max(backlog_load.values(), default=0),
        "backlog_capacity": backlog_capacity,
        "max_total_load": max(total_load.values(), default=0),
        "web_capacity": web_capacity,
        "no_agent_above_capacity": max(backlog_load.values(), default=0) <= backlog_capacity
        and max(total_load.values(), default=0) <= web_capacity,
        "assigned_conversations": len(assigned_ids),
        "assigned_activity_lines": sum(assigned_lines.values()),
        "max_assigned_lines_per_conversation": max(assigned_lines.values(), default=0),
        "each_assigned_once": max(assigned_lines.values(), default=0) <= 1
        and set(assigned_lines) == assigned_ids,
        "backlog_served_in_queue_order": in_order,
    }


async def _nothing_to_assign(session: AsyncSession) -> None:
    assert not await do_assign_next(session)  # read-only here: the session is rolled back


async def query_costs(url: str, ws: Workspace, repeats: int = 5) -> dict[str, float]:
    """Median time (ms) of the reads the dispatcher makes, run here against the same database
    while the server is idle: what one decision, one announcement and one fruitless drain cost
    at this queue length."""
    db = Database(url)
    out: dict[str, float] = {}
    try:
        async with db.read() as session:
            inbox = await session.get(Inbox, ws.backlog_inbox_id)
            assert inbox is not None
            last = await session.scalar(
                select(Conversation)
                .where(Conversation.inbox_id == inbox.id, Conversation.queued_at.is_not(None))
                .order_by(Conversation.queued_at.desc())
                .limit(1)
            )
            assert last is not None

            everyone = await agent_snapshots(session=session, online_only=False)
            reach = reaches(everyone, lambda a: a.inbox_ids & {inbox.id})

            async def scan_all() -> None:
                # The whole queue, page by page (keyset), as a drain that assigns nothing would
                # read it if every agent could serve it but none had room in it.
                after = None
                while page := await waiting_conversations(
                    session=session, reach=reach, limit=DRAIN_PAGE, after=after
                ):
                    after = page[-1]

            probes: dict[str, Any] = {
                "agent_snapshots": lambda: agent_snapshots(session=session),
                "waiting_first_page": lambda: waiting_conversations(
                    session=session, reach=reach, limit=DRAIN_PAGE
                ),
                "waiting_all_pages": scan_all,
                "count_ahead_last": lambda: count_ahead(session, last),
                "queue_places": lambda: queue_places(session=session, inbox_id=inbox.id),
                # Every agent has room in the Web inbox but none in the backlog (the state
                # after phase 3): one decision attempt that finds nothing to assign.
                "do_assign_next_nothing_to_assign": lambda: _nothing_to_assign(session),
            }
            for name, probe in probes.items():
                times = []
                for _ in range(repeats):
                    t = time.perf_counter()
                    await probe()
                    times.append(1000 * (time.perf_counter() - t))
                out[name] = round(statistics.median(times), 2)
    finally:
        await db.dispose()
    return out
