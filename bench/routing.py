"""The routing benchmark: assignment decisions per second, and the time from a customer's first
message to their assignment, with a long queue. Run from the repository root:

    .venv/bin/python -m bench.routing --db sqlite
    .venv/bin/python -m bench.routing --db postgres --waiting 10000 --agents 200 --capacity 3

Prints one JSON object (docs/benchmarks.md, "Routing", explains each figure).

A fresh database is seeded in this process (bench/routing_setup.py): an admin, N agents (offline),
a "Backlog" inbox holding the queue (--waiting + 2 x agents x capacity conversations, so that
--waiting are still queued after phase 1) and a "Web" inbox where new customers write; every
agent is a member of both; each inbox's capacity is --capacity per agent. Then one kefu node
runs as its own process (`kefu serve`, in-process broker, KEFU_WORKER=false so the periodic
sweep never competes with the measured dispatcher) and this process drives it over HTTP and
watches the admin's console WebSocket: an assignment is the first `conversation.updated` of a
conversation with a non-null assignee. Phases, in order:

1. sign_in: every agent goes online (PUT /agents/{id}/presence, 8 at a time): the dispatcher
   fills agents x capacity slots from the queue. capacity_raised: one PUT of the backlog's
   routing settings doubles the capacity: agents x capacity more decisions, from one kick.
   decisions/s = decisions / (last assignment event - first request sent).
2. steady: the queue stays full and every agent is at capacity; resolve one conversation (POST
   /conversations/{id}/status) and time until the next queued one is assigned. `isolated` waits
   for the dispatcher's pass to end (its queue.updated announcement) before the next sample;
   `back_to_back` resolves the next one as soon as the assignment is seen.
3. first_message: the Web inbox's capacity is raised so every agent has room there (the backlog
   stays full, its agents at its capacity); new visitors post their first widget message
   (POST /api/v1/widget/{key}/messages, allowed Origin) and we time until that conversation's
   assignment. `isolated`: one at a time, each after the previous pass ended; `open_loop`:
   --samples visitors arriving at random (Poisson) at --rate per second.

Afterwards: the dispatcher's reads timed in this process against the same database
(`queries_ms`), and the invariants checked in the database (routing_setup.invariants).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

from bench.routing_setup import (
    ORIGIN,
    Store,
    Workspace,
    invariants,
    query_costs,
    queue_length,
    seed,
)
from bench.servers import Server, free_port
from bench.stats import percentiles

TIMEOUT = 120.0  # seconds any single wait may take before the run gives up on it
STALL = 5.0  # s without any assignment while one is due: a lost kick (the sweep interval)
PRESENCE_CONCURRENCY = 8
WEB_CAPACITY = 100  # the Web inbox's capacity in phase 3 (the most RoutingSettings allows)


@dataclass(frozen=True)
class Config:
    db: str = "sqlite"
    waiting: int = 10_000  # the queue when phase 2 starts (phase 1 takes 2 x agents x capacity)
    agents: int = 200
    capacity: int = 3
    samples: int = 200  # first messages, open loop (phase 3)
    rate: float = 2.0  # their arrivals per second
    isolated_samples: int = 10  # first messages, one at a time (phase 3)
    steady_samples: int = 40  # resolves per steady-state mode (phase 2)


@dataclass
class Assignment:
    at: float
    conversation_id: int
    inbox_id: int
    assignee_id: int


@dataclass
class Console:
    """The admin's console socket: every conversation of every inbox reaches it."""

    ws: ClientConnection
    assignments: list[Assignment] = field(default_factory=list)
    assigned: dict[int, Assignment] = field(default_factory=dict)
    conversation_of_msg: dict[str, int] = field(default_factory=dict)
    queue_updates: list[tuple[float, int, int]] = field(default_factory=list)  # at, inbox, waiting
    resolved: set[int] = field(default_factory=set)  # by phase 2
    nudge: Callable[[], Awaitable[None]] | None = None  # a no-op request that kicks routing
    frames: int = 0
    last_frame_at: float = 0.0
    _tick: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, ws_url: str, token: str) -> Console:
        ws = await connect(
            f"{ws_url}/ws/console",
            additional_headers=[("authorization", f"Bearer {token}")],
            compression=None,
            ping_interval=None,
            max_size=None,
        )
        hello = orjson.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        console = cls(ws)
        console._reader = asyncio.get_running_loop().create_task(console._read())
        return console

    async def _read(self) -> None:
        async for raw in self.ws:
            now = time.monotonic()
            self.frames += 1
            self.last_frame_at = now
            frame = orjson.loads(raw)
            kind = frame.get("type")
            if kind in ("conversation.updated", "conversation.created"):
                conv = frame["conversation"]
                if conv["assignee"] is not None and conv["id"] not in self.assigned:
                    a = Assignment(now, conv["id"], conv["inbox_id"], conv["assignee"]["id"])
                    self.assigned[a.conversation_id] = a
                    self.assignments.append(a)
            elif kind == "message.created":
                message = frame["message"]
                if message["kind"] == "incoming" and message.get("client_msg_id"):
                    self.conversation_of_msg[message["client_msg_id"]] = frame["conversation_id"]
            elif kind == "queue.updated":
                self.queue_updates.append((now, frame["inbox_id"], frame["waiting"]))
            self._tick.set()

    async def wait_for(self, predicate: Any, patience: float = TIMEOUT) -> None:
        """Until `predicate()` holds (checked after every frame); TimeoutError after
        `patience` seconds."""
        deadline = time.monotonic() + patience
        while not predicate():
            remaining = deadline - time.monotonic()
            if self._reader is not None and self._reader.done():
                raise RuntimeError(f"the console socket stopped: {self._reader!r}")
            if remaining <= 0:
                raise TimeoutError(f"the awaited routing event never came ({self.frames} frames)")
            self._tick.clear()
            try:
                await asyncio.wait_for(self._tick.wait(), remaining)
            except TimeoutError:
                continue

    async def wait_assigned(self, predicate: Any) -> int:
        """wait_for an assignment condition. If no assignment at all arrives for STALL seconds
        meanwhile, the node's dispatcher dropped the kick that should have caused it (a race of
        Dispatcher._run on PostgreSQL, see docs/benchmarks.md): count a stall and kick routing
        again with a no-op request (the periodic sweep would, in production, within ~5 s).
        Returns the number of stalls."""
        stalls = 0
        deadline = time.monotonic() + TIMEOUT
        while not predicate():
            seen = len(self.assignments)
            try:
                await self.wait_for(
                    lambda s=seen: predicate() or len(self.assignments) > s, patience=STALL
                )
            except TimeoutError:
                if time.monotonic() > deadline or self.nudge is None:
                    raise
                stalls += 1
                await self.nudge()
        return stalls

    async def queue_update_after(self, inbox_id: int, after: float) -> float:
        """When the dispatcher next announced `inbox_id` (the end of its pass) after `after`."""

        def seen() -> float | None:
            for at, iid, _ in reversed(self.queue_updates):
                if at < after:
                    return None
                if iid == inbox_id:
                    return at
            return None

        await self.wait_for(lambda: seen() is not None)
        found = seen()
        assert found is not None
        return found

    async def quiet(self, seconds: float = 1.0) -> None:
        """Until no frame has arrived for `seconds` (at most TIMEOUT)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            idle = time.monotonic() - self.last_frame_at
            if idle >= seconds or time.monotonic() >= deadline:
                return
            await asyncio.sleep(seconds - idle)

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            await self._reader


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.routing", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--waiting", type=int, default=10_000, help="queue length after phase 1 (seeded: more)"
    )
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=3, help="per agent, both inboxes")
    parser.add_argument("--samples", type=int, default=200, help="first messages, open loop")
    parser.add_argument("--rate", type=float, default=2.0, help="their arrivals per second")
    parser.add_argument("--isolated-samples", type=int, default=10, help="first messages, 1 by 1")
    parser.add_argument("--steady-samples", type=int, default=40, help="resolves per mode")
    args = parser.parse_args(argv)
    if args.waiting <= 2 * args.steady_samples:
        parser.error("--waiting must outlast phase 2 (2 x --steady-samples)")
    first = args.samples + args.isolated_samples
    if 2 * args.capacity + first // max(args.agents, 1) + 1 > WEB_CAPACITY:
        parser.error("capacity too high for phase 3")
    cfg = Config(
        db=args.db,
        waiting=args.waiting,
        agents=args.agents,
        capacity=args.capacity,
        samples=args.samples,
        rate=args.rate,
        isolated_samples=args.isolated_samples,
        steady_samples=args.steady_samples,
    )
    print(json.dumps(run(cfg)))
    return 0


def run(cfg: Config) -> dict[str, Any]:
    started = time.monotonic()
    store = Store(cfg.db)
    server: Server | None = None
    result: dict[str, Any] = {"config": cfg.__dict__, "loadavg_start": os.getloadavg()}
    try:
        store.create()
        t = time.monotonic()
        ws = asyncio.run(
            seed(
                store.url,
                agents=cfg.agents,
                waiting=cfg.waiting + 2 * cfg.agents * cfg.capacity,
                capacity=cfg.capacity,
            )
        )
        store.analyze()
        result["seed_s"] = round(time.monotonic() - t, 1)
        server = _kefu_server(store)
        server.start()
        result.update(asyncio.run(_measure(server, store, ws, cfg)))
        server.stop()
        result["invariants"] = asyncio.run(
            invariants(store.url, ws, backlog_capacity=2 * cfg.capacity, web_capacity=WEB_CAPACITY)
        )
        checks = result["invariants"]
        checks["assignment_events_seen"] = result.pop("_events_seen")
        checks["events_match_database"] = (
            checks["assignment_events_seen"] == checks["assigned_conversations"]
        )
    except BaseException:
        if server is not None and server.log_path.exists():  # the server's side of the story
            print(server.log_path.read_text()[-5000:], file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
        store.drop()
    result["loadavg_end"] = os.getloadavg()
    result["wall_s"] = round(time.monotonic() - started, 1)
    return result


def _kefu_server(store: Store) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(store.root / "node"),
        "KEFU_DATABASE_URL": store.url,
        "KEFU_REDIS_URL": "",
        "KEFU_SECRET_KEY": secrets.token_urlsafe(32),
        "KEFU_DEMO": "false",
        "KEFU_WORKER": "false",  # no periodic sweep competing with the measured dispatcher
        "KEFU_NODE_NAME": "bench-routing",
        "KEFU_PUBLIC_URL": "",
    }
    return Server(
        name="kefu",
        argv=[sys.executable, "-m", "kefu.cli", "serve", "--port", str(port)],
        env=env,
        port=port,
        log_path=store.root / "kefu.log",
    )


async def _measure(server: Server, store: Store, ws: Workspace, cfg: Config) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {ws.admin_token}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=60) as http:
        console = await Console.open(server.ws_url, ws.admin_token)

        async def nudge() -> None:  # the agent's routing profile, unchanged: kicks routing
            r = await http.put(
                f"/api/v1/agents/{ws.agent_ids[0]}/routing",
                json={"max_conversations": None, "skills": []},
            )
            r.raise_for_status()

        console.nudge = nudge
        try:
            out: dict[str, Any] = {}
            out["sign_in"] = await _sign_in(http, console, server, store, ws, cfg)
            await console.quiet()
            out["capacity_raised"] = await _capacity_raised(http, console, server, store, ws, cfg)
            await console.quiet()
            out["steady"] = {
                mode: await _steady(http, console, server, store, ws, cfg, mode)
                for mode in ("isolated", "back_to_back")
            }
            await console.quiet()
            out["first_message"] = await _first_messages(http, console, server, store, ws, cfg)
            await console.quiet()
            out["queries_ms"] = await query_costs(store.url, ws)
            out["_events_seen"] = len(console.assignments)
            return out
        finally:
            await console.close()


def _cpu_percent(server: Server, cpu0: float, t0: float) -> float:
    return round(100 * (server.cpu_seconds() - cpu0) / max(time.monotonic() - t0, 1e-9), 1)


async def _burst(
    console: Console, server: Server, store: Store, ws: Workspace, decisions: int, trigger: Any
) -> dict[str, Any]:
    """Time `decisions` assignments caused by `trigger()` (which sends the requests)."""
    before = len(console.assignments)
    waiting = await queue_length(store.url, ws.backlog_inbox_id)
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    await trigger()
    requests_s = time.monotonic() - t0
    stalls = await console.wait_assigned(lambda: len(console.assignments) >= before + decisions)
    cpu = _cpu_percent(server, cpu0, t0)
    made = console.assignments[before : before + decisions]
    first, last = made[0].at - t0, made[-1].at - t0
    return {
        "waiting_before": waiting,
        "decisions": decisions,
        "seconds": round(last, 3),
        "decisions_per_s": round(decisions / last, 1),
        "first_assignment_ms": round(1000 * first, 1),
        "requests_s": round(requests_s, 3),
        "decisions_per_s_after_first": round((decisions - 1) / (last - first), 1)
        if decisions > 1 and last > first
        else None,
        "server_cpu_percent": cpu,
        "stalls": stalls,
    }


async def _sign_in(
    http: httpx.AsyncClient,
    console: Console,
    server: Server,
    store: Store,
    ws: Workspace,
    cfg: Config,
) -> dict[str, Any]:
    gate = asyncio.Semaphore(PRESENCE_CONCURRENCY)

    async def online(user_id: int) -> None:
        async with gate:
            r = await http.put(f"/api/v1/agents/{user_id}/presence", json={"presence": "online"})
            r.raise_for_status()

    async def trigger() -> None:
        await asyncio.gather(*(online(uid) for uid in ws.agent_ids))

    return await _burst(console, server, store, ws, cfg.agents * cfg.capacity, trigger)


async def _set_capacity(http: httpx.AsyncClient, inbox_id: int, capacity: int) -> None:
    r = await http.get(f"/api/v1/inboxes/{inbox_id}/routing")
    r.raise_for_status()
    settings = r.json()
    settings["max_conversations_per_agent"] = capacity
    r = await http.put(f"/api/v1/inboxes/{inbox_id}/routing", json=settings)
    r.raise_for_status()


async def _capacity_raised(
    http: httpx.AsyncClient,
    console: Console,
    server: Server,
    store: Store,
    ws: Workspace,
    cfg: Config,
) -> dict[str, Any]:
    async def trigger() -> None:
        await _set_capacity(http, ws.backlog_inbox_id, 2 * cfg.capacity)

    return await _burst(console, server, store, ws, cfg.agents * cfg.capacity, trigger)


async def _steady(
    http: httpx.AsyncClient,
    console: Console,
    server: Server,
    store: Store,
    ws: Workspace,
    cfg: Config,
    mode: str,
) -> dict[str, Any]:
    """Resolve one conversation at a time (agents in turn, each's oldest) and time the next
    queued conversation's assignment."""
    open_by_agent: dict[int, list[int]] = defaultdict(list)
    for a in console.assignments:
        if a.inbox_id == ws.backlog_inbox_id and a.conversation_id not in console.resolved:
            open_by_agent[a.assignee_id].append(a.conversation_id)
    waiting = await queue_length(store.url, ws.backlog_inbox_id)
    latencies: list[float] = []
    passes: list[float] = []
    other_agent = stalled = 0
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    for k in range(cfg.steady_samples):
        agent = ws.agent_ids[k % len(ws.agent_ids)]
        conversation_id = open_by_agent[agent].pop(0)
        before = len(console.assignments)
        sent = time.monotonic()
        r = await http.post(
            f"/api/v1/conversations/{conversation_id}/status", json={"status": "resolved"}
        )
        r.raise_for_status()
        console.resolved.add(conversation_id)
        if await console.wait_assigned(lambda b=before: len(console.assignments) > b):
            stalled += 1  # left out of the percentiles: its time is our STALL, not kefu's
        else:
            latencies.append(1000 * (console.assignments[before].at - sent))
        new = console.assignments[before]
        if new.assignee_id != agent:
            other_agent += 1
        open_by_agent[new.assignee_id].append(new.conversation_id)
        if mode == "isolated":
            end = await console.queue_update_after(ws.backlog_inbox_id, new.at)
            if latencies and not stalled:
                passes.append(1000 * (end - sent))
    seconds = time.monotonic() - t0
    cpu = _cpu_percent(server, cpu0, t0)
    out: dict[str, Any] = {
        "waiting_before": waiting,
        "resolve_to_next_assignment_ms": percentiles(latencies),
        "assignments_per_s": round(cfg.steady_samples / seconds, 1),
        "assigned_to_another_agent": other_agent,
        "stalled_samples": stalled,
        "server_cpu_percent": cpu,
    }
    if passes:
        out["resolve_to_pass_end_ms"] = percentiles(passes)
    return out


async def _first_messages(
    http: httpx.AsyncClient,
    console: Console,
    server: Server,
    store: Store,
    ws: Workspace,
    cfg: Config,
) -> dict[str, Any]:
    t = time.monotonic()
    await _set_capacity(http, ws.web_inbox_id, WEB_CAPACITY)
    setup_pass = await console.queue_update_after(ws.web_inbox_id, t)
    await console.quiet()
    out: dict[str, Any] = {
        "backlog_waiting": await queue_length(store.url, ws.backlog_inbox_id),
        "capacity_change_pass_ms": round(1000 * (setup_pass - t), 1),
    }
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"origin": ORIGIN}, timeout=60
    ) as widget:
        out["isolated"] = await _first_isolated(widget, console, server, ws, cfg)
        await console.quiet()
        out["open_loop"] = await _first_open_loop(widget, console, server, ws, cfg)
    return out


