"""The staffing page in Chromium against a real `kefu serve` (its demo workspace), with four
weeks of history written into its database (the worked example of docs/staffing.md): the grid
shows the recommended agents, and evaluating an edited roster updates the expected result.

The demo admin's console speaks zh-TW; the page is driven by data attributes and roles."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from kefu.db import Database, utcnow
from kefu.inboxes.models import Inbox
from kefu.users.models import User
from tests.conftest import PG_URL
from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import agent_page
from tests.e2e.test_console_routing import ADMIN, api_as
from tests.reports.history_rows import write_history

pytestmark = pytest.mark.e2e

TAIPEI = ZoneInfo("Asia/Taipei")


async def seed(url: str) -> None:
    """Four weeks of 20:00 (Taipei) on today's weekday: 30, 24, 24, 18, 12 minutes each."""
    db = Database(url)
    try:
        async with db.read() as session:
            inbox = await session.scalar(select(Inbox).where(Inbox.name == "官網客服 Website"))
            agent = await session.scalar(select(User).where(User.email == "mei@kefu.local"))
        assert inbox is not None and agent is not None
        today = utcnow().astimezone(TAIPEI).date()
        arrivals = {
            datetime.combine(today - timedelta(weeks=w + 1), datetime.min.time(), TAIPEI)
            + timedelta(hours=20): n
            for w, n in enumerate((30, 24, 24, 18))
        }
        await write_history(
            db,
            inbox_id=inbox.id,
            team_id=inbox.team_id,
            agent=agent,
            arrivals=arrivals,
            handle_s=720,
        )
    finally:
        await db.dispose()


def test_the_grid_shows_the_advice_and_a_roster_is_evaluated(
    kefu_server: KefuServer, browser: Browser
) -> None:
    url = PG_URL or f"sqlite+aiosqlite:///{kefu_server.data_dir / 'kefu.db'}"
    with ThreadPoolExecutor(1) as pool:  # sync Playwright keeps a loop in this thread
        pool.submit(asyncio.run, seed(url)).result()
    with api_as(kefu_server, ADMIN) as api:
        for user in api.get("/api/v1/users").raise_for_status().json():
            api.put(
                f"/api/v1/agents/{user['id']}/routing", json={"max_conversations": 3}
            ).raise_for_status()
    weekday = utcnow().astimezone(TAIPEI).date().weekday()

    with agent_page(browser, kefu_server, ADMIN, timezone_id="Asia/Taipei") as page:
        page.locator('a.nav-link[data-page="staffing"]').click()
        advice = page.locator("table.staffing-grid:not(.staffing-roster):not(.staffing-evaluation)")
        cell = advice.locator(f'td[data-day="{weekday}"][data-hour="20"]')
        expect(cell).to_have_text("3")
        expect(cell).to_have_attribute("title", re.compile(r"25\.8"))
        quiet = advice.locator(f'td[data-day="{weekday}"][data-hour="19"]')
        expect(quiet).to_have_class(re.compile("heat-0"))
        expect(quiet.locator(".sr-only")).to_have_text("0")
        expect(page.locator(".staffing-summary li").first).to_contain_text("20:00–21:00")
        expect(page.locator(".staffing-summary")).to_contain_text("3 人時")

        roster = page.locator("table.staffing-roster")
        field = roster.locator(f'input[data-day="{weekday}"][data-hour="20"]')
        expect(field).to_have_value("3")
        evaluate = page.get_by_role("button", name="評估")
        evaluate.click()
        result = page.locator("table.staffing-evaluation")
        evaluated = result.locator(f'td[data-day="{weekday}"][data-hour="20"]')
        expect(evaluated).to_have_class(re.compile("is-met"))
        expect(evaluated).to_contain_text("93")
        expect(page.locator(".staffing-overall")).to_contain_text("93.1%")

        field.fill("2")  # one agent fewer at the peak: 39.7 % within 60 s
        evaluate.click()
        expect(evaluated).to_have_class(re.compile("is-below"))
        expect(evaluated).to_contain_text("40")
        expect(page.locator(".staffing-overall")).to_contain_text("39.7%")
        expect(page.locator(".staffing-verdict")).to_contain_text("1")
