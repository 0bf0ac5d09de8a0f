"""Files both ways in real Chromium: an agent sends an image from the console that the customer
sees in the widget (on another site), and the customer sends a file that the agent gets as a
download; refused files read as errors on both sides."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, FileChooser, Page, expect

from tests.attachments import samples
from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import agent_page, open_conversation

pytestmark = pytest.mark.e2e

TIMEOUT = 10_000
MEI = "mei@kefu.local"


def files_inbox(server: KefuServer, origin: str) -> tuple[int, str]:
    """An inbox for the shop's origin with Mei as its member: its id and widget key."""
    with httpx.Client(base_url=server.base_url, timeout=10) as admin:
        login = admin.post(
            "/api/v1/auth/login",
            json={"email": "admin@kefu.local", "password": server.password("admin@kefu.local")},
        )
        admin.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        mei = next(u["id"] for u in admin.get("/api/v1/users").json() if u["email"] == MEI)
        created = admin.post(
            "/api/v1/inboxes",
            json={"name": "Files shop", "locale": "en", "allowed_origins": [origin],
                  "member_ids": [mei]},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        return int(created.json()["id"]), str(created.json()["public_key"])


def widget_image_loaded(page: Page) -> None:
    """The agent's image is in the widget and actually decoded (not a broken image)."""
    page.wait_for_function(
        """() => {
          const img = document.querySelector("kefu-widget").shadowRoot.querySelector(".d img");
          return !!img && img.complete && img.naturalWidth > 0;
        }""",
        timeout=TIMEOUT,
    )


def test_files_both_ways(kefu_server: KefuServer, browser: Browser, shop_site: str) -> None:
    inbox_id, key = files_inbox(kefu_server, shop_site)
    # The admin sets the inbox's files: 2 MB, no ZIP archives.
    with agent_page(browser, kefu_server, "admin@kefu.local") as admin:
        admin.goto(f"{kefu_server.base_url}/console/#/attachments/{inbox_id}")
        admin.get_by_label("ZIP").uncheck()
        admin.locator("input[name=max_mb]").fill("2")
        admin.locator("form.form-card button[type=submit]").click()
        expect(admin.locator(".toast-ok")).to_be_visible(timeout=TIMEOUT)
    config = httpx.get(f"{kefu_server.base_url}/api/v1/widget/{key}/config").json()
    assert config["attachments"]["max_bytes"] == 2 * 1024 * 1024
    assert "application/zip" not in config["attachments"]["types"]

    shop = browser.new_context(locale="en-US").new_page()
    # Listening from the start: file chooser interception is on well before the button opens one.
    choosers: list[FileChooser] = []
    shop.on("filechooser", lambda chooser: choosers.append(chooser))
    shop.goto(f"{shop_site}/?inbox={key}")
    shop.get_by_role("button", name="Open chat").click()
    box = shop.get_by_role("textbox", name="Message")
    box.fill("files-e2e 你好")
    box.press("Enter")
    attach = shop.get_by_role("button", name="Send a file")
    expect(attach).to_be_visible(timeout=TIMEOUT)  # once the visitor has a conversation

    with agent_page(browser, kefu_server, MEI) as console:
        open_conversation(console, "files-e2e")
        # The agent pastes a screenshot into the composer, adds a line and sends (Enter).
        console.locator("#composer-input").evaluate(
            """(box, bytes) => {
              const data = new DataTransfer();
              const file = new File([new Uint8Array(bytes)], "photo.png", { type: "image/png" });
              data.items.add(file);
              box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data }));
            }""",
            list(samples.png(40, 30)),
        )
        expect(console.locator(".attach-chip")).to_have_text("photo.png1 KB×")
        console.locator("#composer-input").fill("這是照片")
        console.locator("#composer-input").press("Enter")
        sent = console.locator(".msg-outgoing", has_text="這是照片")
        expect(sent.locator("img[alt='photo.png']")).to_be_visible(timeout=TIMEOUT)
        expect(console.locator(".attach-chip")).to_have_count(0)

        # The customer sees it, loaded through its signed link from the shop's origin.
        widget_image_loaded(shop)
        expect(shop.locator("kefu-widget .t").last).to_have_text("這是照片")

        # The customer sends a PDF with the keyboard: the attach button opens the file chooser.
        attach.press("Enter")
        for _ in range(100):
            if choosers:
                break
            shop.wait_for_timeout(100)
        assert choosers, "the attach button opens the file chooser"
        choosers[0].set_files(
            files=[{"name": "報價單.pdf", "mimeType": "application/pdf", "buffer": samples.PDF}]
        )
        expect(shop.locator("kefu-widget a.o")).to_have_text("報價單.pdf · 1 KB", timeout=TIMEOUT)

        # The agent (Mei works in zh-TW) gets it live, as a download link with its name and size.
        link = console.locator("a.attachment-file")
        expect(link).to_contain_text("報價單.pdf", timeout=TIMEOUT)
        expect(link).to_contain_text("1 KB")
        with console.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == "報價單.pdf"
        expect(console.locator(".conv-item", has_text="[檔案] 報價單.pdf")).to_be_visible()

        # Refused files read as errors: an HTML page from the agent, an SVG from the customer.
        console.locator(".attach-input").set_input_files(
            files=[{"name": "page.html", "mimeType": "text/html", "buffer": samples.HTML}]
        )
        console.locator("#composer-input").press("Enter")
        expect(console.locator(".attach-error")).to_contain_text("HTML", timeout=TIMEOUT)
        shop.locator("kefu-widget input[type=file]").set_input_files(
            files=[{"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": samples.SVG}]
        )
        expect(shop.locator("kefu-widget .i .e")).to_contain_text("SVG", timeout=TIMEOUT)
    shop.context.close()