async def _post_first(widget: httpx.AsyncClient, ws: Workspace, msg_id: str) -> float:
    """A new visitor's first message; returns the HTTP response time in ms."""
    sent = time.monotonic()
    r = await widget.post(
        f"/api/v1/widget/{ws.web_inbox_key}/messages",
        json={"text": f"hello, this is {msg_id}", "client_msg_id": msg_id},
    )
    r.raise_for_status()
    return 1000 * (time.monotonic() - sent)


async def _first_isolated(
    widget: httpx.AsyncClient, console: Console, server: Server, ws: Workspace, cfg: Config
) -> dict[str, Any]:
    """One customer at a time, each after the dispatcher's previous pass has ended."""
    latencies: list[float] = []
    responses: list[float] = []
    passes: list[float] = []
    stalls = 0
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    for k in range(cfg.isolated_samples):
        msg_id = f"iso-{k}-{secrets.token_hex(4)}"
        sent = time.monotonic()
        responses.append(await _post_first(widget, ws, msg_id))
        stalls += await console.wait_assigned(
            lambda m=msg_id: console.conversation_of_msg.get(m, 0) in console.assigned
        )
        assignment = console.assigned[console.conversation_of_msg[msg_id]]
        latencies.append(1000 * (assignment.at - sent))
        end = await console.queue_update_after(ws.web_inbox_id, assignment.at)
        passes.append(1000 * (end - sent))
    return {
        "first_message_to_assignment_ms": percentiles(latencies),
        "http_response_ms": percentiles(responses),
        "first_message_to_pass_end_ms": percentiles(passes),
        "server_cpu_percent": _cpu_percent(server, cpu0, t0),
        "stalls": stalls,
    }


