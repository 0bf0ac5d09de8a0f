"""Browser tests: a real `kefu serve` process (its demo workspace) and Debian's Chromium.

Without /usr/bin/chromium these tests skip with a message; under CI=true they fail instead.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import PG_URL, free_port, reset_pg
from tests.demo_inbox import quiet_demo_inboxes

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class KefuServer:
    base_url: str
    data_dir: Path
    logins: dict[str, tuple[str, str]]  # email -> (role, password)
    inbox_key: str
    process: subprocess.Popen[bytes]

    def password(self, email: str) -> str:
        return self.logins[email][1]


def _truncate(url: str) -> None:
    """The PostgreSQL test database back to its freshly migrated state (tests.conftest)."""
    # In a thread: sync Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, reset_pg(url)).result()


def start_server(
    data_dir: Path, database_url: str, port: int, *, demo_history: bool = False
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_DATABASE_URL": database_url,
        "KEFU_REDIS_URL": "",
        "KEFU_SECRET_KEY": "e2e-secret-" + "k" * 32,
        "KEFU_DEMO": "true",
        # The demo's weeks of history (kefu/demo_history.py) when the module says
        # DEMO_HISTORY = True: it costs seconds of start-up, so only the modules that read
        # reports (or fuzz them with data) have it.
        "KEFU_DEMO_HISTORY": "true" if demo_history else "false",
        # Bot actions call local fake services (tests/bot/fake_services.py) on 127.0.0.1.
        "KEFU_CHANNEL_ALLOW_PRIVATE_URLS": "true",
    }
    with open(data_dir / "server.log", "ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "kefu.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kefu exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"kefu did not start: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def kefu_server(
    migrated_template: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[KefuServer]:
    data_dir = tmp_path_factory.mktemp("e2e")
    if PG_URL:
        _truncate(PG_URL)
        database_url = PG_URL
    else:
        # Already migrated: the server only creates its demo workspace (~1 s less a module).
        shutil.copy(migrated_template, data_dir / "kefu.db")
        database_url = f"sqlite+aiosqlite:///{data_dir / 'kefu.db'}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    history = bool(getattr(request.module, "DEMO_HISTORY", False))
    process = start_server(data_dir, database_url, port, demo_history=history)
    try:
        wait_healthy(base_url, process, data_dir / "server.log")
        logins = {}
        for line in (data_dir / "demo-logins.txt").read_text().splitlines():
            role, email, password = line.split("\t")
            logins[email] = (role, password)
        admin = next(email for email, (role, _) in logins.items() if role == "admin")
        quiet_demo_inboxes(base_url, admin, logins[admin][1])
        demo = httpx.get(f"{base_url}/demo").text
        match = re.search(r'data-inbox="([^"]+)"', demo)
        assert match, "demo page carries the widget snippet"
        yield KefuServer(base_url, data_dir, logins, match.group(1), process)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: sync Playwright runs an event loop in the main thread while it is started,
    which would break the async tests collected after the browser tests."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shop_site(kefu_server: KefuServer) -> Iterator[str]:
    """A customer's site on another origin, embedding the widget of the inbox in ?inbox=;
    with `&user=…&name=…&email=…&hash=…` it is the page of a logged-in user.

    Served for real from loopback: Chromium refuses a page it considers public (e.g. one faked
    with page.route) loading scripts from 127.0.0.1 (Private Network Access)."""
    base = kefu_server.base_url

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            attrs = f'data-inbox="{html.escape(query.get("inbox", ""))}"'
            # A logged-in user's page carries the identity its server computed (contacts).
            for name in ("user", "name", "email", "hash"):
                if name in query:
                    attr = "id" if name == "user" else name
                    attrs += f' data-user-{attr}="{html.escape(query[name])}"'
            body = (
                "<!doctype html><title>shop</title><p>shop</p>"
                f'<script src="{base}/widget.js" {attrs} async></script>'
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # "localhost", not 127.0.0.1: another origin than kefu's, in the same (loopback) space.
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()
