"""One benchmark run: start kefu (or the bare baseline) as its own process(es), hold N visitor
and M agent WebSockets from separate client processes, send at a set rate, then saturate, and
return the figures (docs/benchmarks.md explains each)."""

from __future__ import annotations

import asyncio
import math
import multiprocessing as mp
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from bench.client import Endpoint, Phase, Stop, WorkerPlan, worker_main
from bench.prepare import agent_tokens, create_visitors, inbox_key
from bench.servers import Environment, Server
from bench.stats import per_second, percentiles

SETTLE = 3.0
ROUTING_TIMEOUT = 900.0  # seconds for preparation and routing together
GRACE = 3.0


@dataclass(frozen=True)
class RunConfig:
    target: str = "kefu"
    db: str = "sqlite"
    nodes: int = 1
    visitors: int = 1000
    agents: int = 10
    rate: float = 1000.0
    duration: float = 15.0
    sat_duration: float = 10.0
    sat_concurrency: int = 200
    conns_per_worker: int = 3500
    redis_url: str = ""


def run(cfg: RunConfig) -> dict[str, Any]:
    if cfg.target == "baseline":
        cfg = replace(cfg, db="none", nodes=1)
    env = Environment(db=cfg.db)
    servers: list[Server] = []
    try:
        if cfg.target == "kefu":
            env.setup(cfg.redis_url or None)
            servers = [env.kefu_node(i) for i in range(cfg.nodes)]
            for server in servers:  # one after the other: the first migrates and seeds the demo
                server.start()
            started = time.monotonic()
            visitors, agents = asyncio.run(_prepare(env, servers, cfg))
            prepare_s = time.monotonic() - started
            # Every new conversation goes through routing after its first message; let it
            # finish, or the restarted node's sweep would route the rest during the phases.
            while env.count_unrouted() and time.monotonic() - started < ROUTING_TIMEOUT:
                time.sleep(1.0)
            routing_settle_s = time.monotonic() - started - prepare_s
            # A fresh process, so the memory figure does not reuse memory freed by preparation.
            for server in servers:
                server.stop()
                server.start()
        else:
            servers = [env.baseline()]
            servers[0].start()
            visitors = [
                Endpoint(f"{servers[0].ws_url}/ws/widget?token=v{i}") for i in range(cfg.visitors)
            ]
            agents = [Endpoint(f"{servers[0].ws_url}/ws/console") for _ in range(cfg.agents)]
            prepare_s = routing_settle_s = 0.0
        result = _drive(cfg, env, servers, visitors, agents)
        result["prepare_s"] = round(prepare_s, 1)
        result["routing_settle_s"] = round(routing_settle_s, 1)
        return result
    finally:
        for server in servers:
            server.stop()
        env.teardown()


async def _prepare(
    env: Environment, servers: list[Server], cfg: RunConfig
) -> tuple[list[Endpoint], list[Endpoint]]:
    tokens = await agent_tokens(servers[0].base_url, env.root / "node0")
    key = await inbox_key(servers[0].base_url, tokens[0])
    visitor_tokens = await create_visitors([s.base_url for s in servers], key, cfg.visitors)
    visitors = [
        Endpoint(f"{servers[i % len(servers)].ws_url}/ws/widget?inbox={key}&token={token}")
        for i, token in enumerate(visitor_tokens)
    ]
    agents = [
        Endpoint(
            f"{servers[j % len(servers)].ws_url}/ws/console",
            (("Authorization", f"Bearer {tokens[j % len(tokens)]}"),),
        )
        for j in range(cfg.agents)
    ]
    return visitors, agents


