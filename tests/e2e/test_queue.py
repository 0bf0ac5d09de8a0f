"""The queue as customers see it in the website widget, in real Chromium against `kefu serve`:
their number and place, live as it moves; the pre-chat form; topic quick replies.

Set-up goes through the REST API as the demo admin; each visitor is a browser context of its own
(fresh localStorage), so each one is a new customer with a conversation of their own.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from kefu.routing.queries import DEFAULT_HANDLE_SECONDS
from kefu.routing.waits import describe_wait
from tests.e2e.conftest import KefuServer

pytestmark = [pytest.mark.e2e]

TIMEOUT = 8_000  # ms, for expect(); everything happens on loopback
T = TypeVar("T")

# The widget's own words, by the browser's language.
WORDS = {
    "en-US": {"open": "Open chat", "message": "Message", "send": "Send"},
    "zh-TW": {"open": "開啟客服對話", "message": "訊息", "send": "傳送"},
}
TOPICS = [
    {"key": "billing", "label": {"zh-TW": "帳務", "en": "Billing"}},
    {"key": "tech", "label": {"zh-TW": "技術支援", "en": "Technical"}},
]


def eventually(check: Callable[[], T | None], what: str, seconds: float = 10) -> T:
    """Poll the API until `check` returns something (delivery and routing are asynchronous)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@contextmanager
def login(server: KefuServer, email: str) -> Iterator[httpx.Client]:
    """A staff member's session: the cookie, and the CSRF header that writes need."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        r = client.post(
            "/api/v1/auth/login", json={"email": email, "password": server.password(email)}
        )
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client


@pytest.fixture(scope="module")
def admin(kefu_server: KefuServer) -> Iterator[httpx.Client]:
    with login(kefu_server, "admin@kefu.local") as client:
        yield client


def set_routing(admin: httpx.Client, inbox_id: int, **changes: Any) -> dict[str, Any]:
    """GET the inbox's full RoutingSettings, change some, PUT them back."""
    r = admin.get(f"/api/v1/inboxes/{inbox_id}/routing")
    assert r.status_code == 200, r.text
    settings = {**r.json(), **changes}
    r = admin.put(f"/api/v1/inboxes/{inbox_id}/routing", json=settings)
    assert r.status_code == 200, r.text
    return dict(r.json())


def new_inbox(admin: httpx.Client, name: str, locale: str, origin: str) -> dict[str, Any]:
    body = {"name": name, "locale": locale, "allowed_origins": [origin]}
    r = admin.post("/api/v1/inboxes", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def conversation_of(admin: httpx.Client, marker: str) -> dict[str, Any]:
    """The conversation in which the customer wrote `marker` (automatic replies soon replace
    the preview, so this reads the messages)."""

    def find() -> dict[str, Any] | None:
        r = admin.get("/api/v1/conversations", params={"status": "all", "limit": 100})
        r.raise_for_status()
        for item in r.json()["items"]:
            messages = admin.get(
                f"/api/v1/conversations/{item['id']}/messages", params={"limit": 200}
            ).json()["items"]
            if any(m["kind"] == "incoming" and marker in m["text"] for m in messages):
                return dict(item)
        return None

    return eventually(find, f"the conversation with {marker!r}")


def fetch(admin: httpx.Client, conversation_id: int) -> dict[str, Any]:
    r = admin.get(f"/api/v1/conversations/{conversation_id}")
    r.raise_for_status()
    return dict(r.json())


def fetch_when(
    admin: httpx.Client, conversation_id: int, ready: Callable[[dict[str, Any]], object], what: str
) -> dict[str, Any]:
    """The conversation, once `ready` holds for it (routing runs after the commit)."""

    def check() -> dict[str, Any] | None:
        conversation = fetch(admin, conversation_id)
        return conversation if ready(conversation) else None

    return eventually(check, what)


def visitor(browser: Browser, url: str, locale: str = "en-US") -> Page:
    """A new customer on `url`, with the chat open."""
    page = browser.new_context(locale=locale).new_page()
    page.goto(url)
    page.get_by_role("button", name=WORDS[locale]["open"]).click()
    expect(page.get_by_role("textbox", name=WORDS[locale]["message"])).to_be_focused()
    return page


def shop_page(browser: Browser, shop_site: str, key: str, locale: str = "en-US") -> Page:
    """A new customer on the shop's site, with the chat of inbox `key` open."""
    page = browser.new_context(locale=locale).new_page()
    page.goto(f"{shop_site}/?inbox={key}")
    page.get_by_role("button", name=WORDS[locale]["open"]).click()
    return page


def send(page: Page, text: str, locale: str = "en-US") -> None:
    page.get_by_role("textbox", name=WORDS[locale]["message"]).fill(text)
    page.get_by_role("button", name=WORDS[locale]["send"], exact=True).click()


def mine(page: Page) -> Locator:
    return page.locator("kefu-widget [role=log] .me .t")


def delivered(page: Page, text: str) -> None:
    expect(mine(page).filter(has_text=text)).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator("kefu-widget [role=log] .me.q")).to_have_count(0, timeout=TIMEOUT)


