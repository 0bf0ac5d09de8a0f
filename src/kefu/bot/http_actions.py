"""Calling an admin-configured HTTP action (order status at the company's own system) with a
signed request and a timeout, and filling the answer template from its JSON response.

Interface fixed for the bot engine; the implementation is being written (issue 7)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from kefu.bot.models import BotAction


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool  # True: `text` is the answer for the customer
    text: str | None = None  # the filled answer (or not-found) template
    not_found: bool = False  # the service said the value matches nothing (HTTP 404)
    error: str | None = None  # for the log and the handoff note; never shown to the customer


async def run_action(
    http: httpx.AsyncClient,
    action: BotAction,
    value: str,
    *,
    secret: str | None,
    locale: str,
    allow_private_urls: bool,
) -> ActionResult:
    raise NotImplementedError
