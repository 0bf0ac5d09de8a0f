"""The website chat widget (widget.js) in real Chromium against a real `kefu serve`.

The visitor drives the widget on /demo; the agent side uses the REST API and a console WebSocket.
Every browser context is a new visitor (fresh localStorage), so each test has its own conversation.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, WebSocket, expect
from websockets.sync.client import connect as ws_connect

from kefu.web.pages import STATIC
from tests.e2e.conftest import KefuServer

pytestmark = [pytest.mark.e2e]

WIDGET_JS = STATIC / "widget" / "widget.js"
TIMEOUT = 8_000  # ms, for expect(); everything here happens on loopback


@dataclass
class AgentSide:
    http: httpx.Client
    token: str
    ws_url: str

    def find_conversation(self, marker: str) -> dict[str, Any]:
        """The conversation whose latest message contains `marker` (polls: delivery is async)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            page = self.http.get("/api/v1/conversations", params={"status": "all", "limit": 100})
            page.raise_for_status()
            for item in page.json()["items"]:
                if marker in item["last_message_preview"]:
                    return dict(item)
            time.sleep(0.1)
        raise AssertionError(f"no conversation with {marker!r}")

    def conversation(self, conversation_id: int) -> dict[str, Any]:
        r = self.http.get(f"/api/v1/conversations/{conversation_id}")
        r.raise_for_status()
        return dict(r.json())

    def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        r = self.http.get(
            f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 200}
        )
        r.raise_for_status()
        return list(r.json()["items"])

    def reply(self, conversation_id: int, text: str) -> dict[str, Any]:
        r = self.http.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": text})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def mark_read(self, conversation_id: int, seq: int) -> None:
        r = self.http.post(f"/api/v1/conversations/{conversation_id}/read", json={"seq": seq})
        assert r.status_code == 204, r.text


@pytest.fixture(scope="module")
def agent(kefu_server: KefuServer) -> Iterator[AgentSide]:
    """Mei, logged in once (cookie + CSRF), then working with an API token."""
    base = kefu_server.base_url
    with httpx.Client(base_url=base, timeout=10) as login:
        r = login.post(
            "/api/v1/auth/login",
            json={"email": "mei@kefu.local", "password": kefu_server.password("mei@kefu.local")},
        )
        assert r.status_code == 200, r.text
        r = login.post(
            "/api/v1/me/tokens",
            json={"name": "widget e2e"},
            headers={"X-CSRF-Token": r.json()["csrf_token"]},
        )
        assert r.status_code == 201, r.text
        token = r.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        yield AgentSide(http, token, base.replace("http", "ws", 1) + "/ws/console")


def open_demo(browser: Browser, server: KefuServer, locale: str = "en-US") -> Page:
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.goto(f"{server.base_url}/demo")
    return page


def open_chat(page: Page) -> Locator:
    """Open the widget by its launcher's accessible name; return the message box."""
    page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox", name="Message")
    expect(box).to_be_focused()
    return box


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def bubbles(page: Page) -> Locator:
    return page.locator("kefu-widget [role=log] .t")


def mine(page: Page) -> Locator:
    return page.locator("kefu-widget [role=log] .me .t")


def pending(page: Page) -> Locator:
    return page.locator("kefu-widget [role=log] .me.q")


def delivered(page: Page, text: str) -> None:
    """`text` is on screen as the visitor's message and no longer marked as sending."""
    expect(mine(page).filter(has_text=text)).to_have_count(1, timeout=TIMEOUT)
    expect(pending(page)).to_have_count(0, timeout=TIMEOUT)