def queue_line(page: Page) -> Locator:
    return page.locator("kefu-widget [data-kefu-queue]")


def serving(page: Page) -> Locator:
    """The header line that names the agent serving the customer."""
    return page.locator("kefu-widget header .a")


def test_the_queue_moves_live_and_the_next_customer_is_assigned_on_resolve(
    browser: Browser, kefu_server: KefuServer, admin: httpx.Client
) -> None:
    """Two agents with capacity 1; four customers write: two are assigned at once, the third is
    next, the fourth sees one ahead; an agent resolves, the third is assigned at once and the
    fourth moves up."""
    inbox = next(
        i for i in admin.get("/api/v1/inboxes").json() if i["public_key"] == kefu_server.inbox_key
    )
    routing = admin.get(f"/api/v1/inboxes/{inbox['id']}/routing").json()
    set_routing(
        admin,
        inbox["id"],
        max_conversations_per_agent=1,
        auto_assign=True,
        policy="balanced",
        business_hours={**routing["business_hours"], "enabled": False},  # always open
    )
    users = {u["email"]: u for u in admin.get("/api/v1/users").json()}
    agents = {users[e]["id"]: users[e] for e in ("mei@kefu.local", "alex@kefu.local")}
    for user_id in agents:
        r = admin.put(f"/api/v1/agents/{user_id}/presence", json={"presence": "online"})
        assert r.status_code == 200, r.text
        assert r.json()["presence"] == "online"

    demo = f"{kefu_server.base_url}/demo"
    pages: list[Page] = []
    conversations: list[dict[str, Any]] = []
    # Customers 1 and 2 are assigned the moment they write, one to each agent.
    for n in (1, 2):
        page = visitor(browser, demo)
        send(page, f"queue-{n} hello")
        delivered(page, f"queue-{n} hello")
        conversation = conversation_of(admin, f"queue-{n} ")
        conversation = fetch_when(
            admin, conversation["id"], lambda c: c["assignee"], f"customer {n} assigned"
        )
        expect(serving(page)).to_have_text(
            f"You're chatting with {conversation['assignee']['name']}", timeout=TIMEOUT
        )
        expect(queue_line(page)).to_be_hidden()
        pages.append(page)
        conversations.append(conversation)
    assert {c["assignee"]["id"] for c in conversations} == set(agents)

    # Customer 3 waits, first in line.
    page3 = visitor(browser, demo)
    send(page3, "queue-3 hello")
    delivered(page3, "queue-3 hello")
    third = conversation_of(admin, "queue-3 ")
    third = fetch_when(admin, third["id"], lambda c: c["queue_number"], "customer 3 queued")
    assert third["assignee"] is None and third["queued_at"] is not None
    line3 = queue_line(page3)
    wait = describe_wait(0, 2, DEFAULT_HANDLE_SECONDS)  # two online slots, no history yet
    expect(line3).to_have_text(
        f"Your number: {third['queue_number']} · You're next · about {wait} min wait",
        timeout=TIMEOUT,
    )
    # Screen readers hear it move: a polite live status region (the only status shown now).
    expect(line3).to_have_attribute("role", "status")
    expect(line3).to_have_attribute("aria-live", "polite")
    expect(page3.get_by_role("status")).to_have_text(re.compile("You're next"))
    expect(serving(page3)).to_be_hidden()

    # Customer 4 (in Chinese) has one customer ahead.
    page4 = visitor(browser, demo, "zh-TW")
    send(page4, "queue-4 你好", "zh-TW")
    delivered(page4, "queue-4 你好")
    fourth = conversation_of(admin, "queue-4 ")
    fourth = fetch_when(admin, fourth["id"], lambda c: c["queue_number"], "customer 4 queued")
    line4 = queue_line(page4)
    wait = describe_wait(1, 2, DEFAULT_HANDLE_SECONDS)
    expect(line4).to_have_text(
        f"您的號碼：{fourth['queue_number']}　您前面還有 1 位　預計等待約 {wait} 分鐘",
        timeout=TIMEOUT,
    )
    open_list = admin.get("/api/v1/conversations", params={"status": "open"}).json()["items"]
    waiting = sorted(c["id"] for c in open_list if c["assignee"] is None)
    assert waiting == sorted([third["id"], fourth["id"]])
    assert sorted(c["id"] for c in open_list if c["assignee"]) == sorted(
        c["id"] for c in conversations
    )

    # An agent resolves customer 1: customer 3 gets that agent at once, customer 4 moves up.
    first = conversations[0]
    resolver = first["assignee"]
    email = next(e for e, u in users.items() if u["id"] == resolver["id"])
    with login(kefu_server, email) as agent:
        r = agent.post(f"/api/v1/conversations/{first['id']}/status", json={"status": "resolved"})
        assert r.status_code == 200, r.text
    expect(line3).to_be_hidden(timeout=TIMEOUT)
    expect(serving(page3)).to_have_text(f"You're chatting with {resolver['name']}", timeout=TIMEOUT)
    expect(line4).to_have_text(
        re.compile(rf"^您的號碼：{fourth['queue_number']}　您是下一位　預計等待約 \d+ 分鐘$"),
        timeout=TIMEOUT,
    )
    expect(serving(pages[0])).to_be_hidden(timeout=TIMEOUT)  # resolved: nobody serving now
    third = fetch(admin, third["id"])
    assert third["assignee"] is not None and third["assignee"]["id"] == resolver["id"]
    resolved_at = datetime.fromisoformat(fetch(admin, first["id"])["resolved_at"])
    # At once: the dispatcher runs after the resolving commit, not at the next sweep.
    assert datetime.fromisoformat(third["assigned_at"]) - resolved_at < timedelta(seconds=3)
    assert fetch(admin, fourth["id"])["assignee"] is None

    # A reload reads the place from /session.
    page4.reload()
    page4.get_by_role("button", name="開啟客服對話").click()
    expect(queue_line(page4)).to_contain_text("您是下一位", timeout=TIMEOUT)
    page3.reload()
    page3.get_by_role("button", name="Open chat").click()
    expect(serving(page3)).to_have_text(f"You're chatting with {resolver['name']}")
    expect(queue_line(page3)).to_be_hidden()
    for page in [*pages, page3, page4]:
        page.context.close()


