"""The reports benchmark: every report endpoint against a database prepared by
bench/report_data.py. Run from the repository root:

    .venv/bin/python -m bench.reports --url sqlite+aiosqlite:///var/bench/reports.db
    .venv/bin/python -m bench.reports --url postgresql+asyncpg://postgres@127.0.0.1:5432/kefu_bench

One kefu node (`kefu serve`, worker off: the facts and rollups are already built, and nothing
else should compete for the cores) on that database, and this process as its client, one
request at a time over loopback, logged in as the admin (sees everything). For the last 30, 90
and 365 days (local dates in --tz, ending today), unfiltered, with one filter (channel) and
with two (team and tag), each endpoint of the reports API is requested --runs times: summary,
timeseries by day and by hour (hourly series are refused beyond 31 days: recorded as such),
heatmap, breakdown by each dimension, the CSV exports, and the live wallboard (no range).
The time is the client's, until the last byte of the body.

Prints one JSON object: median and max milliseconds per endpoint, range and filter, and
`flagged`: every one whose slowest run is over the target (1 s on PostgreSQL, 2 s on
SQLite).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.report_data import ADMIN_EMAIL, ADMIN_PASSWORD, SECRET_KEY
from bench.servers import Server, free_port

RANGES = (30, 90, 365)
LIMITS = {"sqlite": 2.0, "postgresql": 1.0}
BREAKDOWNS = ("agent", "channel", "inbox", "team", "tag")
TAG = "退換貨"


def endpoints() -> list[tuple[str, str, dict[str, str]]]:
    """(label, path, extra parameters) of every report of a date range."""
    out = [
        ("summary", "/api/v1/reports/summary", {}),
        ("timeseries_day", "/api/v1/reports/timeseries", {"interval": "day"}),
        ("timeseries_hour", "/api/v1/reports/timeseries", {"interval": "hour"}),
        ("heatmap", "/api/v1/reports/heatmap", {}),
    ]
    out += [(f"breakdown_{by}", "/api/v1/reports/breakdown", {"by": by}) for by in BREAKDOWNS]
    out += [
        ("summary.csv", "/api/v1/reports/summary.csv", {}),
        ("timeseries.csv", "/api/v1/reports/timeseries.csv", {"interval": "day"}),
        ("heatmap.csv", "/api/v1/reports/heatmap.csv", {}),
        ("breakdown.csv", "/api/v1/reports/breakdown.csv", {"by": "agent"}),
        ("conversations.csv", "/api/v1/reports/conversations.csv", {}),
    ]
    return out


def filter_sets(client: httpx.Client) -> dict[str, dict[str, str]]:
    """Unfiltered, one filter (the LINE channel), two (a team and a tag)."""
    teams = client.get("/api/v1/teams").raise_for_status().json()
    return {
        "none": {},
        "channel": {"channel": "line"},
        "team+tag": {"team_id": str(teams[0]["id"]), "tag": TAG},
    }


def measure(client: httpx.Client, path: str, params: dict[str, str], runs: int) -> dict[str, Any]:
    """Time to the last byte (CSV exports stream) and to the first."""
    times, firsts, status, size = [], [], 0, 0
    for _ in range(runs):
        started = time.perf_counter()
        with client.stream("GET", path, params=params) as response:
            size, first = 0, None
            for chunk in response.iter_bytes():
                if first is None:
                    first = time.perf_counter()
                size += len(chunk)
        ended = time.perf_counter()
        times.append((ended - started) * 1000)
        firsts.append(((first or ended) - started) * 1000)
        status = response.status_code
        if status != 200:
            break
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "first_byte_ms": round(statistics.median(firsts), 1),
        "status": status,
        "bytes": size,
    }


def run(
    client: httpx.Client, tz: str, runs: int, limit_s: float, only: set[str], skip: set[str]
) -> dict[str, Any]:
    today = datetime.now(ZoneInfo(tz)).date()
    filters = filter_sets(client)
    results: dict[str, Any] = {}
    flagged = []
    for label, path, extra in endpoints():
        if (only and label not in only) or label in skip:
            continue
        for days in RANGES:
            start = today - timedelta(days=days - 1)
            for name, chosen in filters.items():
                params = {"start": start.isoformat(), "end": today.isoformat(), "tz": tz}
                figures = measure(client, path, {**params, **extra, **chosen}, runs)
                results.setdefault(label, {}).setdefault(f"{days}d", {})[name] = figures
                if figures["status"] == 200 and figures["max_ms"] > limit_s * 1000:
                    flagged.append({"endpoint": label, "days": days, "filter": name, **figures})
            print(f"  {label} {days}d done", file=sys.stderr)
    if (only and "wallboard" not in only) or "wallboard" in skip:
        return {"results": results, "flagged": flagged}
    wallboard = measure(client, "/api/v1/reports/wallboard", {"tz": tz}, runs)
    results["wallboard"] = wallboard
    if wallboard["status"] == 200 and wallboard["max_ms"] > limit_s * 1000:
        flagged.append({"endpoint": "wallboard", **wallboard})
    return {"results": results, "flagged": flagged}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True, help="the database bench/report_data.py filled")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tz", default="Asia/Taipei")
    parser.add_argument("--only", action="append", default=[], help="an endpoint label")
    parser.add_argument("--skip", action="append", default=[], help="an endpoint label")
    args = parser.parse_args(argv)
    db = "sqlite" if args.url.startswith("sqlite") else "postgresql"
    root = Path(tempfile.mkdtemp(prefix="kefu-bench-reports-"))
    port = free_port()
    server = Server(
        name="kefu",
        argv=[sys.executable, "-m", "kefu.cli", "serve", "--port", str(port)],
        env={
            **os.environ,
            "KEFU_DATA_DIR": str(root),
            "KEFU_DATABASE_URL": args.url,
            "KEFU_DEMO": "false",
            "KEFU_WORKER": "false",
            "KEFU_SECRET_KEY": SECRET_KEY,
        },
        port=port,
        log_path=root / "node.log",
    )
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=600) as client:
            login = client.post(
                "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            login.raise_for_status()
            # The first report request loads what the others find loaded.
            started = time.perf_counter()
            client.get("/api/v1/reports/summary", params={"tz": args.tz}).raise_for_status()
            first_ms = round((time.perf_counter() - started) * 1000, 1)
            figures = run(client, args.tz, args.runs, LIMITS[db], set(args.only), set(args.skip))
        output = {
            "db": db,
            "runs": args.runs,
            "limit_s": LIMITS[db],
            "first_request_ms": first_ms,
            "server_rss_mb": round(server.rss() / 1e6, 1),
            **figures,
        }
        print(json.dumps(output, ensure_ascii=False, indent=1))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