def test_chat_with_an_agent_live(
    browser: Browser, kefu_server: KefuServer, agent: AgentSide
) -> None:
    page = open_demo(browser, kefu_server)
    open_chat(page)
    # The inbox greeting comes from GET config and is the first bubble.
    expect(bubbles(page).first).to_have_text("您好!有什麼可以幫您的嗎? Hi! How can we help?")
    text = "你好,我的訂單 order #A1 還沒到 📦🙂"
    send(page, text)
    delivered(page, text)

    conversation = agent.find_conversation("order #A1")
    incoming = [m for m in agent.messages(conversation["id"]) if m["kind"] == "incoming"]
    assert [m["text"] for m in incoming] == [text]

    typing = page.get_by_text("Agent is typing…")
    expect(typing).to_be_hidden()
    with ws_connect(
        agent.ws_url, additional_headers={"Authorization": f"Bearer {agent.token}"}
    ) as console:
        assert json.loads(console.recv(timeout=5))["type"] == "hello"
        # The visitor typing reaches the agent's console. Typing is ephemeral: the widget drops
        # it while its socket is still (re)connecting, so keep typing until one gets through.
        box = page.get_by_role("textbox", name="Message")
        event: dict[str, Any] = {}
        deadline = time.monotonic() + TIMEOUT / 1000
        while event.get("type") != "typing":
            assert time.monotonic() < deadline, "the visitor's typing never reached the console"
            box.press_sequentially("th")
            try:
                while event.get("type") != "typing":
                    event = json.loads(console.recv(timeout=1))
            except TimeoutError:
                box.fill("")  # then start typing again: a fresh "typing on"
                page.wait_for_timeout(2100)  # past the widget's 2 s typing throttle
        assert (event["conversation_id"], event["who"], event["on"]) == (
            conversation["id"],
            "contact",
            True,
        )
        # Agent typing over the console socket shows the indicator in the widget.
        console.send(
            json.dumps({"type": "typing", "conversation_id": conversation["id"], "on": True})
        )
        expect(typing).to_be_visible(timeout=TIMEOUT)

    # The agent reads the visitor's message: "Read" appears under it.
    receipt = page.locator("kefu-widget [role=log] .me").last.get_by_text("Read", exact=True)
    expect(receipt).to_have_count(0)
    agent.mark_read(conversation["id"], incoming[-1]["seq"])
    expect(receipt).to_be_visible(timeout=TIMEOUT)

    # The reply arrives live (no reload), with the agent's name, and ends the typing indicator.
    reply = agent.reply(conversation["id"], "您好 Mei here — 正在幫您查詢 🔍")
    expect(bubbles(page).last).to_have_text("您好 Mei here — 正在幫您查詢 🔍", timeout=TIMEOUT)
    expect(page.locator("kefu-widget [role=log] .m:not(.me) .n").last).to_have_text("王小美 Mei")
    expect(typing).to_be_hidden()

    # The chat is open and visible, so the widget tells the server the visitor read the reply.
    deadline = time.monotonic() + 5
    while agent.conversation(conversation["id"])["contact_last_read_seq"] < reply["seq"]:
        assert time.monotonic() < deadline, "the widget did not send a read mark"
        time.sleep(0.1)
    page.context.close()


def test_history_survives_reload_and_new_pages(
    browser: Browser, kefu_server: KefuServer, agent: AgentSide
) -> None:
    page = open_demo(browser, kefu_server)
    open_chat(page)
    send(page, "reload test 重新整理")
    delivered(page, "reload test 重新整理")
    conversation = agent.find_conversation("reload test")
    agent.reply(conversation["id"], "history reply 歷史")
    expect(bubbles(page).last).to_have_text("history reply 歷史", timeout=TIMEOUT)

    def history_shown(p: Page) -> None:
        open_chat(p)
        expect(mine(p)).to_have_text(["reload test 重新整理"], timeout=TIMEOUT)
        expect(bubbles(p).filter(has_text="history reply 歷史")).to_have_count(1)

    page.reload()
    history_shown(page)
    # A returning visitor is connected again: a new reply arrives live after the reload.
    agent.reply(conversation["id"], "after reload 之後")
    expect(bubbles(page).last).to_have_text("after reload 之後", timeout=TIMEOUT)

    other = page.context.new_page()
    other.goto(f"{kefu_server.base_url}/demo")
    history_shown(other)
    expect(bubbles(other).last).to_have_text("after reload 之後")
    page.context.close()


def incoming_texts(agent: AgentSide, conversation_id: int) -> list[str]:
    items = [m for m in agent.messages(conversation_id) if m["kind"] == "incoming"]
    assert [m["seq"] for m in items] == sorted(m["seq"] for m in items)
    return [m["text"] for m in items]