def test_prechat_form_is_sent_with_the_first_message(
    browser: Browser, admin: httpx.Client, shop_site: str
) -> None:
    inbox = new_inbox(admin, "Pre-chat shop", "en", shop_site)
    set_routing(
        admin,
        inbox["id"],
        prechat={
            "enabled": True,
            "ask_name": True,
            "ask_email": True,
            "ask_phone": True,
            "require_contact": True,
        },
        topics=TOPICS,
    )
    page = shop_page(browser, shop_site, inbox["public_key"])
    form = page.get_by_role("group", name="Your details")
    expect(form).to_be_visible(timeout=TIMEOUT)
    form.get_by_label("Name").fill("林小姐 Lin")
    topic = form.get_by_role("combobox", name="Topic")
    expect(topic.locator("option")).to_have_text(["Choose…", "Billing", "Technical"])
    topic.select_option(label="Technical")

    # No email and no phone: the server refuses; the message goes back into the box.
    send(page, "pre-1 my router is broken")
    expect(page.get_by_role("alert")).to_have_text(
        "Please leave an email or a phone number", timeout=TIMEOUT
    )
    expect(form.get_by_label("Email")).to_be_focused()
    expect(page.get_by_role("textbox", name="Message")).to_have_value("pre-1 my router is broken")
    expect(mine(page)).to_have_count(0)

    form.get_by_label("Email").fill("lin@example.com")
    page.get_by_role("button", name="Send", exact=True).click()
    delivered(page, "pre-1 my router is broken")
    expect(form).to_be_hidden()
    conversation = conversation_of(admin, "pre-1 ")
    assert conversation["topic"] == "tech"
    assert conversation["contact"]["name"] == "林小姐 Lin"
    assert conversation["contact"]["email"] == "lin@example.com"
    assert conversation["inbox_id"] == inbox["id"]

    # Nobody online: the place is shown without a wait estimate.
    expect(queue_line(page)).to_have_text("Your number: 1 · You're next", timeout=TIMEOUT)
    page.reload()  # a returning customer with a conversation gets no form
    page.get_by_role("button", name="Open chat").click()
    expect(mine(page)).to_have_text(["pre-1 my router is broken"], timeout=TIMEOUT)
    expect(form).to_be_hidden()
    page.context.close()


