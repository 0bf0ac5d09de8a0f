"""In real Chromium: the agent resolves a conversation in the console, the survey appears in the
visitor's widget live (and again after a reload, while unanswered), the visitor rates it 5 with
a comment and answers NPS, and the agent sees the rating in the conversation and its panel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import KefuServer

pytestmark = [pytest.mark.e2e]

TIMEOUT = 8_000
AGENT = "alex@kefu.local"  # English console


def admin_turns_on_nps(server: KefuServer, browser: Browser) -> None:
    """In the console's inbox settings (the admin's console is in zh-TW)."""
    admin = next(e for e, (role, _) in server.logins.items() if role == "admin")
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{server.base_url}/console/#/inboxes")
    page.locator("input[name=email]").fill(admin)
    page.locator("input[name=password]").fill(server.password(admin))
    page.locator("form.login-card button[type=submit]").click()
    page.locator("li[data-inbox] button[aria-label^='編輯']").first.click()
    card = page.locator("form.survey-settings")
    expect(card.locator("input[name=csat_enabled]")).to_be_checked(timeout=TIMEOUT)
    nps = card.get_by_label("同時詢問客戶推薦我們的意願(NPS,0–10 分)")
    expect(nps).not_to_be_checked()
    nps.check()
    card.get_by_role("button", name="儲存").click()
    expect(page.get_by_text("問卷設定已儲存。")).to_be_visible(timeout=TIMEOUT)
    context.close()


def test_the_visitor_rates_a_resolved_conversation_and_the_agent_sees_it(
    kefu_server: KefuServer, browser: Browser
) -> None:
    admin_turns_on_nps(kefu_server, browser)
    marker = f"Where is my parcel? {uuid.uuid4().hex[:6]}"
    comment = "Quick and friendly <b>thanks</b>"

    visitor = browser.new_context(
        locale="en-US", viewport={"width": 1280, "height": 800}, timezone_id="Asia/Taipei"
    )
    widget = visitor.new_page()
    widget.goto(f"{kefu_server.base_url}/demo")
    widget.get_by_role("button", name="Open chat").click()
    widget.get_by_role("textbox", name="Message").fill(marker)
    widget.get_by_role("button", name="Send", exact=True).click()
    expect(widget.locator("kefu-widget .me:not(.q) .t", has_text=marker)).to_be_visible(
        timeout=TIMEOUT
    )

    # The widget reported the browser's timezone (once per visitor).
    widget.wait_for_function(
        "key => (JSON.parse(localStorage.getItem('kefu:' + key)) || {}).z === 'Asia/Taipei'",
        arg=kefu_server.inbox_key,
    )

    agent = browser.new_context(
        locale="en-US", viewport={"width": 1280, "height": 800}, timezone_id="Europe/Paris"
    )
    console = agent.new_page()
    console.goto(f"{kefu_server.base_url}/console/")
    console.locator("input[name=email]").fill(AGENT)
    console.locator("input[name=password]").fill(kefu_server.password(AGENT))
    console.locator("form.login-card button[type=submit]").click()
    item = console.locator(".conv-item", has_text=marker)
    expect(item).to_be_visible(timeout=TIMEOUT)
    item.click()
    expect(console.locator(".thread .messages")).to_be_visible()
    conversation_id = int(console.url.rsplit("/", 1)[1])

    # A follow-up scheduled for tomorrow 09:00 in the customer's time, shown with the agent's.
    console.locator("[data-action=schedule]").click()
    dialog = console.get_by_role("dialog")
    expect(dialog.get_by_label("Customer's time (Asia/Taipei)")).to_be_checked()
    dialog.get_by_label("Message to the customer").fill("Checking in: did the parcel arrive?")
    dialog.get_by_role("button", name="Tomorrow 09:00").click()
    expect(dialog.get_by_role("status")).to_contain_text("09:00 AM (Asia/Taipei)")
    expect(dialog.get_by_role("status")).to_contain_text("(Europe/Paris)")
    dialog.get_by_role("button", name="Schedule", exact=True).click()
    strip = console.locator(".scheduled-item")
    expect(strip).to_contain_text("09:00 AM (Asia/Taipei)")
    expect(strip).to_contain_text("Checking in: did the parcel arrive?")
    taipei = ZoneInfo("Asia/Taipei")
    tomorrow = datetime.now(taipei).date() + timedelta(days=1)
    expected = datetime.combine(tomorrow, time(9, 0), taipei).astimezone(UTC)
    listing = console.evaluate(
        "id => fetch(`/api/v1/conversations/${id}/scheduled-messages`).then(r => r.json())",
        conversation_id,
    )
    assert listing["contact_timezone"] == "Asia/Taipei"
    assert datetime.fromisoformat(listing["items"][0]["send_at"]) == expected

    if console.locator("[data-action=assign-me]").count():
        console.locator("[data-action=assign-me]").click()  # the rating counts for its agent
        expect(console.locator("#assignee-select option:checked")).to_have_text("Alex Chen")
    console.get_by_role("button", name="Resolve").click()
    expect(console.locator(".thread-head .pill.status-resolved")).to_be_visible(timeout=TIMEOUT)

    # Live: the survey appears in the open widget as soon as the conversation is resolved.
    question = widget.get_by_text("How would you rate this conversation?")
    expect(question).to_be_visible(timeout=TIMEOUT)
    # Not answered yet: a reload shows it again.
    widget.reload()
    widget.get_by_role("button", name="Open chat").click()
    expect(question).to_be_visible(timeout=TIMEOUT)

    five = widget.get_by_role("button", name="5 out of 5", exact=True)
    five.focus()
    widget.keyboard.press("Enter")  # keyboard works: buttons with names
    expect(five).to_have_attribute("aria-pressed", "true")
    widget.get_by_role("textbox", name="Anything to add? (optional)").fill(comment)
    widget.get_by_role("button", name="Send rating").click()
    nps = widget.get_by_text("How likely are you to recommend us to a friend or colleague?")
    expect(nps).to_be_visible(timeout=TIMEOUT)
    expect(widget.get_by_role("button", name="0 out of 10", exact=True)).to_be_focused()
    widget.get_by_role("button", name="9 out of 10", exact=True).click()
    expect(
        widget.get_by_role("status").filter(has_text="Thank you for your feedback!")
    ).to_be_visible(timeout=TIMEOUT)

    # The agent sees it live: activity lines with the comment (as text), and the side panel.
    line = console.locator(".msg-activity", has_text="The customer rated the conversation 5/5")
    expect(line).to_be_visible(timeout=TIMEOUT)
    expect(line.locator(".activity-note")).to_have_text(comment)
    expect(
        console.locator(".msg-activity", has_text="recommendation question: 9/10")
    ).to_be_visible(timeout=TIMEOUT)
    panel = console.locator(".survey-panel")
    expect(panel.locator(".rating[data-kind=csat] .rating-score")).to_have_text("5 of 5")
    expect(panel.locator(".rating[data-kind=csat] .rating-comment")).to_have_text(comment)
    expect(panel.locator(".rating[data-kind=nps] .rating-score")).to_have_text("9 of 10")
    expect(panel.locator(".rating[data-kind=csat]")).to_contain_text("Alex Chen")

    # Answered: after a reload the widget asks no more.
    widget.reload()
    widget.get_by_role("button", name="Open chat").click()
    expect(widget.get_by_role("textbox", name="Message")).to_be_visible()
    widget.wait_for_timeout(500)
    expect(question).to_have_count(0)
    agent.close()
    visitor.close()
