"""Tiny PostgreSQL helper for scripts/test: ping, create or drop a database."""

from __future__ import annotations

import asyncio
import re
import sys

import asyncpg


async def main(command: str, url: str, name: str = "") -> int:
    if name and not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit("bad database name")
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return 1
    try:
        if command == "create":
            await conn.execute(f'CREATE DATABASE "{name}"')
        elif command == "drop":
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:])))