def test_quick_replies_pick_the_topic(
    browser: Browser, admin: httpx.Client, shop_site: str
) -> None:
    inbox = new_inbox(admin, "主題客服 Topics", "zh-TW", shop_site)
    set_routing(admin, inbox["id"], topics=TOPICS)  # pre-chat form off (the default)
    page = shop_page(browser, shop_site, inbox["public_key"], "zh-TW")
    expect(page.get_by_role("group", name="您的資料")).to_be_hidden()
    send(page, "qr-1 你好", "zh-TW")
    delivered(page, "qr-1 你好")

    # The topic question arrives with one button per topic, from the inbox (not a blank name).
    question = page.locator("kefu-widget [role=log] .m:not(.me)").filter(
        has_text="請問您想詢問哪一類問題？"
    )
    expect(question.locator(".n")).to_have_text("主題客服 Topics", timeout=TIMEOUT)
    buttons = question.get_by_role("button")
    expect(buttons).to_have_text(["帳務", "技術支援"])
    expect(queue_line(page)).to_be_hidden()  # not queued until the topic is known

    buttons.filter(has_text="技術支援").click()
    expect(mine(page)).to_have_text(["qr-1 你好", "技術支援"], timeout=TIMEOUT)
    expect(buttons).to_have_count(0)
    conversation = conversation_of(admin, "qr-1 ")
    routed = fetch_when(admin, conversation["id"], lambda c: c["topic"], "the topic set")
    assert routed["topic"] == "tech"
    expect(queue_line(page)).to_have_text("您的號碼：1　您是下一位", timeout=TIMEOUT)

    # Answered: the buttons do not come back with the history.
    page.reload()
    page.get_by_role("button", name="開啟客服對話").click()
    expect(mine(page)).to_have_text(["qr-1 你好", "技術支援"], timeout=TIMEOUT)
    expect(page.locator("kefu-widget .r button")).to_have_count(0)
    page.context.close()
