"""Browser tests of "one customer, one history" in the console: a merge suggestion in a
conversation's customer panel (merged by a supervisor, only seen by an agent) and on the
contacts page, and continuing with the customer on another channel (Telegram: the message goes
out; WhatsApp outside its window: the readable refusal and the template picker).

Suggestions are made the real way: a web-chat customer whose phone an agent typed in, then a
stand-in channel webhook (tests/e2e/channel_standin.py) carrying the same number in another
form; kefu.channels.matching proposes the pair.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.channel_server import (
    ADMIN,
    AGENT,
    admin_http,
    channel_server,
    close_window,
    console,
    create_channel_inbox,
    customer_writes,
)
from tests.e2e.conftest import KefuServer

__all__ = ["channel_server"]  # the fixture, imported for this module's tests

pytestmark = pytest.mark.e2e

SUPERVISOR = "sam@kefu.local"
LIVE = 15_000  # worker-driven states (KEFU_WORKER_INTERVAL_SECONDS=0.5)


@dataclass
class Setup:
    server: KefuServer
    database_url: str
    web: dict[str, Any]
    telegram: dict[str, Any]
    whatsapp: dict[str, Any]


@pytest.fixture(scope="module")
def setup(channel_server: tuple[KefuServer, str]) -> Iterator[Setup]:
    """A supervisor (en), the demo website inbox and a Telegram and a WhatsApp inbox, all three
    with the admin, the agent and the supervisor as members."""
    server, database_url = channel_server
    password = "supervisor-pass-123"
    with admin_http(server) as http:
        sam = http.post(
            "/api/v1/users",
            json={
                "email": SUPERVISOR,
                "name": "Sam Supervisor",
                "password": password,
                "role": "supervisor",
                "locale": "en",
            },
        ).raise_for_status()
        server.logins[SUPERVISOR] = ("supervisor", password)
        web = next(i for i in http.get("/api/v1/inboxes").json() if i["channel_type"] == "web")
        agent = next(u for u in http.get("/api/v1/users").json() if u["email"] == AGENT)
        members = sorted({*web["member_ids"], sam.json()["id"], agent["id"]})
        http.patch(f"/api/v1/inboxes/{web['id']}", json={"member_ids": members}).raise_for_status()
    everyone = (ADMIN, AGENT, SUPERVISOR)
    telegram = create_channel_inbox(server, "telegram", {}, members=everyone)
    whatsapp = create_channel_inbox(
        server, "whatsapp", {"phone_number_id": "123", "waba_id": "456"}, members=everyone
    )
    yield Setup(server, database_url, web, telegram, whatsapp)


@dataclass
class Customer:
    name: str
    phone: str  # as the agent typed it: 0912-345-678
    web_conversation: int
    contact: int


def web_customer(s: Setup, name: str) -> Customer:
    """A web-chat customer whose (claimed) phone number an agent typed into the profile."""
    digits = f"9{random.randrange(10**7, 10**8)}"
    phone = f"0{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    text = f"web question {uuid.uuid4().hex[:8]}"
    httpx.post(
        f"{s.server.base_url}/api/v1/widget/{s.web['public_key']}/messages",
        json={"text": text, "client_msg_id": uuid.uuid4().hex},
        timeout=10,
    ).raise_for_status()
    with admin_http(s.server) as http:
        page = http.get(
            "/api/v1/conversations", params={"status": "all", "inbox_id": s.web["id"]}
        ).json()
        conv = next(c for c in page["items"] if c["last_message_preview"] == text)
        contact_id = conv["contact"]["id"]
        http.patch(
            f"/api/v1/contacts/{contact_id}", json={"name": name, "phone": phone}
        ).raise_for_status()
    return Customer(name, phone, conv["id"], contact_id)


def international(phone: str) -> str:
    """0912-345-678 -> +886 912 345 678 (the same number, written otherwise)."""
    digits = phone.replace("-", "")[1:]
    return f"+886 {digits[:3]} {digits[3:6]} {digits[6:]}"


def masked(phone: str) -> str:
    return "+886*****" + phone.replace("-", "")[-4:]


def pending_suggestion(s: Setup, customer: Customer) -> dict[str, Any]:
    with admin_http(s.server) as http:
        found = http.get(f"/api/v1/contacts/{customer.contact}/merge-suggestions").json()
    assert len(found) == 1, found
    suggestion: dict[str, Any] = found[0]
    return suggestion


def telegram_twin(s: Setup, customer: Customer, name: str) -> dict[str, Any]:
    """The customer writes on Telegram giving their number: a new contact, proposed as theirs."""
    customer_writes(
        s.server,
        s.telegram,
        f"telegram hello {uuid.uuid4().hex[:6]}",
        user=f"tg-{uuid.uuid4().hex[:8]}",
        name=name,
        phone=international(customer.phone),
    )
    return pending_suggestion(s, customer)


def merged(s: Setup, suggestion: dict[str, Any]) -> None:
    with admin_http(s.server) as http:
        http.post(f"/api/v1/merge-suggestions/{suggestion['id']}/accept").raise_for_status()


def open_conversation(page: Page, s: Setup, conversation_id: int) -> None:
    page.goto(f"{s.server.base_url}/console/#/conversations/{conversation_id}")
    expect(page.locator(".customer-panel .customer-convs")).to_be_visible()


def test_supervisor_merges_a_suggestion_and_sees_both_channels(
    setup: Setup, browser: Browser
) -> None:
    s = setup
    customer = web_customer(s, f"林先生 {uuid.uuid4().hex[:4]}")
    twin = f"Lin TG {uuid.uuid4().hex[:4]}"
    telegram_twin(s, customer, twin)
    context, page = console(browser, s.server, SUPERVISOR)
    try:
        # The contacts page lists every pending suggestion for supervisors.
        page.goto(f"{s.server.base_url}/console/#/contacts")
        pair = page.locator(".suggest-card .suggestion", has_text=twin)
        expect(pair).to_contain_text(customer.name)
        expect(pair).to_contain_text(f"Same phone number: {masked(customer.phone)}")

        # In the web conversation's panel: the other contact, the masked number, the reason.
        open_conversation(page, s, customer.web_conversation)
        panel = page.locator(".customer-panel")
        suggestion = panel.locator(".suggestion")
        expect(panel.locator(".suggestions h3")).to_have_text("Possibly the same customer")
        expect(suggestion.locator(".suggest-other")).to_have_text(twin)
        expect(suggestion).to_contain_text(f"Same phone number: {masked(customer.phone)}")
        expect(panel.locator(".customer-conv")).to_have_count(1)
        suggestion.get_by_role("button", name=f"Merge {twin} with this customer").click()

        # The merged contact: no suggestion left, its conversations from both channels.
        expect(page.locator(".toast-ok")).to_contain_text("Contacts merged.")
        expect(panel.locator(".suggestion")).to_have_count(0)
        convs = panel.locator(".customer-conv")
        expect(convs).to_have_count(2)
        expect(convs.locator(".channel-badge")).to_have_text(["Telegram"])
        expect(panel.locator(".customer-conv", has_text=s.web["name"])).to_have_count(1)
        expect(panel.locator(".customer-conv", has_text="telegram hello")).to_have_count(1)
        expect(panel.locator(".reach-option", has_text=s.telegram["name"])).to_be_visible()
    finally:
        context.close()


def test_an_agent_sees_the_suggestion_without_merge(setup: Setup, browser: Browser) -> None:
    s = setup
    customer = web_customer(s, f"陳小姐 {uuid.uuid4().hex[:4]}")
    twin = f"Chen TG {uuid.uuid4().hex[:4]}"
    telegram_twin(s, customer, twin)
    context, page = console(browser, s.server, AGENT)
    try:
        open_conversation(page, s, customer.web_conversation)
        suggestion = page.locator(".customer-panel .suggestion")
        expect(suggestion.locator(".suggest-other")).to_have_text(twin)
        expect(suggestion).to_contain_text(masked(customer.phone))
        expect(suggestion).to_contain_text("A supervisor or admin can merge them.")
        expect(suggestion.get_by_role("button")).to_have_count(0)
        # No list of every suggestion for agents on the contacts page either.
        page.goto(f"{s.server.base_url}/console/#/contacts")
        expect(page.locator(".contact-list")).to_be_visible()
        expect(page.locator(".suggest-card")).to_have_count(0)
    finally:
        context.close()


def test_an_agent_continues_a_web_customer_on_telegram(setup: Setup, browser: Browser) -> None:
    s = setup
    customer = web_customer(s, f"張先生 {uuid.uuid4().hex[:4]}")
    merged(s, telegram_twin(s, customer, f"Chang TG {uuid.uuid4().hex[:4]}"))
    with admin_http(s.server) as http:  # the Telegram chat was resolved long ago
        page_ = http.get(
            "/api/v1/conversations", params={"status": "all", "inbox_id": s.telegram["id"]}
        ).json()
        for conv in page_["items"]:
            if conv["contact"]["id"] == customer.contact:
                url = f"/api/v1/conversations/{conv['id']}/status"
                http.post(url, json={"status": "resolved"}).raise_for_status()
    context, page = console(browser, s.server, AGENT)
    try:
        open_conversation(page, s, customer.web_conversation)
        reach = page.locator(".customer-panel .reach")
        expect(reach.locator("h3")).to_have_text("Continue on another channel")
        option = reach.locator(".reach-option", has_text=s.telegram["name"])
        expect(option.locator(".channel-badge")).to_have_text("Telegram")
        option.click()
        text = f"We can continue here on Telegram {uuid.uuid4().hex[:6]}"
        reach.get_by_label("Message").fill(text)
        with page.expect_response(re.compile(r"/contacts/\d+/conversations$")) as answer:
            reach.get_by_role("button", name="Send").click()
        body = answer.value.json()
        assert answer.value.status == 201, body
        assert body["message"]["delivery_status"] == "queued"

        # The Telegram conversation opens; the queued message is sent by the worker.
        expect(page).to_have_url(re.compile(rf"#/conversations/{body['conversation']['id']}$"))
        expect(page.locator(".thread-title .channel-badge")).to_have_text("Telegram")
        mine = page.locator(".msg-outgoing", has_text=text)
        expect(mine.locator(".delivery")).to_have_attribute("data-delivery", "sent", timeout=LIVE)
        expect(page.locator(".thread-title .status-open")).to_be_visible()
    finally:
        context.close()


def test_a_closed_whatsapp_window_says_a_template_is_needed(setup: Setup, browser: Browser) -> None:
    s = setup
    customer = web_customer(s, f"黃小姐 {uuid.uuid4().hex[:4]}")
    # WhatsApp vouches for the number; the web contact's was only typed in: proposed.
    customer_writes(
        s.server,
        s.whatsapp,
        "whatsapp order question",
        user="886" + customer.phone.replace("-", "")[1:],
        name="Huang WA",
        verified_phone="886" + customer.phone.replace("-", "")[1:],
    )
    merged(s, pending_suggestion(s, customer))
    close_window(s.database_url, s.whatsapp["id"])
    context, page = console(browser, s.server, AGENT)
    try:
        open_conversation(page, s, customer.web_conversation)
        reach = page.locator(".customer-panel .reach")
        option = reach.locator(".reach-option", has_text=s.whatsapp["name"])
        expect(option.locator(".channel-badge")).to_have_text("WhatsApp")
        option.click()
        reach.get_by_label("Message").fill("a free-form follow-up")
        reach.get_by_role("button", name="Send").click()
        expect(reach.locator(".form-error")).to_contain_text(
            "WhatsApp: the customer has not written there in the last 24 hours"
        )
        expect(reach.locator(".form-error")).to_contain_text("An approved template is needed.")

        # The reply window's template picker, for the WhatsApp conversation.
        window = reach.locator(".reply-window.is-closed")
        expect(window).to_contain_text("only approved templates can be sent")
        window.get_by_role("button", name="Send a template").click()
        window.get_by_label("Parameter 1").fill("B-2002")
        window.get_by_label("Parameter 2").fill("7/1")
        window.get_by_role("button", name="Send template").click()
        expect(page.locator(".thread-title .channel-badge")).to_have_text("WhatsApp")
        sent = page.locator(".msg-outgoing", has_text="您的訂單 B-2002 已於 7/1 出貨")
        expect(sent.locator(".delivery")).to_have_attribute("data-delivery", "sent", timeout=LIVE)
    finally:
        context.close()