def _drive(
    cfg: RunConfig,
    env: Environment,
    servers: list[Server],
    visitors: list[Endpoint],
    agents: list[Endpoint],
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    n_workers = max(2, math.ceil((len(visitors) + len(agents)) / cfg.conns_per_worker))
    plans = [
        WorkerPlan(index=w, visitors=visitors[w::n_workers], agents=agents[w::n_workers])
        for w in range(n_workers)
    ]
    results: Any = ctx.Queue()
    commands: list[Any] = [ctx.Queue() for _ in plans]
    time.sleep(1.0)
    rss_before = sum(s.rss() for s in servers)
    workers = [
        ctx.Process(target=worker_main, args=(plan, commands[plan.index], results), daemon=True)
        for plan in plans
    ]
    for proc in workers:
        proc.start()
    try:
        connected = _collect(results, "connected", n_workers, timeout=300)
        time.sleep(SETTLE)
        rss_after = sum(s.rss() for s in servers)
        held = sum(c["visitors"] + c["agents"] for c in connected)
        count = env.count_messages if cfg.target == "kefu" else lambda: 0

        phases: dict[str, dict[str, Any]] = {}
        # Saturation first: it is closed-loop and leaves no backlog, while a server that cannot
        # keep up with the open-loop rate phase is still draining it when the run ends.
        for phase in (
            Phase("s", cfg.sat_duration, 0, GRACE, concurrency=cfg.sat_concurrency),
            Phase("r", cfg.duration, 0, GRACE, rate=cfg.rate),
        ):
            before, cpu_before = count(), sum(s.cpu_seconds() for s in servers)
            start_at = time.monotonic_ns() + 1_000_000_000
            for w, queue in enumerate(commands):
                share = len(plans[w].visitors) / max(1, len(visitors))
                queue.put(
                    Phase(
                        phase.name,
                        phase.duration,
                        start_at,
                        GRACE,
                        rate=phase.rate * share,
                        concurrency=round(phase.concurrency * share),
                    )
                )
            reports = _collect(results, phase.name, n_workers, timeout=phase.duration + 120)
            cpu = sum(s.cpu_seconds() for s in servers) - cpu_before
            phases[phase.name] = _phase_figures(
                phase, reports, count() - before, cpu, cfg.target == "kefu", len(agents)
            )
        for queue in commands:
            queue.put(Stop())
        stopped = _collect(results, "stopped", n_workers, timeout=60)
    finally:
        for proc in workers:
            proc.join(timeout=90)
            if proc.is_alive():
                proc.terminate()
    conns = len(visitors) + len(agents)
    return {
        "config": asdict(cfg) | {"client_processes": n_workers},
        "connections": {
            "attempted": conns,
            "held_after_connect": held,
            "held_at_end": sum(s["visitors"] + s["agents"] for s in stopped),
            "dropped_by_server": sum(s["dropped"] for s in stopped),
            "close_codes": _merge_counts([s["close_codes"] for s in stopped]),
            "failed": _merge_counts([c["failed"] for c in connected]),
            "connect_s": round(max(c["seconds"] for c in connected), 1),
            "frame_errors": sum(s["frame_errors"] for s in stopped),
        },
        "memory": {
            "rss_idle_mb": round(rss_before / 2**20, 1),
            "rss_connected_mb": round(rss_after / 2**20, 1),
            "kb_per_connection": round((rss_after - rss_before) / max(1, held) / 1024, 1),
        },
        "rate": phases["r"],
        "saturation": phases["s"],
    }


def _phase_figures(
    phase: Phase,
    reports: list[dict[str, Any]],
    persisted: int,
    cpu_s: float,
    is_kefu: bool,
    n_agents: int,
) -> dict[str, Any]:
    sent = sum(r["sent"] for r in reports)
    acked = sum(r["acked"] for r in reports)
    agent_ms = [x for r in reports for x in r["agent_ms"]]
    visitor_ms = [x for r in reports for x in r["visitor_ms"]]
    # In the rate phase each message should reach every agent socket: delivered = received / M.
    delivered = len(agent_ms) / n_agents if n_agents else len(visitor_ms)
    figures: dict[str, Any] = {
        "seconds": phase.duration,
        "sent": sent,
        "sent_per_s": per_second(sent, phase.duration),
        "persisted": persisted if is_kefu else None,
        "persisted_per_s": per_second(persisted, phase.duration) if is_kefu else None,
        "delivered": round(delivered),
        "delivered_per_s": per_second(round(delivered), phase.duration),
        "agent_frames_received": len(agent_ms),
        "visitor_echoes_received": len(visitor_ms),
        "server_cpu_percent": round(100 * cpu_s / (phase.duration + GRACE + 1), 1),
        "client_cpu_percent": round(
            100 * sum(r["cpu_s"] for r in reports) / (phase.duration + GRACE + 1), 1
        ),
        "latency_ms": {"to_agents": percentiles(agent_ms), "to_sender": percentiles(visitor_ms)},
    }
    if phase.concurrency:
        figures |= {
            "concurrency": phase.concurrency,
            "acked": acked,
            "msgs_per_s": per_second(acked, phase.duration),
            "timeouts": sum(r["timeouts"] for r in reports),
            "round_trip_ms": percentiles([x for r in reports for x in r["round_trip_ms"]]),
        }
    return figures


def _collect(results: Any, kind: str, n: int, *, timeout: float) -> list[dict[str, Any]]:
    """Wait for one `kind` report from each of the n workers."""
    deadline = time.monotonic() + timeout
    got: dict[int, dict[str, Any]] = {}
    while len(got) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"workers did not report {kind!r} in {timeout:.0f}s")
        index, got_kind, payload = results.get(timeout=remaining)
        if got_kind != kind:
            raise RuntimeError(f"worker {index} reported {got_kind!r}, expected {kind!r}")
        got[index] = payload
    return [got[i] for i in sorted(got)]


def _merge_counts(items: list[dict[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for item in items:
        for key, value in item.items():
            merged[key] = merged.get(key, 0) + value
    return merged
