"""The demo workspace's eight weeks of history (kefu/demo_history.py): reports have figures on
first start, and the live demo behaves as it did without it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from kefu.config import Settings
from kefu.conversations.models import Conversation
from kefu.demo import create_demo_workspace
from kefu.demo_history import CONVERSATIONS_PER_DAY, DAYS
from kefu.inboxes.models import Inbox
from kefu.reports.models import ConversationFact
from kefu.reports.refresh import stale_count
from kefu.runtime import Runtime
from kefu.tags.models import Tag
from tests.conftest import login, visitor_send


async def test_the_demo_has_history_and_reports_show_it(
    settings: Settings, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    logins = await create_demo_workspace(settings)
    assert logins is not None
    async with runtime.db.read() as session:
        total = int(await session.scalar(select(func.count()).select_from(Conversation)) or 0)
        unresolved = await session.scalar(
            select(func.count()).where(Conversation.status != "resolved")
        )
        facts = await session.scalar(select(func.count()).select_from(ConversationFact))
        inboxes = {i.name: i for i in await session.scalars(select(Inbox))}
        tags = await session.scalar(select(func.count()).select_from(Tag))
        bot_inbox = inboxes["小幫手 FAQ bot"]
        bot_conversations = list(
            await session.scalars(select(Conversation).where(Conversation.inbox_id == bot_inbox.id))
        )
    assert abs(total - DAYS * CONVERSATIONS_PER_DAY) < 0.1 * DAYS * CONVERSATIONS_PER_DAY
    # Nothing of it waits in the queue or counts on an agent's load.
    assert unresolved == 0
    assert facts == total and await stale_count(runtime.db) == 0
    assert tags
    # The FAQ bot answered every conversation of its inbox first.
    assert bot_conversations and all(c.bot_state.get("ended") for c in bot_conversations)

    admin = next(x for x in logins if x.role == "admin")
    await login(client, admin.email, admin.password)
    taipei = ZoneInfo("Asia/Taipei")
    today = datetime.now(taipei).date()
    params = {"start": (today - timedelta(days=27)).isoformat(), "end": today.isoformat()}
    summary = (
        await client.get("/api/v1/reports/summary", params={**params, "tz": "Asia/Taipei"})
    ).json()
    assert summary["conversations"]["created"] > 20 * 28
    assert summary["csat"]["responses"] > 0 and summary["csat"]["average"] > 3.5
    assert 30 <= summary["first_response"]["median_s"] <= 600
    assert summary["bot"]["conversations"] > 0
    heatmap = (
        await client.get("/api/v1/reports/heatmap", params={**params, "tz": "Asia/Taipei"})
    ).json()
    hours = [sum(day[h] for day in heatmap["cells"]) for h in range(24)]
    assert max(range(24), key=lambda h: hours[h]) in (19, 20, 21)


async def test_a_live_customer_after_the_history_is_served_as_before(
    settings: Settings, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A new customer of the demo website starts a fresh conversation, queued and numbered
    like any other, with the next ids (the history took its ids from the tables)."""
    assert await create_demo_workspace(settings) is not None
    async with runtime.db.read() as session:
        website = await session.scalar(select(Inbox).where(Inbox.name == "官網客服 Website"))
        highest = await session.scalar(select(func.max(Conversation.id)))
    assert website is not None and highest is not None
    sent = await visitor_send(client, website, "你好，我想問訂單")
    async with runtime.db.read() as session:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.public_id == sent["conversation"]["id"])
        )
    assert conversation is not None and conversation.id == highest + 1
    assert conversation.status == "open" and conversation.last_seq >= 1
    assert conversation.created_at > datetime.now(UTC) - timedelta(minutes=1)


async def test_the_history_can_be_turned_off(settings: Settings, runtime: Runtime) -> None:
    plain = settings.model_copy(update={"demo_history": False})
    assert await create_demo_workspace(plain) is not None
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0
        assert await session.scalar(select(func.count()).select_from(Tag))  # the catalogue
