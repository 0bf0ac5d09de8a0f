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

ANNOUNCE_INTERVAL = 0.5  # seconds between two announcements for the same inbox
RETRIES = 3  # a transaction that loses a deadlock or lock-timeout race is retried


class Dispatcher:
    def __init__(self, db: Database, publish: PublishEvents) -> None:
        self.db = db
        self.publish = publish
        self._routes: set[int] = set()
        self._inboxes: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        # What each waiting customer was last told, per inbox: only changes are sent.
        self._told: dict[int, dict[int, tuple[int, str, VisitorQueueOut]]] = {}
        self._announced_at: dict[int, float] = {}
        self.assignments = 0  # decisions made by this node (benchmarks read it)

    def kick(self, kicks: set[tuple[int, int | None]]) -> None:
        for inbox_id, conversation_id in kicks:
            self._inboxes.add(inbox_id)
            if conversation_id is not None:
                self._routes.add(conversation_id)
        if self._task is None:
            self._idle.clear()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def settle(self) -> None:
        """Wait until every kick so far has been handled (tests, benchmarks)."""
        await self._idle.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        try:
            while self._routes or self._inboxes:
                routes, self._routes = sorted(self._routes), set()
                inboxes, self._inboxes = self._inboxes, set()
                for conversation_id in routes:
                    await self._write(do_route_conversation, conversation_id=conversation_id)
                while await self._write(do_assign_next):
                    self.assignments += 1
                # Kicks that came meanwhile (our own assignments too) are announced together.
                inboxes |= self._inboxes
                self._inboxes = set()
                for inbox_id in sorted(inboxes):
                    await self._announce(inbox_id)
        except Exception:
            log.exception("routing dispatcher failed; the next kick or sweep retries")
        finally:
            self._task = None
            if self._routes or self._inboxes:
                self.kick(set())  # arrived while we were finishing
            else:
                self._idle.set()

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

    async def _announce(self, inbox_id: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._announced_at.get(inbox_id, 0.0) < ANNOUNCE_INTERVAL:
            await asyncio.sleep(ANNOUNCE_INTERVAL - (now - self._announced_at[inbox_id]))
        self._announced_at[inbox_id] = time.monotonic()
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
            if force or previous is None or previous[2] != place.queue:
                told[place.conversation_id] = (place.contact_id, place.public_id, place.queue)
                events.append(
                    _contact_event(inbox_id, place.contact_id, place.public_id, place.queue)
                )
        await self.publish(events)

    async def sweep(self, *, stuck_after: float = 10.0) -> None:
        """Route conversations whose routing step never ran (a node died between commit and
        dispatch), drain, and re-announce every queue in full."""
        since = utcnow() - timedelta(seconds=stuck_after)
        async with self.db.read() as session:
            stuck = list(
                await session.scalars(
                    select(Conversation.id).where(
                        Conversation.routing_state.in_(("new", "reopened")),
                        Conversation.waiting_since.is_not(None),
                        Conversation.waiting_since < since,
                        Conversation.status != "resolved",
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
        for inbox_id in sorted(queued | set(self._told)):
            await self._announce(inbox_id, force=True)


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
