"""The knowledge base in real Chromium: the help centre in zh-TW finds an article written with
Traditional characters from a Simplified-Chinese search, without a line of script (its CSP
allows none), and the widget's search box finds the article and links to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect

from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import DESKTOP, log_in

pytestmark = [pytest.mark.e2e]
TIMEOUT = 8_000
SLUG = "e2e-account-security"
TITLE = "會員帳號的安全設定"


@pytest.fixture(scope="module")
def article(kefu_server: KefuServer) -> Iterator[dict[str, Any]]:
    """A published article, written by the demo admin through the API."""
    admin = next(e for e, (role, _) in kefu_server.logins.items() if role == "admin")
    with httpx.Client(base_url=kefu_server.base_url, timeout=10) as http:
        login = http.post(
            "/api/v1/auth/login", json={"email": admin, "password": kefu_server.password(admin)}
        )
        assert login.status_code == 200, login.text
        http.headers["x-csrf-token"] = login.json()["csrf_token"]
        created = http.post(
            "/api/v1/kb/articles",
            json={
                "slug": SLUG,
                "status": "published",
                "locales": {
                    "zh-TW": {
                        "title": TITLE,
                        "body": "開啟**兩步驟驗證**可以保護您的帳號。\n\n<script>alert(1)</script>",
                    },
                    "en": {
                        "title": "Securing your member account",
                        "body": "Turn on two-step verification to protect your account.",
                    },
                },
            },
        )
        assert created.status_code == 201, created.text
        yield dict(created.json())


def test_help_centre_renders_and_searches_in_chinese(
    browser: Browser, kefu_server: KefuServer, article: dict[str, Any]
) -> None:
    context = browser.new_context(locale="zh-TW")
    page = context.new_page()
    problems: list[str] = []
    # CSP violations and failed loads (the browser's own favicon request aside).
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("dialog", lambda d: problems.append(f"dialog {d.message}"))
    page.goto(f"{kefu_server.base_url}/help")
    assert page.url == f"{kefu_server.base_url}/help/zh-TW/"
    expect(page).to_have_title("幫助中心")
    expect(page.locator("html")).to_have_attribute("lang", "zh-TW")
    # The demo knowledge base is there on first start.
    expect(page.locator(".card")).not_to_have_count(0)

    box = page.get_by_role("searchbox", name="搜尋常見問題")
    box.fill("账号 安全")  # Simplified spelling of the article's Traditional words
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("「账号 安全」的搜尋結果")
    result = page.get_by_role("link", name=TITLE)
    expect(result).to_have_attribute("href", f"/help/zh-TW/articles/{SLUG}")
    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".body strong")).to_have_text("兩步驟驗證")
    expect(page.locator(".body")).to_contain_text("<script>alert(1)</script>")  # as text

    # Switching language keeps the article; voting needs no script.
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Securing your member account")
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("status")).to_have_text("Thanks for your feedback!")
    assert page.url.endswith(f"/help/en/articles/{SLUG}#helpful")
    assert problems == []
    context.close()


def test_widget_search_box_finds_an_article_and_links_to_it(
    browser: Browser, kefu_server: KefuServer, article: dict[str, Any], shop_site: str
) -> None:
    context = browser.new_context(locale="zh-TW")
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    # The demo page is on kefu's own origin; the search is public (CORS *), so the widget works
    # the same on a customer's site.
    page.goto(f"{kefu_server.base_url}/demo")
    page.get_by_role("button", name="開啟客服對話").click()
    search = page.get_by_role("searchbox", name="搜尋常見問題")
    expect(search).to_be_visible()
    search.click()
    page.keyboard.type("账号安全")
    link = page.locator("kefu-widget .h a").filter(has_text=TITLE)
    expect(link).to_have_count(1, timeout=TIMEOUT)
    expect(link).to_have_attribute("href", f"{kefu_server.base_url}/help/zh-TW/articles/{SLUG}")
    expect(link).to_have_attribute("target", "_blank")
    expect(link.locator("span")).to_contain_text("兩步驟驗證")
    # Keyboard: from the search box, Tab reaches the first result; Enter opens a new tab.
    search.focus()
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    with context.expect_page() as popup_info:
        page.keyboard.press("Enter")
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.get_by_role("heading", level=1)).to_have_text(TITLE)
    popup.close()
    # Nothing found reads as such.
    search.fill("zzzqqq")
    expect(page.locator("kefu-widget .h p")).to_have_text("找不到相關文章", timeout=TIMEOUT)
    # Once the visitor starts a chat, the search box makes room for the conversation.
    page.get_by_role("textbox", name="訊息").fill("你好")
    page.get_by_role("button", name="傳送", exact=True).click()
    expect(search).to_be_hidden(timeout=TIMEOUT)
    assert errors == []
    context.close()


def test_console_knowledge_base_editor(browser: Browser, kefu_server: KefuServer) -> None:
    """An admin (whose console is in zh-TW) writes an article, previews it as the help centre
    renders it, publishes it and adds a Q&A pair; an agent reads it without edit controls."""
    admin = next(e for e, (role, _) in kefu_server.logins.items() if role == "admin")
    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    # Script errors and CSP violations (the boot's 401 before logging in is expected).
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.goto(f"{kefu_server.base_url}/console/")
    log_in(page, kefu_server, admin)
    page.get_by_role("link", name="知識庫").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("知識庫")
    page.get_by_role("link", name="新增文章").click()
    page.get_by_label("網址代稱").fill("console-made")
    english = page.locator("fieldset[lang=en]")
    english.get_by_label("標題").fill("Gift wrapping <b>free</b>")
    english.get_by_label("內文(Markdown)").fill(
        "We wrap **every** gift. <img src=x onerror=alert(1)>"
    )
    page.get_by_role("button", name="建立").click()
    expect(page.get_by_role("heading", name="編輯文章 /console-made")).to_be_visible()
    english.get_by_role("button", name="預覽(English)").click()
    frame = page.frame_locator("iframe[title='預覽(English)']")
    expect(frame.locator("strong")).to_have_text("every")
    expect(frame.locator("body")).to_contain_text("<img src=x onerror=alert(1)>")
    page.get_by_role("button", name="發布").click()
    expect(page.get_by_role("link", name="在幫助中心開啟(en)")).to_have_attribute(
        "href", "/help/en/articles/console-made"
    )
    public = httpx.get(f"{kefu_server.base_url}/help/en/articles/console-made")
    assert public.status_code == 200 and "Gift wrapping &lt;b&gt;free&lt;/b&gt;" in public.text

    page.get_by_role("link", name="問答組").click()
    page.get_by_role("textbox", name="問題", exact=True).fill("Do you wrap gifts?\nGift wrap?")
    page.get_by_role("textbox", name="答案", exact=True).fill("Yes, for free.")
    page.get_by_role("button", name="建立").click()
    expect(page.locator(".kb-pair").filter(has_text="Do you wrap gifts?")).to_contain_text(
        "Gift wrap?"
    )
    context.close()

    agent = "alex@kefu.local"  # the demo agent whose console is in English
    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{kefu_server.base_url}/console/#/kb")
    log_in(page, kefu_server, agent)
    page.goto(f"{kefu_server.base_url}/console/#/kb")
    made = page.locator('.kb-article[data-slug="console-made"]')  # the demo KB has its own
    expect(made).to_contain_text("Gift wrapping")
    expect(page.get_by_role("link", name="New article")).to_have_count(0)
    made.locator("a").click()
    expect(page.locator("fieldset[lang=en]").get_by_label("Title")).to_be_disabled()
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    context.close()
    assert errors == []