def test_offline_messages_are_queued_and_sent_once_in_order(
    browser: Browser, kefu_server: KefuServer, agent: AgentSide
) -> None:
    page = open_demo(browser, kefu_server)
    frames: list[tuple[str, dict[str, Any]]] = []  # both directions, every socket, in order

    def watch(ws: WebSocket) -> None:
        ws.on("framesent", lambda f: frames.append(("out", json.loads(f))))
        ws.on("framereceived", lambda f: frames.append(("in", json.loads(f))))

    page.on("websocket", watch)
    open_chat(page)
    send(page, "offline-1 first")
    delivered(page, "offline-1 first")
    conversation = agent.find_conversation("offline-1")

    page.context.set_offline(True)
    # The connection status; the queue line ([data-kefu-queue]) is a status region too.
    connection = page.get_by_role("status").and_(page.locator(":not([data-kefu-queue])"))
    expect(connection).to_contain_text("offline", timeout=TIMEOUT)
    queued = ["offline-1 二", "offline-1 三 🚀", "offline-1 four"]
    for text in queued:
        send(page, text)
    expect(pending(page)).to_have_count(3)
    expect(pending(page).first).to_contain_text("Sending…")
    stored = page.evaluate("Object.keys(localStorage).map(k => localStorage.getItem(k)).join()")
    assert all(json.dumps(t)[1:-1] in stored for t in ["offline-1 four"])
    assert incoming_texts(agent, conversation["id"]) == ["offline-1 first"]

    page.context.set_offline(False)
    expect(pending(page)).to_have_count(0, timeout=TIMEOUT)
    expect(connection).to_be_hidden()
    expect(mine(page)).to_have_text(["offline-1 first", *queued])
    assert incoming_texts(agent, conversation["id"]) == ["offline-1 first", *queued]
    # One at a time: each queued message goes out once, after the previous one's ack.
    sends = [
        (i, f) for i, (d, f) in enumerate(frames) if d == "out" and f["type"] == "message.send"
    ]
    assert [f["text"] for _, f in sends] == queued
    acks = {f["client_msg_id"]: i for i, (d, f) in enumerate(frames) if f["type"] == "ack"}
    for (_, previous), (index, _) in zip(sends, sends[1:], strict=False):
        assert acks[previous["client_msg_id"]] < index
    page.context.close()


def test_queued_messages_survive_closing_the_page(
    browser: Browser, kefu_server: KefuServer, agent: AgentSide
) -> None:
    page = open_demo(browser, kefu_server)
    context = page.context
    open_chat(page)
    send(page, "closed-1 before")
    delivered(page, "closed-1 before")
    conversation = agent.find_conversation("closed-1")

    context.set_offline(True)
    send(page, "closed-1 queued A")
    send(page, "closed-1 queued B")
    expect(pending(page)).to_have_count(2)
    page.close()
    context.set_offline(False)
    assert incoming_texts(agent, conversation["id"]) == ["closed-1 before"]

    # The next page view (chat still closed) finds the queue in localStorage and delivers it.
    page = context.new_page()
    page.goto(f"{kefu_server.base_url}/demo")
    deadline = time.monotonic() + 10
    while incoming_texts(agent, conversation["id"]) != [
        "closed-1 before",
        "closed-1 queued A",
        "closed-1 queued B",
    ]:
        assert time.monotonic() < deadline, incoming_texts(agent, conversation["id"])
        time.sleep(0.1)
    open_chat(page)
    expect(mine(page)).to_have_text(["closed-1 before", "closed-1 queued A", "closed-1 queued B"])
    expect(pending(page)).to_have_count(0)
    context.close()


def test_messages_render_as_text_not_html(
    browser: Browser, kefu_server: KefuServer, agent: AgentSide
) -> None:
    payload = "<img src=x onerror=alert(1)>"
    page = open_demo(browser, kefu_server)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    open_chat(page)
    send(page, "xss-1 " + payload)
    delivered(page, "xss-1")
    conversation = agent.find_conversation("xss-1")
    agent.reply(conversation["id"], payload)  # agent text is rendered as text too
    expect(bubbles(page).last).to_have_text(payload, timeout=TIMEOUT)
    expect(mine(page).last).to_have_text("xss-1 " + payload)
    images = "document.querySelector('kefu-widget').shadowRoot.querySelectorAll('img').length"
    assert page.evaluate(images) == 0
    assert page.locator("img").count() == 0
    assert dialogs == []
    page.context.close()


BUTTON_STYLE = """() => {
  const s = getComputedStyle(document.getElementById('host-button'));
  return [s.backgroundColor, s.color, s.fontFamily, s.borderRadius, s.padding, s.fontSize,
          s.fontWeight, s.height, s.boxSizing].join('|');
}"""


