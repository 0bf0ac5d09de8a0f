"""A sliding-window limiter for login attempts.

Kept in the process: with several nodes each node counts on its own, so the effective limit is
the per-node limit times the number of nodes (documented in docs/security.md).
"""

from __future__ import annotations

import time
from collections import deque

from kefu.errors import RateLimited


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, *, now: float | None = None) -> None:
        """Count one attempt; raise RateLimited when the window is already full."""
        now = time.monotonic() if now is None else now
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            retry_after = int(hits[0] + self.window - now) + 1
            raise RateLimited("Too many attempts; try again later.", retry_after=retry_after)
        hits.append(now)
        if len(self._hits) > 100_000:  # bound memory under a spray of distinct keys
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)
