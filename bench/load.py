"""The load benchmark's command line. Run from the repository root:

    .venv/bin/python -m bench.load --target kefu --db sqlite --visitors 1000
    .venv/bin/python -m bench.load --target baseline --visitors 1000
    .venv/bin/python -m bench.load --matrix     # the table in docs/benchmarks.md

One run prints one JSON object; --matrix prints one per run plus a summary, and saves all of it
under bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.client import raise_nofile
from bench.runner import RunConfig, run

RESULTS = Path(__file__).resolve().parent / "results"
MATRIX_SIZES = (1000, 5000, 10000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--target", choices=("kefu", "baseline"), default="kefu")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--nodes", type=int, default=1, help="kefu processes (PostgreSQL only)")
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages/s, all visitors")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds at --rate")
    parser.add_argument("--sat-duration", type=float, default=10.0)
    parser.add_argument("--sat-concurrency", type=int, default=200, help="closed-loop senders")
    parser.add_argument("--conns-per-worker", type=int, default=3500)
    parser.add_argument("--redis-url", default="", help="default: a private redis-server")
    parser.add_argument("--matrix", action="store_true", help="run the documented table")
    parser.add_argument("--sizes", default=",".join(map(str, MATRIX_SIZES)), help="for --matrix")
    args = parser.parse_args(argv)
    if args.db == "sqlite" and args.nodes > 1:
        parser.error("SQLite serves from one node")
    raise_nofile()
    cfg = RunConfig(
        target=args.target,
        db=args.db,
        nodes=args.nodes,
        visitors=args.visitors,
        agents=args.agents,
        rate=args.rate,
        duration=args.duration,
        sat_duration=args.sat_duration,
        sat_concurrency=args.sat_concurrency,
        conns_per_worker=args.conns_per_worker,
        redis_url=args.redis_url,
    )
    if not args.matrix:
        print(json.dumps(run(cfg)))
        return 0
    sizes = [int(x) for x in args.sizes.split(",")]
    return run_matrix(cfg, sizes)


def run_matrix(base: RunConfig, sizes: list[int]) -> int:
    """For each N: the baseline, kefu on SQLite (one node), kefu on PostgreSQL + Redis (two)."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"matrix-{stamp}.json"
    runs: list[dict[str, Any]] = []
    for n in sizes:
        for target, db, nodes in (
            ("baseline", "none", 1),
            ("kefu", "sqlite", 1),
            ("kefu", "postgres", 2),
        ):
            cfg = replace(base, target=target, db=db, nodes=nodes, visitors=n)
            started = time.monotonic()
            try:
                result = run(cfg)
            except Exception as exc:  # one failed run must not lose the others
                result = {"config": cfg.__dict__, "error": f"{type(exc).__name__}: {exc}"}
            result["wall_s"] = round(time.monotonic() - started, 1)
            print(json.dumps(result), flush=True)
            runs.append(result)
            out.write_text(json.dumps({"runs": runs, "summary": summarise(runs)}, indent=1))
    summary = summarise(runs)
    print(json.dumps({"summary": summary, "saved": str(out)}, indent=1))
    return 0


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per run, with kefu's saturated throughput as a fraction of the baseline's."""
    baseline: dict[int, float] = {}
    rows = []
    for r in runs:
        cfg = r["config"]
        if "error" in r:
            rows.append({"target": cfg["target"], "visitors": cfg["visitors"], "error": r["error"]})
            continue
        sat = r["saturation"]["msgs_per_s"]
        if cfg["target"] == "baseline":
            baseline[cfg["visitors"]] = sat
        base = baseline.get(cfg["visitors"])
        rows.append(
            {
                "target": cfg["target"],
                "db": cfg["db"],
                "nodes": cfg["nodes"],
                "visitors": cfg["visitors"],
                "held": r["connections"]["held_at_end"],
                "kb_per_conn": r["memory"]["kb_per_connection"],
                "rate_persisted_per_s": r["rate"]["persisted_per_s"],
                "rate_delivered_per_s": r["rate"]["delivered_per_s"],
                "p50_ms": r["rate"]["latency_ms"]["to_agents"]["p50"],
                "p95_ms": r["rate"]["latency_ms"]["to_agents"]["p95"],
                "p99_ms": r["rate"]["latency_ms"]["to_agents"]["p99"],
                "saturated_msgs_per_s": sat,
                "vs_baseline": round(sat / base, 2) if base else None,
            }
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
