"""Keeping report facts and rollups up to date: the worker's job, and the full rebuild.

Writers mark a conversation stale by giving it a new `reports_version` (conversations/models.py).
Each round the worker takes a batch of stale conversations, computes their facts from the raw
rows *outside* any write lock, then in one write transaction, under the rollups' lock
(PostgreSQL: an advisory lock; SQLite: the write transaction), subtracts each conversation's
stored fact from the rollups, adds the new one, stores it, and sets `reports_done` to the
version it read. A write that lands meanwhile leaves a different version: still stale, done
again next round. So the rollups always equal the sum of the stored facts' contributions, and
the stored facts catch up with the raw rows within a round or two (docs/reports.md).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.conversations.models import Conversation
from kefu.db import Database
from kefu.inboxes.models import Inbox
from kefu.messages.models import Message
from kefu.reports.facts import ConversationRow, Fact, MessageRow, SurveyRow, compute_fact
from kefu.reports.models import ConversationFact, report_rollups
from kefu.reports.rollups import RowKey, Tally, add_fact, apply_deltas
from kefu.routing.actions import inbox_clock
from kefu.routing.hours import BusinessHours
from kefu.routing.models import SlaBreach
from kefu.surveys.models import SurveyResponse

log = logging.getLogger(__name__)

# Core handles for executemany (ORM statements with a list of rows mean bulk-by-key).
_CONVERSATIONS = cast(Table, Conversation.__table__)
_FACTS = cast(Table, ConversationFact.__table__)

BATCH = 500
LOCK_KEY = 0x6B6566_7270  # "kef" "rp": the rollups' advisory lock on PostgreSQL


@dataclass(frozen=True)
class InboxClock:
    channel: str
    hours: BusinessHours


async def inbox_clocks(session: AsyncSession) -> dict[int, InboxClock]:
    inboxes = await session.scalars(select(Inbox))
    return {inbox.id: InboxClock(inbox.channel_type, inbox_clock(inbox)[1]) for inbox in inboxes}


async def compute_facts(
    session: AsyncSession, ids: Sequence[int], clocks: dict[int, InboxClock]
) -> dict[int, Fact]:
    """The facts of these conversations, from their raw rows (missing ids: deleted)."""
    if not ids:
        return {}
    conversations = (
        await session.execute(
            select(
                Conversation.id,
                Conversation.inbox_id,
                Conversation.team_id,
                Conversation.assignee_id,
                Conversation.status,
                Conversation.created_at,
                Conversation.resolved_at,
                Conversation.tags,
                Conversation.first_response_due_at,
                Conversation.resolution_due_at,
            ).where(Conversation.id.in_(ids))
        )
    ).all()
    messages: dict[int, list[MessageRow]] = defaultdict(list)
    rows = await session.execute(
        select(
            Message.conversation_id,
            Message.kind,
            Message.sender_key,
            Message.sender_user_id,
            Message.created_at,
            Message.activity,
        )
        .where(Message.conversation_id.in_(ids), Message.kind != "note")
        .order_by(Message.conversation_id, Message.seq)
    )
    for row in rows:
        messages[row.conversation_id].append(
            MessageRow(row.kind, row.sender_key, row.sender_user_id, row.created_at, row.activity)
        )
    surveys: dict[int, list[SurveyRow]] = defaultdict(list)
    for row in await session.execute(
        select(
            SurveyResponse.conversation_id,
            SurveyResponse.kind,
            SurveyResponse.score,
            SurveyResponse.answered_at,
        )
        .where(SurveyResponse.conversation_id.in_(ids))
        .order_by(SurveyResponse.answered_at, SurveyResponse.id)
    ):
        surveys[row.conversation_id].append(SurveyRow(row.kind, row.score, row.answered_at))
    breaches = dict(
        (
            await session.execute(
                select(SlaBreach.conversation_id, func.count())
                .where(SlaBreach.conversation_id.in_(ids))
                .group_by(SlaBreach.conversation_id)
            )
        ).all()
    )
    facts: dict[int, Fact] = {}
    for row in conversations:
        clock = clocks.get(row.inbox_id)
        if clock is None:  # an inbox created after the clocks were read
            clocks.update(await inbox_clocks(session))
            clock = clocks[row.inbox_id]
        facts[row.id] = compute_fact(
            ConversationRow(
                id=row.id,
                inbox_id=row.inbox_id,
                team_id=row.team_id,
                assignee_id=row.assignee_id,
                status=row.status,
                created_at=row.created_at,
                resolved_at=row.resolved_at,
                tags=list(row.tags or []),
                first_response_due_at=row.first_response_due_at,
                resolution_due_at=row.resolution_due_at,
            ),
            channel=clock.channel,
            hours=clock.hours,
            messages=messages.get(row.id, []),
            surveys=surveys.get(row.id, []),
            breaches=int(breaches.get(row.id, 0)),
        )
    return facts


def fact_of_row(row: ConversationFact) -> Fact:
    return Fact.from_row(
        conversation_id=row.conversation_id,
        inbox_id=row.inbox_id,
        channel=row.channel,
        team_id=row.team_id,
        agent_id=row.agent_id,
        tags=row.tags or [],
        status=row.status,
        created_at=row.created_at,
        data=row.data or {},
    )


def _fact_values(fact: Fact) -> dict[str, object]:
    return {
        "conversation_id": fact.conversation_id,
        "inbox_id": fact.inbox_id,
        "channel": fact.channel,
        "team_id": fact.team_id,
        "agent_id": fact.agent_id,
        "tags": fact.tags,
        "status": fact.status,
        "created_at": fact.created_at,
        "last_event_at": fact.last_event_at,
        "first_response_at": fact.first_response_at,
        "frt_s": fact.frt_s,
        "frt_bh_s": fact.frt_bh_s,
        "resolved_at": fact.resolved_at,
        "resolution_s": fact.resolution_s,
        "resolution_bh_s": fact.resolution_bh_s,
        "data": fact.to_json(),
    }


async def lock_rollups(session: AsyncSession) -> None:
    """Serialise rollup writers across nodes (SQLite has one writer already)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


