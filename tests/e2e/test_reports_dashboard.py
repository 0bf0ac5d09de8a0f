"""Browser tests of the reports dashboard (#/reports) against a real `kefu serve` process: it
renders the demo workspace's eight weeks of history (KPI tiles, charts with their data tables,
breakdowns), a date filter changes the numbers and lives in the URL, the CSV links download
real files, and an agent sees their own figures without an agent filter.

A few conversations are written through the widget and agent APIs first (assigned, answered,
one resolved), so today has known data too; the figures the page shows are compared with the
API's own answers for the same filters.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import agent_page, unique, visitor_send
from tests.e2e.test_console_routing import ADMIN, api_as, user_id
from tests.e2e.test_queue import eventually

pytestmark = pytest.mark.e2e
# The demo with its weeks of history (tests/e2e/conftest.py): the dashboard reads it.
DEMO_HISTORY = True

TZ = "Asia/Taipei"  # the browser's zone: the page must send it, and count days in it
ALEX = "alex@kefu.local"
MEI = "mei@kefu.local"


def local_today() -> str:
    return datetime.now(ZoneInfo(TZ)).date().isoformat()


def summary(client: httpx.Client, start: str, end: str) -> dict[str, Any]:
    params = {"start": start, "end": end, "tz": TZ}
    answer: dict[str, Any] = client.get("/api/v1/reports/summary", params=params).json()
    return answer


def shown(n: int) -> str:
    """A count as the page writes it (Intl grouping in en and zh-TW alike)."""
    return f"{n:,}"


@pytest.fixture(scope="module")
def activity(kefu_server: KefuServer) -> Iterator[None]:
    """Three conversations today: Alex answers and resolves one, Mei answers one, one waits."""
    with api_as(kefu_server, ADMIN) as admin:
        today = local_today()
        before = summary(admin, today, today)["conversations"]
        agents = [(ALEX, user_id(admin, ALEX)), (MEI, user_id(admin, MEI)), (None, None)]
        for email, agent_id in agents:
            marker = unique("reports question")
            visitor_send(kefu_server, marker)

            def find(marker: str = marker) -> dict[str, Any] | None:
                page = admin.get("/api/v1/conversations", params={"status": "all"}).json()
                found = (c for c in page["items"] if marker in c["last_message_preview"])
                return next(found, None)

            conversation = eventually(find, f"the conversation of {marker!r}")
            if email is None:
                continue
            url = f"/api/v1/conversations/{conversation['id']}"
            admin.post(f"{url}/assign", json={"assignee_id": agent_id}).raise_for_status()
            with api_as(kefu_server, email) as agent:
                agent.post(f"{url}/messages", json={"text": "Happy to help."}).raise_for_status()
                if email == ALEX:
                    agent.post(f"{url}/status", json={"status": "resolved"}).raise_for_status()

        # The worker folds new conversations into the report rollups within a round or two.
        def counted() -> bool | None:
            now = summary(admin, today, today)["conversations"]
            done = now["created"] >= before["created"] + 3
            return True if done and now["resolved"] >= before["resolved"] + 1 else None

        eventually(counted, "today's conversations in the reports", seconds=20)
    yield


def open_reports(page: Page) -> None:
    page.locator('a.nav-link[data-page="reports"]').click()
    expect(page.locator(".report-tile").first).to_be_visible()


def tile(page: Page, kpi: str) -> Any:
    return page.locator(f'.report-tile[data-kpi="{kpi}"] .report-value')


def test_dashboard_renders_and_the_date_filter_changes_the_numbers(
    kefu_server: KefuServer, browser: Browser, activity: None
) -> None:
    today = local_today()
    week_start = (datetime.fromisoformat(today) - timedelta(days=6)).date().isoformat()
    with api_as(kefu_server, ADMIN) as admin:
        week = summary(admin, week_start, today)
        day = summary(admin, today, today)
    with agent_page(browser, kefu_server, ADMIN, locale="zh-TW", timezone_id=TZ) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        open_reports(page)
        # Last 7 days by default, in the viewer's zone (shown), the API's figures on the tiles.
        expect(page.locator(".reports-tz")).to_contain_text(TZ)
        expect(tile(page, "created")).to_have_text(shown(week["conversations"]["created"]))
        expect(tile(page, "resolved")).to_have_text(shown(week["conversations"]["resolved"]))
        # The demo's eight weeks of history: the days before today have conversations too.
        assert week["conversations"]["created"] > day["conversations"]["created"] >= 3
        expect(tile(page, "firstResponse")).not_to_have_text("—")  # two answers today
        expect(page.locator("select[name=agent_id]")).to_be_visible()
        # Charts: pictures with a summary, each with its numbers in a table.
        for chart in ("volume", "response", "csat", "heatmap"):
            picture = page.locator(f'[data-chart="{chart}"] svg[role="img"]')
            expect(picture).to_have_attribute("aria-label", re.compile(r"\S"))
        heatmap = page.locator('[data-chart="heatmap"]')
        expect(heatmap.locator("rect")).to_have_count(7 * 24)
        heatmap.locator("summary").click()  # 顯示數據
        expect(heatmap.locator("tbody tr")).to_have_count(7)
        expect(heatmap.locator("summary")).to_have_text("顯示數據")
        # Breakdowns: rows per agent (Alex and Mei answered) and per channel, sortable.
        agents = page.locator('.report-breakdown[data-by="agent"]')
        expect(agents.locator("tbody tr", has_text="Alex Chen")).to_have_count(1)
        expect(agents.locator("tbody tr", has_text="王小美 Mei")).to_have_count(1)
        expect(page.locator('.report-breakdown[data-by="channel"] tbody tr')).not_to_have_count(0)
        agents.locator('th[data-col="label"] button').click()
        expect(agents.locator('th[data-col="label"]')).to_have_attribute("aria-sort", "ascending")

        # Today only: other numbers, and the period is in the URL.
        page.locator("select[name=period]").select_option("today")
        expect(tile(page, "created")).to_have_text(shown(day["conversations"]["created"]))
        expect(page).to_have_url(re.compile(r"#/reports/period=today$"))

        # Business hours: another query, remembered in the URL too.
        with page.expect_request(re.compile(r"/api/v1/reports/summary\?.*hours=business")):
            page.get_by_role("radio", name="營業時間").check()
        expect(page).to_have_url(re.compile(r"#/reports/period=today&hours=business$"))
        expect(page.locator(".report-range")).to_contain_text("營業時間")

        # A custom range with nothing in it: an end before the start is refused first.
        page.locator("input[name=end]").fill("2020-01-31")
        expect(page.locator(".reports-range-error")).to_have_text("開始日期不能晚於結束日期。")
        page.locator("input[name=start]").fill("2020-01-01")
        expect(tile(page, "created")).to_have_text("0")
        expect(tile(page, "firstResponse")).to_have_text("—")
        expect(page.locator(".report-empty")).to_have_text("這段期間沒有對話。")
        expect(page).to_have_url(re.compile(r"period=custom&start=2020-01-01&end=2020-01-31&hours"))
        # Bookmarkable: a reload shows the same view.
        page.reload()
        expect(tile(page, "created")).to_have_text("0")
        expect(page.locator("select[name=period]")).to_have_value("custom")
        expect(page.locator("input[name=start]")).to_have_value("2020-01-01")
        expect(page.locator("input[name=hours][value=business]")).to_be_checked()
        assert errors == []


def read_download(page: Page, key: str) -> list[list[str]]:
    with page.expect_download() as info:
        page.locator(f'a[data-csv="{key}"]').click()
    path = info.value.path()
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_links_download_the_reports(
    kefu_server: KefuServer, browser: Browser, activity: None
) -> None:
    with agent_page(browser, kefu_server, ADMIN, locale="zh-TW", timezone_id=TZ) as page:
        page.goto(f"{kefu_server.base_url}/console/#/reports/period=today")
        expect(tile(page, "created")).not_to_have_text("0")
        details = read_download(page, "conversations")
        assert details[0][:3] == ["conversation_id", "created_at", "status"]
        assert len(details) >= 1 + 3  # today's three, and any history of today
        assert all(row[1].startswith(local_today()) for row in details[1:])  # local times
        summary_rows = read_download(page, "summary")
        assert summary_rows[0] == ["metric", "value"]
        assert ["hours", "calendar"] in summary_rows
        by_agent = read_download(page, "agents")
        assert by_agent[0][:3] == ["key", "label", "created"]
        assert {"Alex Chen", "王小美 Mei"} <= {row[1] for row in by_agent[1:]}


def test_agent_sees_their_own_figures_and_no_agent_filter(
    kefu_server: KefuServer, browser: Browser, activity: None
) -> None:
    today = local_today()
    with api_as(kefu_server, ALEX) as alex:
        own = summary(alex, today, today)
    with agent_page(browser, kefu_server, ALEX, timezone_id=TZ) as page:
        page.goto(f"{kefu_server.base_url}/console/#/reports/period=today")
        expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
        expect(tile(page, "resolved")).to_have_text(shown(own["conversations"]["resolved"]))
        expect(page.locator("select[name=inbox_id]")).to_be_visible()
        expect(page.locator("select[name=agent_id]")).to_have_count(0)
        rows = page.locator('.report-breakdown[data-by="agent"] tbody tr')
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text("Alex Chen")
        expect(page.locator('[data-chart="heatmap"] summary')).to_have_text("Show data")


HELPERS = """async () => {
  const fmt = await import("/static/console/views/report-format.js");
  const filters = await import("/static/console/views/report-filters.js");
  const charts = await import("/static/console/views/report-charts.js");
  const i18n = await import("/static/console/i18n.js");
  const out = {};
  const durations = [0, 45, 125, 120, 3725, 7200, 93600, 86400, null];
  i18n.setLocale("en");
  out.en = durations.map(fmt.humanDuration);
  out.percent = [fmt.percent(0.834), fmt.percent(null), fmt.score(42), fmt.score(-7.5)];
  i18n.setLocale("zh-TW");
  out.zh = durations.map(fmt.humanDuration);
  const now = new Date(2026, 2, 31, 15, 30); // 31 March 2026, local
  out.presets = Object.fromEntries(
    filters.PRESETS.slice(0, -1).map((p) => [p, filters.presetRange(p, now)]),
  );
  out.intervals = [1, 2, 3, 92, 93, 400].map((days) =>
    filters.intervalFor({ start: "2026-01-01", end: filters.localDate(new Date(2026, 0, days)) }),
  );
  out.parsed = filters.parseFilters(
    "period=custom&start=2026-02-10&end=2026-02-01&inbox_id=abc&team_id=3&channel=evil&hours=x",
  );
  out.arg = filters.filtersArg({ ...filters.DEFAULTS, period: "last30", tag: "a/b c", by: "tag" });
  out.ticks = [charts.countTicks(0), charts.countTicks(7), charts.countTicks(230)];
  out.timeTicks = [charts.timeTicks(100), charts.timeTicks(5000)];
  out.levels = [0, 1, 10, 19, 20].map((n) => charts.heatLevel(n, 20));
  return out;
}"""


def test_report_formatting_and_filter_helpers(kefu_server: KefuServer, browser: Browser) -> None:
    """The page's pure helpers, run as the browser runs them (the console has no JS test runner):
    durations in both languages, presets, intervals, hash parsing, axis ticks, colour steps."""
    context = browser.new_context(locale="en-US", timezone_id=TZ)
    try:
        page = context.new_page()
        page.goto(f"{kefu_server.base_url}/console/")
        out = page.evaluate(HELPERS)
    finally:
        context.close()
    assert out["en"] == ["0s", "45s", "2m 5s", "2m", "1h 2m", "2h", "1d 2h", "1d", "—"]
    assert out["zh"] == [
        "0 秒", "45 秒", "2 分 5 秒", "2 分", "1 小時 2 分", "2 小時", "1 天 2 小時", "1 天", "—",
    ]  # fmt: skip
    assert out["percent"] == ["83.4%", "—", "+42", "-7.5"]
    assert out["presets"] == {
        "today": {"start": "2026-03-31", "end": "2026-03-31"},
        "yesterday": {"start": "2026-03-30", "end": "2026-03-30"},
        "last7": {"start": "2026-03-25", "end": "2026-03-31"},
        "last30": {"start": "2026-03-02", "end": "2026-03-31"},
        "thisMonth": {"start": "2026-03-01", "end": "2026-03-31"},
        "lastMonth": {"start": "2026-02-01", "end": "2026-02-28"},
    }
    assert out["intervals"] == ["hour", "hour", "day", "day", "week", "week"]
    # A reversed custom range, a non-numeric id, an unknown channel: defaults instead.
    assert out["parsed"]["period"] == "last7"
    assert (out["parsed"]["inbox_id"], out["parsed"]["team_id"]) == ("", "3")
    assert (out["parsed"]["channel"], out["parsed"]["hours"]) == ("", "calendar")
    assert out["arg"] == "period=last30&tag=a%2Fb+c&by=tag"  # no "/": the route splits on it
    assert out["ticks"] == [[0, 1], [0, 2, 4, 6, 8], [0, 100, 200, 300]]
    assert out["timeTicks"] == [[0, 30, 60, 90, 120], [0, 1800, 3600, 5400]]
    assert out["levels"] == [0, 1, 3, 5, 5]
