"""The live wallboard in real Chromium against `kefu serve`: it shows the waiting count, and the
count goes up (no reload) when a customer starts a chat in the widget; agents' presence
follows live; the longest wait ticks; the board goes full screen."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import KefuServer

pytestmark = [pytest.mark.e2e]

TIMEOUT = 8_000  # ms; everything happens on loopback
ADMIN = "admin@kefu.local"


@pytest.fixture(scope="module")
def admin(kefu_server: KefuServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=kefu_server.base_url, timeout=10) as client:
        r = client.post(
            "/api/v1/auth/login", json={"email": ADMIN, "password": kefu_server.password(ADMIN)}
        )
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client


def board_page(browser: Browser, server: KefuServer) -> Page:
    page = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{server.base_url}/console/")
    page.locator("input[name=email]").fill(ADMIN)
    page.locator("input[name=password]").fill(server.password(ADMIN))
    page.locator("form.login-card button[type=submit]").click()
    # The demo admin works in Chinese (their account's language wins over the browser's).
    page.get_by_role("link", name="即時看板").click()
    expect(page.get_by_role("heading", name="即時看板")).to_be_visible()
    return page


def customer_writes(browser: Browser, server: KefuServer, text: str) -> Page:
    page = browser.new_context(locale="en-US").new_page()
    page.goto(f"{server.base_url}/demo")
    page.get_by_role("button", name="Open chat").click()
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("kefu-widget [role=log] .me .t", has_text=text)).to_have_count(1)
    return page


def test_the_waiting_count_goes_up_live_when_a_customer_writes(
    browser: Browser, kefu_server: KefuServer, admin: httpx.Client
) -> None:
    inbox = next(
        i for i in admin.get("/api/v1/inboxes").json() if i["public_key"] == kefu_server.inbox_key
    )
    before = admin.get("/api/v1/reports/wallboard").json()
    page = board_page(browser, kefu_server)
    waiting = page.locator("[data-figure=waiting] .wb-value")
    expect(waiting).to_have_text(str(before["waiting"]), timeout=TIMEOUT)
    row = page.locator(f"tr[data-inbox-id='{inbox['id']}']")
    expect(row.locator("th")).to_have_text(inbox["name"])

    page.evaluate("window.wallboardMarker = 1")  # gone if the page were reloaded
    customer_writes(browser, kefu_server, "wallboard hello")  # nobody is online: it waits
    expect(waiting).to_have_text(str(before["waiting"] + 1), timeout=TIMEOUT)
    assert page.evaluate("window.wallboardMarker") == 1
    expect(row.locator(".wb-inbox-waiting")).to_have_text(re.compile(r"[1-9]\d*"), timeout=TIMEOUT)
    # The longest wait runs on between refetches.
    clock = page.locator("[data-figure=longest-wait] .wb-clock")
    expect(clock).to_have_text(re.compile(r"^\d+:\d\d$"))
    first = clock.text_content()
    expect(clock).not_to_have_text(first or "", timeout=3_000)

    # An agent comes online: their row and the online figure follow without a reload.
    users = {u["email"]: u for u in admin.get("/api/v1/users").json()}
    mei = users["mei@kefu.local"]
    mei_row = page.locator(f"tr[data-user-id='{mei['id']}']")
    online_before = int(page.locator("[data-figure=online] .wb-value").inner_text())
    r = admin.put(f"/api/v1/agents/{mei['id']}/presence", json={"presence": "online"})
    assert r.status_code == 200, r.text
    try:
        expect(mei_row).to_have_attribute("data-presence", "online", timeout=TIMEOUT)
        expect(mei_row.locator("meter")).to_have_count(1)
        expect(page.locator("[data-figure=online] .wb-value")).not_to_have_text(
            str(online_before), timeout=TIMEOUT
        )
    finally:
        admin.put(f"/api/v1/agents/{mei['id']}/presence", json={"presence": "offline"})


def test_full_screen_for_a_tv(browser: Browser, kefu_server: KefuServer) -> None:
    page = board_page(browser, kefu_server)
    button = page.get_by_role("button", name="全螢幕", exact=True)
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(page.get_by_role("button", name="離開全螢幕")).to_have_attribute(
        "aria-pressed", "true", timeout=TIMEOUT
    )
    assert page.evaluate("document.fullscreenElement?.dataset.page") == "wallboard"
    page.get_by_role("button", name="離開全螢幕").click()
    expect(page.get_by_role("button", name="全螢幕", exact=True)).to_be_visible(timeout=TIMEOUT)


def test_a_lead_turns_on_the_weekly_report_email_in_their_profile(
    browser: Browser, kefu_server: KefuServer, admin: httpx.Client
) -> None:
    page = board_page(browser, kefu_server)
    page.locator(".nav-link[data-page=profile]").click()
    section = page.get_by_role("region", name="報表電子郵件")
    expect(section).to_be_visible(timeout=TIMEOUT)
    expect(section.get_by_role("radio", name="不寄送")).to_be_checked()
    section.get_by_role("radio", name="每週一(上一週)").check()
    section.get_by_label("時區", exact=True).fill("Asia/Taipei")
    section.get_by_role("button", name="儲存").click()
    expect(section.get_by_role("status")).to_contain_text("(Asia/Taipei)", timeout=TIMEOUT)
    saved = admin.get("/api/v1/reports/digest").json()
    assert (saved["frequency"], saved["timezone"]) == ("weekly", "Asia/Taipei")
    # The demo server sends no email: the form says so.
    expect(section.locator(".digest-no-email")).to_be_visible()
    page.reload()
    section = page.get_by_role("region", name="報表電子郵件")
    expect(section.get_by_role("radio", name="每週一(上一週)")).to_be_checked(timeout=TIMEOUT)
    admin.put("/api/v1/reports/digest", json={"frequency": "off", "timezone": "Asia/Taipei"})