async def _first_open_loop(
    widget: httpx.AsyncClient, console: Console, server: Server, ws: Workspace, cfg: Config
) -> dict[str, Any]:
    """New customers arrive at random (Poisson, --rate per second), whatever the server does."""
    rng = random.Random(20261124)
    sent_at: dict[str, float] = {}
    responses: list[float] = []

    async def one(msg_id: str) -> None:
        sent_at[msg_id] = time.monotonic()
        responses.append(await _post_first(widget, ws, msg_id))

    tasks = []
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    due = t0
    for k in range(cfg.samples):
        due += rng.expovariate(cfg.rate)
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        msg_id = f"open-{k}-{secrets.token_hex(4)}"
        tasks.append(asyncio.get_running_loop().create_task(one(msg_id)))
    await asyncio.gather(*tasks)
    stalls = await console.wait_assigned(
        lambda: all(console.conversation_of_msg.get(m, 0) in console.assigned for m in sent_at)
    )
    seconds = time.monotonic() - t0
    latencies = [
        1000 * (console.assigned[console.conversation_of_msg[m]].at - sent)
        for m, sent in sent_at.items()
    ]
    return {
        "rate_per_s": cfg.rate,
        "offered_per_s": round(cfg.samples / (due - t0), 2),
        "first_message_to_assignment_ms": percentiles(latencies),
        "http_response_ms": percentiles(responses),
        "seconds": round(seconds, 1),
        "server_cpu_percent": _cpu_percent(server, cpu0, t0),
        "stalls": stalls,
    }


if __name__ == "__main__":
    sys.exit(main())