async def store_facts(session: AsyncSession, facts: dict[int, Fact], ids: Iterable[int]) -> None:
    """Replace the stored facts of `ids` by `facts` (an id missing from `facts`: the
    conversation is gone, so is its fact) and move the rollups by the difference. The caller
    holds the rollups' lock."""
    ids = list(ids)
    old = await session.scalars(
        select(ConversationFact).where(ConversationFact.conversation_id.in_(ids))
    )
    deltas: dict[RowKey, Tally] = {}
    for row in old:
        add_fact(deltas, fact_of_row(row), -1)
    for fact in facts.values():
        add_fact(deltas, fact, 1)
    await apply_deltas(session, deltas)
    await session.execute(delete(ConversationFact).where(ConversationFact.conversation_id.in_(ids)))
    if facts:
        await session.execute(insert(_FACTS), [_fact_values(f) for f in facts.values()])


async def refresh_stale(db: Database, *, limit: int = BATCH) -> int:
    """One round: bring up to `limit` stale conversations' facts up to date. Returns how many."""
    async with db.read() as session:
        stale = (
            await session.execute(
                select(Conversation.id, Conversation.reports_version)
                .where(Conversation.reports_version != Conversation.reports_done)
                .order_by(Conversation.id)
                .limit(limit)
            )
        ).all()
        if not stale:
            return 0
        ids = [row.id for row in stale]
        facts = await compute_facts(session, ids, await inbox_clocks(session))
    async with db.write() as session:
        await lock_rollups(session)
        await store_facts(session, facts, ids)
        await session.execute(
            update(_CONVERSATIONS)
            .where(_CONVERSATIONS.c.id == bindparam("cid"))
            .values(reports_done=bindparam("version")),
            [{"cid": row.id, "version": row.reports_version} for row in stale],
        )
    return len(stale)


async def refresh_for(db: Database, *, seconds: float) -> int:
    """The worker's round: batches until nothing is stale or `seconds` have passed (a backlog,
    after an upgrade or a burst, is worked off over several rounds without starving the
    others)."""
    deadline = time.monotonic() + seconds
    total = 0
    while True:
        done = await refresh_stale(db)
        total += done
        if done < BATCH or time.monotonic() >= deadline:
            return total


async def refresh_all_stale(db: Database) -> int:
    """Rounds until nothing is stale (tests, the CLI)."""
    total = 0
    while True:
        done = await refresh_stale(db)
        total += done
        if done < BATCH:
            return total


async def stale_count(db: Database) -> int:
    async with db.read() as session:
        return int(
            await session.scalar(
                select(func.count()).where(
                    Conversation.reports_version != Conversation.reports_done
                )
            )
            or 0
        )


async def rebuild_reports(db: Database, *, chunk: int = 2000, max_keys: int = 200_000) -> int:
    """Recompute every fact and every rollup from the raw rows (upgrades, repairs, bulk
    imports: `kefu reports-rebuild`). One pass in conversation order; rollup sums are written
    out whenever `max_keys` rows are pending (apply_deltas adds to what is there, so memory
    stays bounded). Conversations changed during the rebuild stay stale and the worker catches
    up. Returns the number of conversations."""
    async with db.write() as session:
        await lock_rollups(session)
        await session.execute(delete(report_rollups))
        await session.execute(delete(ConversationFact))
        clocks = await inbox_clocks(session)
        sums: dict[RowKey, Tally] = {}
        last_id = 0
        total = 0
        while True:
            rows = (
                await session.execute(
                    select(Conversation.id, Conversation.reports_version)
                    .where(Conversation.id > last_id)
                    .order_by(Conversation.id)
                    .limit(chunk)
                )
            ).all()
            if not rows:
                break
            last_id = rows[-1].id
            facts = await compute_facts(session, [row.id for row in rows], clocks)
            if facts:
                await session.execute(insert(_FACTS), [_fact_values(f) for f in facts.values()])
            for fact in facts.values():
                add_fact(sums, fact)
            if len(sums) >= max_keys:
                await apply_deltas(session, sums)
                sums.clear()
            await session.execute(
                update(_CONVERSATIONS)
                .where(_CONVERSATIONS.c.id == bindparam("cid"))
                .values(reports_done=bindparam("version")),
                [{"cid": row.id, "version": row.reports_version} for row in rows],
            )
            total += len(rows)
        await apply_deltas(session, sums)
    log.info("reports rebuilt: %d conversations", total)
    return total
