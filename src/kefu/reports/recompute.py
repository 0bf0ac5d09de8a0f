"""Recomputation from raw rows: the reference the incremental rollups are proven against
(tests/reports/test_rollup_proof.py) and `kefu reports-verify`."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.conversations.models import Conversation
from kefu.reports.facts import Fact
from kefu.reports.models import ConversationFact, report_rollups
from kefu.reports.refresh import compute_facts, fact_of_row, inbox_clocks
from kefu.reports.rollups import RowKey, Tally, add_fact, tally_of_row


async def recomputed_facts(session: AsyncSession) -> dict[int, Fact]:
    ids = list(await session.scalars(select(Conversation.id).order_by(Conversation.id)))
    return await compute_facts(session, ids, await inbox_clocks(session))


def rollups_of(facts: dict[int, Fact]) -> dict[RowKey, Tally]:
    sums: dict[RowKey, Tally] = {}
    for fact in facts.values():
        add_fact(sums, fact)
    return {key: tally.clean() for key, tally in sums.items() if not tally.is_zero()}


async def stored_facts(session: AsyncSession) -> dict[int, Fact]:
    rows = await session.scalars(select(ConversationFact))
    return {row.conversation_id: fact_of_row(row) for row in rows}


async def stored_rollups(session: AsyncSession) -> dict[RowKey, Tally]:
    result: dict[RowKey, Tally] = {}
    for row in (await session.execute(select(report_rollups))).mappings():
        key = (row["dim"], row["key"], row["grain"], row["bucket"].astimezone(UTC))
        result[key] = tally_of_row(dict(row)).clean()
    return result


async def differences(session: AsyncSession, *, limit: int = 20) -> list[str]:
    """Where the stored facts or rollups differ from a recomputation ([] when equal)."""
    found: list[str] = []
    fresh = await recomputed_facts(session)
    stored = await stored_facts(session)
    for cid in sorted(set(fresh) | set(stored)):
        if fresh.get(cid) != stored.get(cid):
            found.append(f"fact {cid}: stored {stored.get(cid)} != recomputed {fresh.get(cid)}")
    expected = rollups_of(fresh)
    actual = await stored_rollups(session)
    for key in sorted(set(expected) | set(actual), key=str):
        if expected.get(key) != actual.get(key):
            found.append(
                f"rollup {key}: stored {actual.get(key)} != recomputed {expected.get(key)}"
            )
    return found[:limit]
