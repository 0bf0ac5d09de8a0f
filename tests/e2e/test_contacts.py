"""Identified visitors and the contact page, in real Chromium against a real `kefu serve`.

A customer chats anonymously on a host site (an agent resolves it), then logs in there on another
browser: the site passes its user with an HMAC, and on the first browser the same user's history
appears. The agent opens the contact from the conversation's side panel, sees both conversations
on the contact's timeline and edits a field.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from kefu.identity.actions import user_hash
from tests.e2e.conftest import KefuServer

pytestmark = [pytest.mark.e2e]

TIMEOUT = 8_000
T = TypeVar("T")


def eventually(check: Callable[[], T | None], what: str) -> T:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"never: {what}")


@pytest.fixture(scope="module")
def admin(kefu_server: KefuServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=kefu_server.base_url, timeout=10) as client:
        r = client.post(
            "/api/v1/auth/login",
            json={
                "email": "admin@kefu.local",
                "password": kefu_server.password("admin@kefu.local"),
            },
        )
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client


def customer(browser: Browser, url: str) -> Page:
    page = browser.new_context(locale="en-US").new_page()
    page.goto(url)
    page.get_by_role("button", name="Open chat").click()
    return page


def say(page: Page, text: str) -> None:
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    mine = page.locator("kefu-widget [role=log] .me .t").filter(has_text=text)
    expect(mine).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator("kefu-widget [role=log] .me.q")).to_have_count(0, timeout=TIMEOUT)


def conversation_of(admin: httpx.Client, marker: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        page = admin.get("/api/v1/conversations", params={"status": "all", "limit": 100}).json()
        return next((c for c in page["items"] if marker in c["last_message_preview"]), None)

    return eventually(find, f"a conversation with {marker!r}")


def test_identified_history_follows_the_customer_and_the_agent_sees_the_contact(
    browser: Browser, kefu_server: KefuServer, admin: httpx.Client, shop_site: str
) -> None:
    key = kefu_server.inbox_key
    inbox = next(i for i in admin.get("/api/v1/inboxes").json() if i["public_key"] == key)
    r = admin.patch(
        f"/api/v1/inboxes/{inbox['id']}",
        json={"allowed_origins": [*inbox["allowed_origins"], shop_site]},
    )
    assert r.status_code == 200, r.text
    secret = admin.post(f"/api/v1/inboxes/{inbox['id']}/identity/secret").json()["secret"]
    uid = f"shop-{uuid.uuid4().hex[:6]}"
    identity = {"user": uid, "name": "林美玲", "email": f"{uid}@shop.example", "hash": ""}
    logged_in = f"{shop_site}/?" + urlencode(
        {"inbox": key, **identity, "hash": user_hash(secret, uid)}
    )
    forged = f"{shop_site}/?" + urlencode({"inbox": key, **identity, "hash": "0" * 64})

    # The phone: anonymous first; an agent answers and resolves that conversation.
    phone = customer(browser, f"{shop_site}/?inbox={key}")
    say(phone, "anonymous question about shipping")
    first = conversation_of(admin, "anonymous question")
    r = admin.post(f"/api/v1/conversations/{first['id']}/status", json={"status": "resolved"})
    assert r.status_code == 200, r.text

    # The laptop: logged in on the site from the start.
    laptop = customer(browser, logged_in)
    say(laptop, "laptop: where is order 1001?")
    second = conversation_of(admin, "order 1001")
    assert second["id"] != first["id"]

    # A forged hash on a third browser shows none of it.
    stranger = customer(browser, forged)
    expect(stranger.locator("kefu-widget header h2")).not_to_have_text("", timeout=TIMEOUT)
    stranger.wait_for_timeout(500)
    expect(stranger.locator("kefu-widget [role=log] .t", has_text="order 1001")).to_have_count(0)

    # The phone logs in: its anonymous contact is merged into the verified one, and the
    # laptop's conversation (the latest) shows up there, live from then on.
    phone.goto(logged_in)
    phone.get_by_role("button", name="Open chat").click()
    log = phone.locator("kefu-widget [role=log]")
    expect(log.locator(".t", has_text="laptop: where is order 1001?")).to_have_count(
        1, timeout=TIMEOUT
    )
    say(phone, "phone: any update?")
    expect(
        laptop.locator("kefu-widget [role=log] .t", has_text="phone: any update?")
    ).to_have_count(1, timeout=TIMEOUT)
    contact_id = admin.get(f"/api/v1/conversations/{second['id']}").json()["contact"]["id"]
    assert admin.get(f"/api/v1/conversations/{first['id']}").json()["contact"]["id"] == contact_id

    # The agent (Mei's console speaks zh-TW): from the conversation's side panel to the contact.
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    try:
        agent = context.new_page()
        agent.goto(f"{kefu_server.base_url}/console/#/conversations/{second['id']}")
        agent.locator("input[name=email]").fill("mei@kefu.local")
        agent.locator("input[name=password]").fill(kefu_server.password("mei@kefu.local"))
        agent.locator("form.login-card button[type=submit]").click()
        agent.get_by_role("link", name="聯絡人資料").click()
        page = agent.locator(f".contact-page[data-contact='{contact_id}']")
        expect(page.locator(".contact-title")).to_contain_text("林美玲", timeout=TIMEOUT)
        expect(page.locator(".pill-verified")).to_have_text("已驗證")
        timeline = page.locator(".timeline-item")
        expect(timeline).to_have_count(2, timeout=TIMEOUT)
        expect(timeline.nth(0)).to_contain_text("phone: any update?")
        expect(timeline.nth(1)).to_contain_text("anonymous question about shipping")
        expect(page.locator(".identities .chip", has_text=uid)).to_be_visible()
        # A bad email is refused with the field named; a good edit is saved and logged.
        form = page.locator("form.contact-form")
        email = form.get_by_label("Email")
        email.evaluate("e => e.type = 'text'")  # past the browser's own check, to the server's
        email.fill("not an email")
        form.locator("button[type=submit]").click()
        expect(form.locator(".form-error")).to_contain_text("email", timeout=TIMEOUT)
        email.fill(f"{uid}@shop.example")
        form.get_by_label("公司").fill("Acme 貿易")
        form.locator("button[type=submit]").click()
        expect(page.locator(".contact-head")).to_contain_text("Acme 貿易", timeout=TIMEOUT)
        expect(page.locator(".history-list li").first).to_contain_text("修改了 公司")
        assert admin.get(f"/api/v1/contacts/{contact_id}").json()["company"] == "Acme 貿易"
        agent.screenshot(path=str(kefu_server.data_dir / "contact-page.png"), full_page=True)
        # The timeline links to the conversation.
        timeline.nth(1).get_by_role("link").click()
        expect(agent.locator(".thread .messages")).to_contain_text("anonymous question")
    finally:
        context.close()
        for page_ in (phone, laptop, stranger):
            page_.context.close()