def test_shadow_dom_isolates_styles_both_ways(browser: Browser, kefu_server: KefuServer) -> None:
    color = httpx.get(f"{kefu_server.base_url}/api/v1/widget/{kefu_server.inbox_key}/config")
    r, g, b = (int(color.json()["color"][i : i + 2], 16) for i in (1, 3, 5))
    page = open_demo(browser, kefu_server)
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_have_css("background-color", f"rgb({r}, {g}, {b})", timeout=TIMEOUT)

    # Host page rules, even !important ones, do not reach inside the widget.
    page.add_style_tag(
        content="button{background:rgb(255,0,0)!important;border-radius:0!important}"
        "body{color:rgb(0,128,0);letter-spacing:9px;font-family:serif}"
    )
    expect(launcher).to_have_css("background-color", f"rgb({r}, {g}, {b})")
    expect(launcher).to_have_css("border-radius", "50%")
    open_chat(page)
    expect(page.locator("kefu-widget h2")).to_have_css("letter-spacing", "normal")
    expect(page.locator("kefu-widget h2")).not_to_have_css("font-family", "serif")

    # And the widget's CSS does not leak out: a host button looks the same without the widget.
    add_button = (
        "document.body.insertAdjacentHTML('beforeend', '<button id=host-button>b</button>')"
    )
    page.evaluate(add_button)
    with_widget = page.evaluate(BUTTON_STYLE)
    bare = page.context.new_page()
    bare.route("**/widget.js", lambda route: route.abort())
    bare.goto(f"{kefu_server.base_url}/demo")
    bare.add_style_tag(
        content="button{background:rgb(255,0,0)!important;border-radius:0!important}"
        "body{color:rgb(0,128,0);letter-spacing:9px;font-family:serif}"
    )
    bare.evaluate(add_button)
    assert bare.locator("kefu-widget").count() == 0
    assert bare.evaluate(BUTTON_STYLE) == with_widget
    assert with_widget.startswith("rgb(255, 0, 0)|")
    page.context.close()


