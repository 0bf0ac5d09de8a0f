"""Eight weeks of support history for the demo workspace, so that reports and the wallboard
have something to show on first start (kefu.reports.sample_history).

It is written into the demo's own inboxes, by its own agents, with new demo customers, and it
leaves the live demo as it was: every history conversation is resolved by now (nothing waits
in the queue, nobody's load changes), and the FAQ bot inbox's conversations are the bot's."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from kefu.db import Database, utcnow
from kefu.reports.refresh import rebuild_reports
from kefu.reports.sample_history import (
    HistoryAgent,
    HistoryInbox,
    HistorySpec,
    HistoryTag,
    HistoryTeam,
    insert_history,
)

DAYS = 56
CONVERSATIONS_PER_DAY = 35
SEED = 2026
# The demo's tag catalogue (conversations in the history carry them).
DEMO_TAGS = ("訂單查詢", "退換貨", "發票", "付款問題", "物流延遲", "帳號登入", "VIP 客戶", "客訴")


@dataclass(frozen=True)
class DemoPeople:
    """Who the history is about: the demo's inboxes (website, FAQ bot), agents, team, tags."""

    website_inbox_id: int
    bot_inbox_id: int
    team: HistoryTeam
    agents: tuple[HistoryAgent, ...]
    tags: tuple[HistoryTag, ...]


@dataclass(frozen=True)
class DemoHistory:
    conversations: int
    messages: int
    insert_seconds: float
    rebuild_seconds: float


async def add_demo_history(
    db: Database, people: DemoPeople, *, now: datetime | None = None
) -> DemoHistory:
    """Insert the history (ending `now`) and compute the report facts and rollups."""
    end = now or utcnow()
    team_id = people.team.id
    spec = HistorySpec(
        inboxes=[
            # A quarter of the website traffic goes to the bot's inbox, where it answers first.
            HistoryInbox(people.website_inbox_id, "web", team_id=team_id, bot_share=0.0, weight=3),
            HistoryInbox(people.bot_inbox_id, "web", team_id=team_id, bot_share=1.0, weight=1),
        ],
        agents=people.agents,
        teams=[people.team],
        tags=people.tags,
        start=end - timedelta(days=DAYS),
        end=end,
        conversations_per_day=CONVERSATIONS_PER_DAY,
        contacts=round(DAYS * CONVERSATIONS_PER_DAY * 0.65),
        seed=SEED,
        still_open_rate=0.0,
    )
    started = time.perf_counter()
    inserted = await insert_history(db, spec)
    rebuilding = time.perf_counter()
    await rebuild_reports(db)
    done = time.perf_counter()
    return DemoHistory(
        conversations=inserted.rows["conversations"],
        messages=inserted.rows["messages"],
        insert_seconds=round(rebuilding - started, 2),
        rebuild_seconds=round(done - rebuilding, 2),
    )
