"""The node's routing dispatcher: after a commit that asked for it, route the conversations that
need their routing step, drain the queue (one assignment per transaction, until nothing more
can be assigned), then tell waiting customers their new places and consoles the queue sizes.

Every node runs one; they cooperate through the database locks of routing/assignment.py, so
any node may serve any kick. A periodic `sweep` (worker) catches what a crash between commit
and dispatch would otherwise leave waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from kefu.conversations.models import Conversation
from kefu.conversations.schemas import VisitorQueueOut
from kefu.db import Database, PublishEvents, utcnow
from kefu.events import types
from kefu.events.types import Event
from kefu.routing.actions import do_assign_next, do_route_conversation
from kefu.routing.queries import queue_places

log = logging.getLogger(__name__)

ANNOUNCE_INTERVAL = 0.5  # seconds between two rounds of announcements, at least
DRAINING_ANNOUNCE_INTERVAL = 2.0  # ... while the node is assigning from the queue
RETELL_SLICES = 6  # with other nodes: each sweep re-tells one sixth of the waiting customers
Told = tuple[int | None, int, int | None]  # what a customer was told: number, position, wait
RETRIES = 3  # a transaction that loses a deadlock or lock-timeout race is retried


class Dispatcher:
    def __init__(self, db: Database, publish: PublishEvents, *, shared: bool = False) -> None:
        self.db = db
        self.publish = publish
        # Other nodes announce too (a shared broker): what this node remembers telling may be
        # stale, so the sweep re-tells waiting customers now and then (see sweep).
        self.shared = shared
        self._sweeps = 0
        self._routes: set[int] = set()
        self._drain_wanted = False
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        # Announcements run on their own task, throttled, so that a busy queue never delays
        # assignments (and places are computed once per round, not once per kick).
        self._to_announce: set[int] = set()
        self._announcer: asyncio.Task[None] | None = None
        self._announcer_idle = asyncio.Event()
        self._announcer_idle.set()
        self._last_round = 0.0
        self._interval = ANNOUNCE_INTERVAL
        # What each waiting customer was last told, per inbox: only changes are sent.
        # Plain tuples, not the models: a node may remember 10,000s of places.
        self._told: dict[int, dict[int, tuple[int, str, Told]]] = {}
        self.assignments = 0  # decisions made by this node (benchmarks read it)
        self._stopped = False

    def kick(self, kicks: set[tuple[int, int | None]]) -> None:
        if self._stopped:
            return
        for inbox_id, conversation_id in kicks:
            self._to_announce.add(inbox_id)
            self._drain_wanted = True
            if conversation_id is not None:
                self._routes.add(conversation_id)
        if self._task is None and (self._routes or self._drain_wanted):
            self._idle.clear()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def settle(self) -> None:
        """Wait until every kick so far has been handled and announced (tests, benchmarks)."""
        while not (self._idle.is_set() and self._announcer_idle.is_set()):
            await self._idle.wait()
            await self._announcer_idle.wait()

    async def stop(self) -> None:
        self._stopped = True
        for name in ("_task", "_announcer"):  # in this order: the first may start the second
            task: asyncio.Task[None] | None = getattr(self, name)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run(self) -> None:
        try:
            # A kick that arrives while we drain (a resolve here, our own assignments) may have
            # freed capacity after our last fruitless try: drain again until a round is quiet.
            while self._routes or self._drain_wanted:
                routes, self._routes = sorted(self._routes), set()
                self._drain_wanted = False
                for conversation_id in routes:
                    await self._write(do_route_conversation, conversation_id=conversation_id)
                while await self._write(do_assign_next):
                    self.assignments += 1
                self._start_announcer()
        except Exception:
            log.exception("routing dispatcher failed; the next kick or sweep retries")
        finally:
            self._task = None
            if self._routes:
                self.kick(set())  # arrived while we were finishing
            else:
                self._idle.set()
            self._start_announcer()

    def _start_announcer(self) -> None:
        if self._announcer is None and self._to_announce and not self._stopped:
            self._announcer_idle.clear()
            self._announcer = asyncio.get_running_loop().create_task(self._announce_rounds())

    async def _announce_rounds(self) -> None:
        try:
            while self._to_announce:
                wait = self._last_round + self._interval - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                # While a drain runs, assignments come first: wait for its end, up to a limit.
                while self._task is not None and not self._stopped:
                    if time.monotonic() - self._last_round >= DRAINING_ANNOUNCE_INTERVAL:
                        break
                    await asyncio.sleep(0.05)
                self._last_round = time.monotonic()
                inboxes, self._to_announce = sorted(self._to_announce), set()
                for inbox_id in inboxes:
                    await self._announce(inbox_id)
                # A round costs O(queue length) (every place behind a move changes): with a
                # long queue, rounds space out so they never take more than a third of the time.
                spent = time.monotonic() - self._last_round
                self._interval = max(ANNOUNCE_INTERVAL, 3 * spent)
        except Exception:
            log.exception("queue announcement failed; the next kick or sweep retries")
        finally:
            self._announcer = None
            self._announcer_idle.set()
            if self._to_announce:
                self._start_announcer()

    async def _write(self, action, **kwargs) -> bool:  # type: ignore[no-untyped-def]
        for attempt in range(RETRIES):
            try:
                async with self.db.write() as session:
                    return bool(await action(session, **kwargs))
            except DBAPIError as exc:  # deadlock / serialization failure: try again
                if attempt == RETRIES - 1:
                    log.warning("routing transaction failed %d times: %s", RETRIES, exc)
                    return False
                await asyncio.sleep(0.01 * (attempt + 1))
        return False

    async def _announce(self, inbox_id: int, *, retell: int | None = None) -> None:
        """Tell the inbox's consoles its queue size and each waiting customer whose place
        changed their place; `retell`: also those with conversation id % RETELL_SLICES == it."""
        async with self.db.read() as session:
            places = await queue_places(session=session, inbox_id=inbox_id)
        told = self._told.setdefault(inbox_id, {})
        events: list[Event] = [
            Event(
                type=types.QUEUE_UPDATED,
                inbox_id=inbox_id,
                agent={"type": types.QUEUE_UPDATED, "inbox_id": inbox_id, "waiting": len(places)},
            )
        ]
        current = {p.conversation_id for p in places}
        for conversation_id in [c for c in told if c not in current]:
            contact_id, public_id, _ = told.pop(conversation_id)
            events.append(_contact_event(inbox_id, contact_id, public_id, None))
        for place in places:
            previous = told.get(place.conversation_id)
            q = place.queue
            said = (q.queue_number, q.position, q.wait_minutes)
            again = retell is not None and place.conversation_id % RETELL_SLICES == retell
            if again or previous is None or previous[2] != said:
                told[place.conversation_id] = (place.contact_id, place.public_id, said)
                events.append(
                    _contact_event(inbox_id, place.contact_id, place.public_id, place.queue)
                )
        await self.publish(events)

    async def sweep(self, *, stuck_after: float = 10.0) -> None:
        """Route conversations whose routing step never ran (a node died between commit and
        dispatch), drain, and (with other nodes) re-tell a slice of the waiting customers."""
        since = utcnow() - timedelta(seconds=stuck_after)
        async with self.db.read() as session:
            stuck = list(
                await session.scalars(
                    select(Conversation.id).where(
                        Conversation.routing_state.in_(("new", "reopened")),
                        Conversation.waiting_since.is_not(None),
                        Conversation.waiting_since < since,
                        Conversation.status.not_in(("resolved", "snoozed")),
                    )
                )
            )
            queued = set(
                await session.scalars(
                    select(Conversation.inbox_id)
                    .where(Conversation.queued_at.is_not(None))
                    .distinct()
                )
            )
        for conversation_id in stuck:
            await self._write(do_route_conversation, conversation_id=conversation_id)
        while await self._write(do_assign_next):
            self.assignments += 1
        # Other nodes announce too, so what this node remembers telling may be stale: each
        # sweep re-tells a slice of the waiting customers, changed or not (everyone once every
        # RETELL_SLICES sweeps, 30 s by default), spread out rather than 10,000 frames at once.
        if self.shared:
            part = self._sweeps % RETELL_SLICES
            self._sweeps += 1
            for inbox_id in sorted(queued | set(self._told)):
                await self._announce(inbox_id, retell=part)


def _contact_event(
    inbox_id: int, contact_id: int, public_id: str, queue: VisitorQueueOut | None
) -> Event:
    return Event(
        type=types.QUEUE_UPDATED,
        inbox_id=None,
        contact_id=contact_id,
        agent={},  # nothing for agents: they get the per-inbox count
        contact={
            "type": types.QUEUE_UPDATED,
            "conversation_id": public_id,
            "queue": queue.model_dump(mode="json") if queue is not None else None,
        },
    )