def test_page_view_opens_no_websocket(browser: Browser, kefu_server: KefuServer) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sockets: list[WebSocket] = []
    api_calls: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws))
    page.on("request", lambda r: api_calls.append(r.url) if "/api/" in r.url else None)
    page.goto(f"{kefu_server.base_url}/demo")
    expect(page.get_by_role("button", name="Open chat")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert sockets == []
    assert [u.rsplit("/", 1)[-1] for u in api_calls] == ["config"]

    open_chat(page)
    page.wait_for_timeout(300)  # opening alone (no conversation yet) does not connect either
    assert sockets == []
    with page.expect_websocket(timeout=TIMEOUT) as opened:
        send(page, "ws-1 hello")
    assert "/ws/widget?inbox=" in opened.value.url
    delivered(page, "ws-1 hello")
    send(page, "ws-1 second")
    delivered(page, "ws-1 second")
    assert len(sockets) == 1
    context.close()


def test_keyboard_only(browser: Browser, kefu_server: KefuServer, agent: AgentSide) -> None:
    page = open_demo(browser, kefu_server)
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_be_visible()
    page.keyboard.press("Tab")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Message")
    expect(box).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    page.keyboard.type("kbd-1 line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    page.keyboard.press("Enter")
    expect(mine(page).last).to_have_text("kbd-1 line one\nline two", timeout=TIMEOUT)
    expect(box).to_have_value("")
    conversation = agent.find_conversation("kbd-1")
    assert incoming_texts(agent, conversation["id"]) == ["kbd-1 line one\nline two"]
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.context.close()


def test_invalid_stored_token_starts_a_fresh_conversation(
    browser: Browser, kefu_server: KefuServer, agent: AgentSide
) -> None:
    context = browser.new_context(locale="en-US")
    store = f"kefu:{kefu_server.inbox_key}"
    forged = json.dumps({"t": "forged-token", "c": "not-a-conversation", "q": []})
    context.add_init_script(
        f"if (!sessionStorage.seeded) {{ sessionStorage.seeded = 1;"
        f" localStorage.setItem({json.dumps(store)}, {json.dumps(forged)}); }}"
    )
    page = context.new_page()
    page.goto(f"{kefu_server.base_url}/demo")
    open_chat(page)
    send(page, "fresh-1 after a bad token")
    delivered(page, "fresh-1 after a bad token")
    conversation = agent.find_conversation("fresh-1")
    assert incoming_texts(agent, conversation["id"]) == ["fresh-1 after a bad token"]
    saved = json.loads(page.evaluate(f"localStorage.getItem({json.dumps(store)})"))
    assert saved["t"] not in (None, "forged-token") and saved["c"] != "not-a-conversation"
    context.close()


def test_embedded_on_another_site(
    browser: Browser, kefu_server: KefuServer, agent: AgentSide, shop_site: str
) -> None:
    """The customer's real setup: the page is on the shop's origin, kefu on its own."""
    base = kefu_server.base_url
    with httpx.Client(base_url=base, timeout=10) as admin:
        r = admin.post(
            "/api/v1/auth/login",
            json={
                "email": "admin@kefu.local",
                "password": kefu_server.password("admin@kefu.local"),
            },
        )
        admin.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        r = admin.get("/api/v1/users")
        assert r.status_code == 200, r.text
        mei_id = next(u["id"] for u in r.json() if u["email"] == "mei@kefu.local")
        r = admin.post(
            "/api/v1/inboxes",
            json={
                "name": "Shop <b>chat</b>",
                "greeting": "Welcome to the shop",
                "color": "#0a7d38",
                "locale": "en",
                "allowed_origins": [shop_site],
                "member_ids": [mei_id],
            },
        )
        assert r.status_code == 201, r.text
        key = r.json()["public_key"]

    def shop(origin: str) -> Page:
        page = browser.new_context(locale="en-US").new_page()
        page.goto(f"{origin}/?inbox={key}")
        return page

    page = shop(shop_site)
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_have_css("background-color", "rgb(10, 125, 56)", timeout=TIMEOUT)
    open_chat(page)
    expect(page.get_by_role("heading")).to_have_text("Shop <b>chat</b>")
    expect(bubbles(page).first).to_have_text("Welcome to the shop")
    send(page, "shop-1 cross origin")
    delivered(page, "shop-1 cross origin")
    send(page, "shop-1 over the socket")  # the WebSocket's Origin check passes too
    delivered(page, "shop-1 over the socket")
    conversation = agent.find_conversation("shop-1")
    assert incoming_texts(agent, conversation["id"]) == [
        "shop-1 cross origin",
        "shop-1 over the socket",
    ]
    agent.reply(conversation["id"], "shop reply")
    expect(bubbles(page).last).to_have_text("shop reply", timeout=TIMEOUT)
    page.reload()
    open_chat(page)  # the session (GET with X-Kefu-Visitor) passes CORS too
    expect(mine(page)).to_have_count(2, timeout=TIMEOUT)
    page.context.close()

    # A site that is not allowed gets no widget at all.
    other = shop(shop_site.replace("localhost", "127.0.0.1"))
    expect(other.locator("kefu-widget")).to_have_count(0, timeout=TIMEOUT)
    other.context.close()


def test_widget_script_is_small_and_classic() -> None:
    source = WIDGET_JS.read_bytes()
    assert len(gzip.compress(source, compresslevel=9)) < 20_480
    text = source.decode()
    assert text.lstrip().startswith("/*") and "(function () {" in text
    assert "import " not in text and "export " not in text and "innerHTML" not in text


def test_chinese_locale_and_phone_layout(browser: Browser, kefu_server: KefuServer) -> None:
    context = browser.new_context(locale="zh-TW", viewport={"width": 375, "height": 700})
    page = context.new_page()
    page.goto(f"{kefu_server.base_url}/demo")
    page.get_by_role("button", name="開啟客服對話").click()
    expect(page.get_by_role("textbox", name="訊息")).to_be_focused()
    expect(page.get_by_role("textbox", name="訊息")).to_have_attribute("placeholder", "輸入訊息…")
    expect(page.get_by_role("button", name="傳送", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="官網客服 Website")).to_be_visible()
    log = page.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")
    # Below 480 px the panel takes the whole screen.
    box = page.get_by_role("dialog").bounding_box()
    assert box is not None and box["width"] == 375 and box["height"] == 700
    context.close()


def test_data_locale_overrides_the_browser(browser: Browser, kefu_server: KefuServer) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    url = f"{kefu_server.base_url}/shop"
    snippet = f'<script src="/widget.js" data-inbox="{kefu_server.inbox_key}" data-locale="zh-TW"'
    body = f"<!doctype html><title>shop</title><p>shop</p>{snippet} async></script>"
    page.route(url, lambda route: route.fulfill(body=body, content_type="text/html"))
    page.goto(url)
    expect(page.get_by_role("button", name="開啟客服對話")).to_be_visible()
    context.close()
