"""Handlers by job kind. A domain registers its handlers at import time:

    @job_handler("transcript.email")
    async def send_transcript(ctx: JobContext, payload: dict[str, Any]) -> None: ...

A handler returns normally when the job is done, and raises to have it retried (with backoff)
until it is dead-lettered. It must be idempotent: a job can run more than once (a runner that
died after the work but before recording it). `on_dead` runs once when a job is given up, so
the domain can record the failure (a scheduled message marked failed, a send marked undelivered).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from kefu.config import Settings
from kefu.db import Database
from kefu.storage import Storage


class RetryLater(Exception):
    """Raised by a handler to be retried after `delay` seconds (a provider's Retry-After)
    instead of the usual backoff; None means the usual backoff."""

    def __init__(self, reason: str, *, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    db: Database
    job_id: int
    kind: str
    attempt: int  # 1 on the first run
    # The node's outbound HTTP client and file store (channel sends, media downloads).
    http: httpx.AsyncClient | None = None
    storage: Storage | None = None


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
DeadHandler = Callable[[JobContext, dict[str, Any], str], Awaitable[None]]


@dataclass(frozen=True)
class Registration:
    handler: Handler
    on_dead: DeadHandler | None = None


@dataclass
class HandlerRegistry:
    handlers: dict[str, Registration] = field(default_factory=dict)

    def register(self, kind: str, handler: Handler, *, on_dead: DeadHandler | None = None) -> None:
        if kind in self.handlers and self.handlers[kind].handler is not handler:
            raise ValueError(f"a handler for {kind!r} is already registered")
        self.handlers[kind] = Registration(handler, on_dead)

    def get(self, kind: str) -> Registration | None:
        return self.handlers.get(kind)


# The registry the worker's runner uses (kefu/worker/jobs.py imports the modules that fill it).
REGISTRY = HandlerRegistry()


def job_handler(kind: str, *, on_dead: DeadHandler | None = None) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `kind` in the default registry."""

    def register(handler: Handler) -> Handler:
        REGISTRY.register(kind, handler, on_dead=on_dead)
        return handler

    return register
