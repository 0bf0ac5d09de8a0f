"""Calling an admin-configured HTTP action (order status at the company's own system) with a
signed request and a timeout, and filling the answer template from its JSON response.

The customer's value only ever travels in the JSON body (never in the URL), after matching the
action's pattern again; the request is signed (docs/bot-actions.md shows how to verify it);
redirects are not followed, responses are capped, and the host must be public unless private
URLs are allowed (KEFU_CHANNEL_ALLOW_PRIVATE_URLS). Templates are filled by plain placeholder
lookup in the JSON, never by `str.format` or evaluation."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import re
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from kefu.auth.sealing import SecretBox
from kefu.bot.models import BotAction
from kefu.channels.settings import check_outbound_url
from kefu.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
MAX_VALUE_LENGTH = 64
MAX_FIELD_CHARS = 500
MAX_ANSWER_CHARS = 2000
SIGNATURE_HEADER = "X-Kefu-Signature"
TIMESTAMP_HEADER = "X-Kefu-Timestamp"

# {{order.status}}, {{items.0.name}}: names and indexes only; nothing else is a placeholder.
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)\s*\}\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool  # True: `text` is the answer for the customer
    text: str | None = None  # the filled answer (or not-found) template
    not_found: bool = False  # the service said the value matches nothing (HTTP 404)
    error: str | None = None  # for the log and the handoff note; never shown to the customer


class UnsafeUrl(Exception):
    """The URL (or what its host resolves to) is not a public address."""


def seal_action_secret(box: SecretBox, secret: str | None) -> str | None:
    """The signing secret as stored in BotAction.secret (sealed; None: requests go unsigned)."""
    return box.seal(secret) if secret else None


def open_action_secret(box: SecretBox, action: BotAction) -> str | None:
    """The action's signing secret for run_action; None when unset or sealed under another
    KEFU_SECRET_KEY (then the request goes unsigned and the company's server refuses it)."""
    return box.open(action.secret) if action.secret else None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Kefu-Signature value: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def value_is_valid(action: BotAction, value: str) -> bool:
    """The customer's value must match the action's whole pattern (and be short)."""
    if not value or len(value) > MAX_VALUE_LENGTH:
        return False
    try:
        return re.fullmatch(action.param_pattern, value) is not None
    except re.error:
        return False


def pick_template(templates: dict[str, str], locale: str) -> str | None:
    """The template for the locale, else the English one, else any."""
    for key in (locale, "en"):
        if templates.get(key):
            return templates[key]
    return next((text for text in templates.values() if text), None)


def fill_template(template: str, data: Any) -> str:
    """Replace each {{path.to.field}} with that value of `data` as plain text (missing: "")."""

    def replace(match: re.Match[str]) -> str:
        return _plain(_lookup(data, match.group(1).split(".")))

    filled = _PLACEHOLDER.sub(replace, template)
    return filled[:MAX_ANSWER_CHARS]


def _lookup(data: Any, path: list[str]) -> Any:
    current = data
    for part in path:
        if isinstance(current, dict):
            if part not in current:
                return None
            current = current[part]
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            if index >= len(current):
                return None
            current = current[index]
        else:
            return None
    return current


def _plain(value: Any) -> str:
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float, str)):
        text = str(value)
    elif isinstance(value, list):
        text = ", ".join(_plain(item) for item in value if not isinstance(item, (dict, list)))
    else:  # JSON holds nothing else
        return ""
    return _CONTROL.sub("", text)[:MAX_FIELD_CHARS]


async def check_public_host(url: str) -> None:
    """Resolve the URL's host and refuse it when any address is not global (private, loopback,
    link-local such as 169.254.169.254): a public name can point anywhere. A name that
    re-resolves differently between this check and the connection (DNS rebinding) is not
    caught here; docs/bot-actions.md says so."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeUrl(f"cannot resolve {host!r}: {exc}") from exc
    if not infos:
        raise UnsafeUrl(f"{host!r} resolves to nothing")
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise UnsafeUrl(f"{host!r} resolves to a non-public address ({address})")


async def check_url(url: str, *, allow_private_urls: bool) -> None:
    """Both checks a call makes before it leaves: the URL's form and, unless private URLs are
    allowed, what its host resolves to. Raises UnsafeUrl."""
    try:
        check_outbound_url(url, allow_private=allow_private_urls)
    except InvalidInput as exc:
        raise UnsafeUrl(str(exc)) from exc
    if not allow_private_urls:
        await check_public_host(url)


async def run_action(
    http: httpx.AsyncClient,
    action: BotAction,
    value: str,
    *,
    secret: str | None,
    locale: str,
    allow_private_urls: bool,
) -> ActionResult:
    if not value_is_valid(action, value):
        return ActionResult(ok=False, error="the value does not match the action's pattern")
    try:
        await check_url(action.url, allow_private_urls=allow_private_urls)
    except UnsafeUrl as exc:
        log.warning("bot action %s refused: %s", action.key, exc)
        return ActionResult(ok=False, error=f"refused URL: {exc}")

    timestamp = str(int(time.time()))
    body = orjson.dumps(
        {"action": action.key, "value": value, "locale": locale, "timestamp": int(timestamp)}
    )
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": "kefu-bot-action",
        # Uncompressed, so the size cap counts what is parsed (no decompression bomb).
        "Accept-Encoding": "identity",
        TIMESTAMP_HEADER: timestamp,
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    timeout = max(0.1, min(float(action.timeout_seconds or 5.0), MAX_TIMEOUT_SECONDS))
    try:
        # The overall deadline also bounds a server that trickles its answer byte by byte.
        async with asyncio.timeout(timeout):
            status, payload = await post_capped(
                http, action.url, body, headers, timeout, MAX_RESPONSE_BYTES
            )
    except (TimeoutError, httpx.TimeoutException):
        return _failed(action, f"timed out after {timeout:g} s")
    except ResponseTooLarge:
        return _failed(action, f"response larger than {MAX_RESPONSE_BYTES} bytes")
    except httpx.HTTPError as exc:
        return _failed(action, f"request failed: {type(exc).__name__}: {exc}")

    if status == 404:
        template = pick_template(action.not_found_templates, locale)
        if template is None:
            return ActionResult(ok=False, not_found=True, error="no not-found template")
        return ActionResult(ok=True, not_found=True, text=fill_template(template, _json(payload)))
    if not 200 <= status < 300:
        return _failed(action, f"HTTP {status}")
    data = _json(payload)
    if data is None:
        return _failed(action, "the response is not JSON")
    template = pick_template(action.answer_templates, locale)
    if template is None:
        return _failed(action, "no answer template")
    text = fill_template(template, data).strip()
    if not text:
        return _failed(action, "the filled answer is empty")
    return ActionResult(ok=True, text=text)


class ResponseTooLarge(Exception):
    pass


async def post_capped(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    seconds: float,
    limit: int,
) -> tuple[int, bytes]:
    """POST without following redirects; the status and body, or ResponseTooLarge past
    `limit` bytes (read as it streams in, so a huge answer is never held whole)."""
    request = http.build_request("POST", url, content=body, headers=headers, timeout=seconds)
    response = await http.send(request, stream=True, follow_redirects=False)
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ResponseTooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge
            chunks.append(chunk)
        return response.status_code, b"".join(chunks)
    finally:
        await response.aclose()


def _json(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None


def _failed(action: BotAction, error: str) -> ActionResult:
    log.warning("bot action %s failed: %s", action.key, error)
    return ActionResult(ok=False, error=error)
