"""A real Redis for the broker tests: KEFU_TEST_REDIS_URL, else redis://127.0.0.1:6379/0.

Without a reachable Redis these tests skip with a message; under CI=true they fail instead.
Every test uses its own pub/sub channel and client name, so concurrent runs against the same
Redis do not see each other's events.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
async def redis_url() -> str:
    probe = aioredis.from_url(REDIS_URL, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2)
    try:
        await probe.ping()
    except (RedisError, OSError) as exc:
        message = f"Redis is not reachable at {REDIS_URL} ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI requires Redis for the broker tests")
        pytest.skip(f"{message}: start redis-server or set KEFU_TEST_REDIS_URL")
    finally:
        await probe.aclose()
    return REDIS_URL


@pytest.fixture
def channel() -> str:
    return f"kefu:test:{uuid.uuid4().hex}"
