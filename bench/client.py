"""A load-generator process: holds a share of the visitor and agent WebSockets and runs the
phases the orchestrator sends it (bench/load.py). Several of these run side by side, each with at
most a few thousand sockets, because one process may open only 20,000 files here.

Each sent message carries its phase and send time (`bench r <monotonic ns>`; CLOCK_MONOTONIC is
shared by every process on the machine), so any receiver can compute the delivery latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

import orjson
import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CONNECT_CONCURRENCY = 100
ACK_TIMEOUT = 10.0
TICK = 0.002


@dataclass(frozen=True)
class Endpoint:
    url: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WorkerPlan:
    index: int
    visitors: list[Endpoint]
    agents: list[Endpoint]


@dataclass(frozen=True)
class Phase:
    """Send at `rate` msg/s (open loop), or, when `concurrency` > 0, as fast as `concurrency`
    closed-loop senders can (each waits for its ack before sending again)."""

    name: str
    duration: float
    start_at_ns: int
    grace: float
    rate: float = 0.0
    concurrency: int = 0


@dataclass(frozen=True)
class Stop:
    pass


@dataclass
class Socket:
    ws: ClientConnection
    is_agent: bool
    open: bool = True
    waiter: asyncio.Future[None] | None = None


@dataclass
class Tally:
    """What one phase observed in this process."""

    sent: int = 0
    acked: int = 0
    timeouts: int = 0
    errors: int = 0
    round_trip_ms: list[float] = field(default_factory=list)
    visitor_ms: list[float] = field(default_factory=list)
    agent_ms: list[float] = field(default_factory=list)


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def worker_main(plan: WorkerPlan, commands: Queue[Any], results: Queue[Any]) -> None:
    raise_nofile()
    uvloop.run(Worker(plan, results).run(commands))


class Worker:
    def __init__(self, plan: WorkerPlan, results: Queue[Any]) -> None:
        self.plan = plan
        self.results = results
        self.visitors: list[Socket] = []
        self.agents: list[Socket] = []
        self.tallies: dict[str, Tally] = defaultdict(Tally)
        self.closing = False
        self.dropped = 0
        self.close_codes: dict[str, int] = defaultdict(int)

    def report(self, kind: str, payload: dict[str, Any]) -> None:
        self.results.put((self.plan.index, kind, payload))

    async def run(self, commands: Queue[Any]) -> None:
        loop = asyncio.get_running_loop()
        self.report("connected", await self.connect_all())
        while True:
            command = await loop.run_in_executor(None, commands.get)
            if isinstance(command, Stop):
                break
            assert isinstance(command, Phase)
            tally = self.tallies[command.name]
            cpu_before = time.process_time()
            if command.concurrency:
                await self.saturate(command, tally)
            else:
                await self.send_at_rate(command, tally)
            await _sleep_until(command.start_at_ns + int((command.duration + command.grace) * 1e9))
            self.report(
                command.name, self.summary(tally) | {"cpu_s": time.process_time() - cpu_before}
            )
        self.report("stopped", self.held())
        await self.close_all()

    # connections -------------------------------------------------------------------------

    async def connect_all(self) -> dict[str, Any]:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        failures: dict[str, int] = defaultdict(int)
        started = time.monotonic()

        async def one(endpoint: Endpoint, is_agent: bool) -> None:
            async with gate:
                try:
                    ws = await connect(
                        endpoint.url,
                        additional_headers=list(endpoint.headers),
                        compression=None,
                        ping_interval=None,
                        open_timeout=60,
                        close_timeout=5,
                    )
                    hello = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=60))
                    if hello.get("type") != "hello":
                        raise RuntimeError(f"expected hello, got {hello.get('type')}")
                except Exception as exc:  # counted and reported
                    failures[type(exc).__name__] += 1
                    return
            sock = Socket(ws, is_agent)
            (self.agents if is_agent else self.visitors).append(sock)
            asyncio.get_running_loop().create_task(self.read(sock))

        await asyncio.gather(*(one(e, True) for e in self.plan.agents))
        await asyncio.gather(*(one(e, False) for e in self.plan.visitors))
        return {
            "visitors": len(self.visitors),
            "agents": len(self.agents),
            "failed": dict(failures),
            "seconds": time.monotonic() - started,
        }

    async def read(self, sock: Socket) -> None:
        try:
            async for raw in sock.ws:
                self.on_frame(sock, orjson.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            sock.open = False
            if not self.closing:
                self.dropped += 1
                code = sock.ws.close_code
                self.close_codes[str(code)] += 1

    def on_frame(self, sock: Socket, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "message.created":
            text = frame["message"].get("text") or ""
            if not text.startswith("bench "):
                return
            _, phase, stamp = text.split(" ", 2)
            latency = (time.monotonic_ns() - int(stamp)) / 1e6
            tally = self.tallies[phase]
            (tally.agent_ms if sock.is_agent else tally.visitor_ms).append(latency)
        elif kind == "ack":
            if sock.waiter is not None and not sock.waiter.done():
                sock.waiter.set_result(None)
        elif kind == "error":
            self.tallies["errors"].errors += 1

    def held(self) -> dict[str, Any]:
        return {
            "visitors": sum(s.open for s in self.visitors),
            "agents": sum(s.open for s in self.agents),
            "dropped": self.dropped,
            "close_codes": dict(self.close_codes),
            "frame_errors": self.tallies["errors"].errors,
        }

    async def close_all(self) -> None:
        """Abort rather than close: a server still draining a backlog would answer late."""
        self.closing = True
        for sock in self.visitors + self.agents:
            sock.ws.transport.abort()
        await asyncio.sleep(0.1)

    # phases ------------------------------------------------------------------------------

    async def send(self, sock: Socket, phase: str, n: int) -> None:
        frame = {
            "type": "message.send",
            "text": f"bench {phase} {time.monotonic_ns()}",
            "client_msg_id": f"w{self.plan.index}-{phase}-{n}",
        }
        await sock.ws.send(orjson.dumps(frame).decode())

    async def send_at_rate(self, phase: Phase, tally: Tally) -> None:
        """Open loop: message k is due at start + k/rate, whatever the replies do."""
        live = [s for s in self.visitors if s.open]
        if not live or phase.rate <= 0:
            return
        await _sleep_until(phase.start_at_ns)
        end = phase.start_at_ns + int(phase.duration * 1e9)
        while (now := time.monotonic_ns()) < end:
            due = int((now - phase.start_at_ns) / 1e9 * phase.rate) + 1
            while tally.sent < due:
                sock = live[tally.sent % len(live)]
                tally.sent += 1
                if sock.open:
                    with contextlib.suppress(ConnectionClosed):
                        await self.send(sock, phase.name, tally.sent)
            await asyncio.sleep(TICK)

    async def saturate(self, phase: Phase, tally: Tally) -> None:
        """Closed loop: `concurrency` senders, each on its own visitors, send -> ack -> send."""
        live = [s for s in self.visitors if s.open]
        k = min(phase.concurrency, len(live))
        await _sleep_until(phase.start_at_ns)
        end = phase.start_at_ns + int(phase.duration * 1e9)
        loop = asyncio.get_running_loop()

        async def sender(j: int) -> None:
            mine = live[j::k]
            turn = 0
            while time.monotonic_ns() < end and any(s.open for s in mine):
                sock = mine[turn % len(mine)]
                turn += 1
                if not sock.open:
                    continue
                sock.waiter = loop.create_future()
                started = time.monotonic_ns()
                tally.sent += 1
                try:
                    await self.send(sock, phase.name, tally.sent)
                    await asyncio.wait_for(sock.waiter, timeout=ACK_TIMEOUT)
                except (TimeoutError, ConnectionClosed):
                    tally.timeouts += 1
                    continue
                finished = time.monotonic_ns()
                if finished <= end:
                    tally.acked += 1
                    tally.round_trip_ms.append((finished - started) / 1e6)

        if k:
            await asyncio.gather(*(sender(j) for j in range(k)))

    def summary(self, tally: Tally) -> dict[str, Any]:
        return {
            "sent": tally.sent,
            "acked": tally.acked,
            "timeouts": tally.timeouts,
            "round_trip_ms": tally.round_trip_ms,
            "visitor_ms": tally.visitor_ms,
            "agent_ms": tally.agent_ms,
            "agents_open": sum(s.open for s in self.agents),
        }


async def _sleep_until(deadline_ns: int) -> None:
    delay = (deadline_ns - time.monotonic_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)
