"""Bot HTTP actions against a local fake order service over real HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from kefu.auth.sealing import SecretBox
from kefu.bot import http_actions
from kefu.bot.http_actions import fill_template, run_action, sign
from kefu.bot.models import BotAction
from tests.bot.fake_services import ORDER_SECRET, FakeOrderService, verify_kefu_signature
from tests.channels.provider_server import serve_asgi

ORDERS = {
    "A12345": {
        "status": "shipped",
        "eta": "2026-12-01",
        "items": [{"name": "Teapot", "qty": 1}, {"name": "Cups", "qty": 4}],
        "tracking": {"carrier": "黑貓", "number": "9988"},
    }
}


def make_action(url: str, **changes: Any) -> BotAction:
    values: dict[str, Any] = {
        "key": "order_status",
        "names": {"en": "Order status"},
        "triggers": ["order status"],
        "prompts": {"en": "Your order number?"},
        "param_pattern": r"[A-Z][0-9]{5}",
        "url": url,
        "timeout_seconds": 2.0,
        "answer_templates": {
            "en": "Order is {{status}}, arriving {{eta}}; first item {{items.0.name}}.",
            "zh-TW": "訂單狀態：{{status}}，由{{tracking.carrier}}配送。",
        },
        "not_found_templates": {"en": "We could not find that order.", "zh-TW": "查無此訂單。"},
        "enabled": True,
    }
    values.update(changes)
    return BotAction(**values)


@pytest.fixture
async def orders() -> AsyncIterator[tuple[FakeOrderService, str]]:
    service = FakeOrderService(orders=dict(ORDERS))
    async with serve_asgi(service.app()) as base:
        yield service, base


async def call(action: BotAction, value: str, **kw: Any) -> http_actions.ActionResult:
    options: dict[str, Any] = {"secret": ORDER_SECRET, "locale": "en", "allow_private_urls": True}
    options.update(kw)
    async with httpx.AsyncClient() as http:
        return await run_action(http, action, value, **options)


async def test_found_fills_the_template_and_signs(orders: tuple[FakeOrderService, str]) -> None:
    service, base = orders
    result = await call(make_action(base + "/orders/status"), "A12345")
    assert result.ok and not result.not_found and result.error is None
    assert result.text == "Order is shipped, arriving 2026-12-01; first item Teapot."
    [request] = service.requests
    assert request["verified"] is True  # the docs' verification snippet accepts it
    body = orjson.loads(request["body"])
    assert body["action"] == "order_status" and body["value"] == "A12345"
    assert body["locale"] == "en" and isinstance(body["timestamp"], int)
    assert request["query"] == ""  # the value is never in the URL
    timestamp = request["headers"]["x-kefu-timestamp"]
    assert request["headers"]["x-kefu-signature"] == sign(ORDER_SECRET, timestamp, request["body"])


async def test_locale_template(orders: tuple[FakeOrderService, str]) -> None:
    _, base = orders
    result = await call(make_action(base + "/orders/status"), "A12345", locale="zh-TW")
    assert result.text == "訂單狀態：shipped，由黑貓配送。"


async def test_wrong_secret_is_rejected_by_the_service(
    orders: tuple[FakeOrderService, str],
) -> None:
    service, base = orders
    result = await call(make_action(base + "/orders/status"), "A12345", secret="not-the-secret")
    assert not result.ok and result.error == "HTTP 401"
    assert service.requests[0]["verified"] is False


def test_verification_rejects_tampering_and_old_timestamps() -> None:
    body = b'{"value":"A12345"}'
    now = str(int(time.time()))
    good = {"X-Kefu-Timestamp": now, "X-Kefu-Signature": sign("s", now, body)}
    assert verify_kefu_signature("s", good, body)
    assert not verify_kefu_signature("s", good, body.replace(b"A1", b"B1"))
    assert not verify_kefu_signature("other", good, body)
    old = str(int(time.time()) - 3600)
    stale = {"X-Kefu-Timestamp": old, "X-Kefu-Signature": sign("s", old, body)}
    assert not verify_kefu_signature("s", stale, body)


async def test_not_found(orders: tuple[FakeOrderService, str]) -> None:
    _, base = orders
    result = await call(make_action(base + "/orders/status"), "B99999")
    assert result.ok and result.not_found
    assert result.text == "We could not find that order."
    zh = await call(make_action(base + "/orders/status"), "B99999", locale="zh-TW")
    assert zh.text == "查無此訂單。"


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("error", "HTTP 500"),
        ("not_json", "the response is not JSON"),
        ("huge", "response larger than 65536 bytes"),
        ("redirect", "HTTP 307"),
    ],
)
async def test_failures(orders: tuple[FakeOrderService, str], mode: str, error: str) -> None:
    service, base = orders
    service.mode = mode
    result = await call(make_action(base + "/orders/status"), "A12345")
    assert result == http_actions.ActionResult(ok=False, error=error)
    assert service.admin_hits == 0  # the redirect was not followed


async def test_timeout(orders: tuple[FakeOrderService, str]) -> None:
    service, base = orders
    service.mode = "slow"
    started = time.monotonic()
    result = await call(make_action(base + "/orders/status", timeout_seconds=0.3), "A12345")
    assert not result.ok and result.error is not None and "timed out" in result.error
    assert time.monotonic() - started < 2


async def test_timeout_is_capped_at_ten_seconds(
    orders: tuple[FakeOrderService, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base = orders
    seen: list[float] = []
    original = http_actions.post_capped

    async def spy(*args: Any) -> tuple[int, bytes]:
        seen.append(args[-2])
        return await original(*args)

    monkeypatch.setattr(http_actions, "post_capped", spy)
    await call(make_action(base + "/orders/status", timeout_seconds=120), "A12345")
    assert seen == [10.0]


async def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await call(make_action(f"http://127.0.0.1:{port}/orders/status"), "A12345")
    assert not result.ok and result.error is not None and "ConnectError" in result.error


@pytest.mark.parametrize(
    "value",
    [
        "http://169.254.169.254/",
        "../../admin",
        "A12345/../../admin",
        "A12345?x=1",
        "A1234",
        "",
        "A" + "1" * 100,
        "{{status}}",
    ],
)
async def test_values_outside_the_pattern_never_reach_the_service(
    orders: tuple[FakeOrderService, str], value: str
) -> None:
    service, base = orders
    result = await call(make_action(base + "/orders/status"), value)
    assert not result.ok and result.error == "the value does not match the action's pattern"
    assert service.requests == [] and service.admin_hits == 0


async def test_private_url_refused_without_the_flag(orders: tuple[FakeOrderService, str]) -> None:
    service, base = orders
    result = await call(make_action(base + "/orders/status"), "A12345", allow_private_urls=False)
    assert not result.ok and result.error is not None and result.error.startswith("refused URL")
    assert service.requests == []


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "10.0.0.5", "127.0.0.1", "::1", "fe80::1%eth0"]
)
async def test_public_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    async def fake_getaddrinfo(self: Any, host: str, port: int, **kw: Any) -> list[Any]:
        assert host == "orders.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr("asyncio.base_events.BaseEventLoop.getaddrinfo", fake_getaddrinfo)
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={})

    action = make_action("https://orders.example.com/status")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        result = await run_action(
            http, action, "A12345", secret="s", locale="en", allow_private_urls=False
        )
    assert not result.ok and result.error is not None and "non-public" in result.error
    assert requests == []


async def test_public_address_passes_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_getaddrinfo(self: Any, host: str, port: int, **kw: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr("asyncio.base_events.BaseEventLoop.getaddrinfo", fake_getaddrinfo)

    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "https://orders.example.com/status"
        return httpx.Response(200, json=ORDERS["A12345"])

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        result = await run_action(
            http,
            make_action("https://orders.example.com/status"),
            "A12345",
            secret="s",
            locale="en",
            allow_private_urls=False,
        )
    assert result.ok and result.text is not None and result.text.startswith("Order is shipped")


async def test_plain_http_is_refused_without_the_flag() -> None:
    action = make_action("http://orders.example.com/status")
    result = await call(action, "A12345", allow_private_urls=False)
    assert not result.ok and result.error is not None and "https" in result.error


def test_template_lookup() -> None:
    data = {
        "a": {"b": [10, {"c": "deep"}]},
        "flag": True,
        "none": None,
        "tags": ["x", "y", {"skip": 1}],
        "obj": {"k": "v"},
        "ctrl": "line\x00break\x1b[31m",
    }
    assert fill_template("{{a.b.0}}/{{a.b.1.c}}/{{ a.b.1.c }}", data) == "10/deep/deep"
    assert fill_template("{{flag}} {{none}}|{{tags}}|{{obj}}|{{missing.x}}", data) == (
        "true |x, y||"
    )
    assert fill_template("{{a.b.9}}{{a.b.x}}{{flag.x}}", data) == ""
    assert fill_template("{{ctrl}}", data) == "linebreak[31m"
    assert fill_template("{{a..b}} {a} {{}} {{a b}}", data) == "{{a..b}} {a} {{}} {{a b}}"


def test_template_tricks_do_nothing() -> None:
    data = {"name": "{{secret}}", "secret": "s3cr3t", "fmt": "{0.__class__}"}
    # Neither Python attributes nor format fields are reachable; values are not re-expanded.
    assert fill_template("{{__class__}}{{name.__class__}}{{__init__.__globals__}}", data) == ""
    assert fill_template("{0.__class__} {name!r} %(name)s", data) == (
        "{0.__class__} {name!r} %(name)s"
    )
    assert fill_template("{{name}}", data) == "{{secret}}"
    assert fill_template("{{fmt}}", data) == "{0.__class__}"
    assert fill_template("{{__class__.__name__}}", []) == ""
    assert fill_template("{{0.__class__}}", ["a"]) == ""


def test_template_truncation() -> None:
    data = {"long": "x" * 5000}
    assert fill_template("{{long}}", data) == "x" * 500
    assert len(fill_template("{{long}}" * 10, data)) == 2000


async def test_huge_field_is_truncated_in_the_answer(orders: tuple[FakeOrderService, str]) -> None:
    service, base = orders
    service.orders["A00001"] = {"status": "y" * 10_000}
    result = await call(
        make_action(base + "/orders/status", answer_templates={"en": "{{status}}"}), "A00001"
    )
    assert result.ok and result.text == "y" * 500


def test_secret_sealing_round_trip() -> None:
    box = SecretBox("k" * 40)
    sealed = http_actions.seal_action_secret(box, "shared-secret")
    assert sealed is not None and "shared-secret" not in sealed
    action = make_action("https://orders.example.com/status", secret=sealed)
    assert http_actions.open_action_secret(box, action) == "shared-secret"
    assert http_actions.open_action_secret(SecretBox("x" * 40), action) is None
    assert http_actions.seal_action_secret(box, None) is None
    assert http_actions.open_action_secret(box, make_action("https://x.example/")) is None
