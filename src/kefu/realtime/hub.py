"""The node-local registry of WebSocket connections and the fan-out of events to them.

Sending never blocks the dispatcher: each connection has a small queue, drained by a task that
exists only while there is something to send (idle connections cost no task). A client too slow
to keep up is disconnected and will resume from its last seq.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.websockets import WebSocket

from kefu.events import types
from kefu.events.types import Event
from kefu.notifications.delivery import AlertPreferences
from kefu.realtime.viewers import ViewerRegistry

log = logging.getLogger(__name__)

MAX_PENDING = 2000
RESYNC = orjson.dumps({"type": "resync"}).decode()

# One queued frame: (conversation id or None, seq or None, JSON text).
Frame = tuple[int | None, int | None, str]
# Shared by every connection that belongs to no inbox (all widget sockets).
NO_INBOXES: frozenset[int] = frozenset()


class Connection:
    __slots__ = (
        "ws",
        "user_id",
        "is_admin",
        "is_lead",
        "inbox_ids",
        "contact_id",
        "_pending",
        "_sender",
        "_paused",
        "closed",
        "conversation_id",
        "restricted",
        "team_ids",
    )

    def __init__(
        self,
        ws: WebSocket,
        *,
        user_id: int | None = None,
        is_admin: bool = False,
        is_lead: bool = False,
        inbox_ids: Iterable[int] = (),
        contact_id: int | None = None,
        restricted: Iterable[int] = (),
        team_ids: Iterable[int] = (),
    ) -> None:
        self.ws = ws
        self.user_id = user_id
        self.is_admin = is_admin
        self.is_lead = is_lead or is_admin  # supervisors and admins see colleagues' capacity
        # Immutable, so that the many connections with none can share one empty set.
        self.inbox_ids: frozenset[int] = frozenset(inbox_ids) or NO_INBOXES
        self.contact_id = contact_id
        # Inboxes where this agent sees only conversations assigned to them, to their teams, or
        # to nobody (kefu.conversations.visibility), and the teams that counts.
        self.restricted: frozenset[int] = frozenset(restricted) or NO_INBOXES
        self.team_ids: frozenset[int] = frozenset(team_ids) or NO_INBOXES
        # Created by the first frame and dropped once all is sent: an idle socket holds no
        # queue (an empty deque is ~600 bytes, times every open socket).
        self._pending: deque[Frame] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._paused = False
        self.closed = False
        # A widget socket's open conversation, once known: lets its messages join a batch.
        self.conversation_id: int | None = None

    def push(self, frame: Frame) -> None:
        if self.closed:
            return
        pending = self._pending
        if pending is None:
            pending = self._pending = deque()
        elif len(pending) >= MAX_PENDING:
            log.warning("dropping a slow client; it will resume from its last seq")
            self.closed = True
            self._pending = None
            asyncio.get_running_loop().create_task(self._close(1013))
            return
        pending.append(frame)
        self._kick()

    def send_now(self, data: dict[str, Any]) -> None:
        self.push((None, None, orjson.dumps(data).decode()))

    def pause(self) -> None:
        """Hold live events while a resume replays history from the database."""
        self._paused = True

    def finish_resume(self, conversation_id: int, upto_seq: int, replay: list[str]) -> None:
        """Send the replay, then the held live events it does not already cover."""
        held = [
            f
            for f in self._pending or ()
            if not (f[0] == conversation_id and f[1] is not None and f[1] <= upto_seq)
        ]
        self._pending = deque([(conversation_id, None, text) for text in replay] + held) or None
        self._paused = False
        self._kick()

    def _kick(self) -> None:
        if not self._paused and self._sender is None and self._pending:
            self._sender = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._pending and not self._paused and not self.closed:
                _, _, text = self._pending.popleft()
                await self.ws.send_text(text)
        except Exception:
            self.closed = True
        finally:
            self._sender = None
            if not self._pending:
                self._pending = None  # idle again: release the queue
        self._kick()

    async def _close(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code)


class Hub:
    def __init__(self) -> None:
        self.by_inbox: dict[int, set[Connection]] = {}
        self.admins: set[Connection] = set()
        # Lists, not sets: a visitor has one socket or a few, and a set costs ~150 bytes more
        # than a one-item list on every widget socket.
        self.by_contact: dict[int, list[Connection]] = {}
        self.by_user: dict[int, set[Connection]] = {}
        self.viewers = ViewerRegistry()  # agent collision: who views what
        self.alerts = AlertPreferences()  # connected users' notification preferences

    def add(self, conn: Connection) -> None:
        if conn.user_id is not None:
            self.by_user.setdefault(conn.user_id, set()).add(conn)
            if conn.is_admin:
                self.admins.add(conn)
            for inbox_id in conn.inbox_ids:
                self.by_inbox.setdefault(inbox_id, set()).add(conn)
        if conn.contact_id is not None:
            group = self.by_contact.setdefault(conn.contact_id, [])
            if conn not in group:
                group.append(conn)

    def remove(self, conn: Connection) -> None:
        conn.closed = True
        if conn.user_id is not None:
            self.viewers.unwatch(conn)
            _discard(self.by_user, conn.user_id, conn)
            if conn.user_id not in self.by_user:
                self.alerts.forget(conn.user_id)
            self.admins.discard(conn)
            for inbox_id in conn.inbox_ids:
                _discard(self.by_inbox, inbox_id, conn)
        if conn.contact_id is not None:
            group = self.by_contact.get(conn.contact_id)
            if group is not None and conn in group:
                group.remove(conn)
                if not group:
                    del self.by_contact[conn.contact_id]

    def dispatch(self, event: Event) -> None:
        """Deliver one committed (or ephemeral) event to this node's recipients."""
        key = event.agent.get("conversation_id")
        seq = event.agent.get("seq") if event.type == types.MESSAGE_CREATED else None
        if event.type == types.VIEWING:
            self.viewers.dispatch(event)
            return
        if event.type == types.INBOX_CHANGED:
            self._apply_membership(event)
        elif event.type == types.TEAM_CHANGED:
            self._apply_team(event)
            return
        if event.type == types.AGENT_UPDATED:
            self._dispatch_agent_update(event)
            return
        if event.user_ids is not None:
            self._dispatch_personal(event)
            return
        if event.type == types.CONTACT_MERGED and event.contact_id is not None:
            self._drop_contact(event.contact_id)
            return
        agents: set[Connection] = set(self.admins)
        if event.inbox_id is not None:
            agents |= self.by_inbox.get(event.inbox_id, set())
        if agents and event.agent:  # an empty agent payload: for the customer only
            text = orjson.dumps(event.agent).decode()
            removed: str | None = None
            for conn in agents:
                if event.type == types.TYPING and conn.user_id == event.actor_user_id:
                    continue
                if not self._may_see(conn, event):
                    if event.type == types.CONVERSATION_UPDATED:
                        removed = (
                            removed
                            or orjson.dumps(
                                {"type": types.CONVERSATION_REMOVED, "conversation_id": key}
                            ).decode()
                        )
                        conn.push((key, None, removed))
                    continue
                conn.push((key, seq, text))
        if event.contact is not None and event.contact_id is not None:
            visitors = self.by_contact.get(event.contact_id)
            if visitors:
                text = orjson.dumps(event.contact).decode()
                for conn in visitors:
                    conn.push((key, seq, text))

    def _dispatch_agent_update(self, event: Event) -> None:
        """Presence and skills go to every console; capacity only to supervisors, admins and
        the agent themself (as GET /agents/status shows it)."""
        full = orjson.dumps(event.agent).decode()
        public = orjson.dumps(
            {k: v for k, v in event.agent.items() if k != "max_conversations"}
        ).decode()
        subject = event.agent["user_id"]
        for user_id, conns in self.by_user.items():
            for conn in conns:
                conn.push((None, None, full if conn.is_lead or user_id == subject else public))

    @staticmethod
    def _may_see(conn: Connection, event: Event) -> bool:
        if event.owner is None or event.inbox_id not in conn.restricted:
            return True
        assignee_id, team_id = event.owner
        return assignee_id is None or assignee_id == conn.user_id or team_id in conn.team_ids

    def _apply_team(self, event: Event) -> None:
        team_id = event.agent["team_id"]
        members = set(event.agent["member_ids"])
        for user_id, conns in self.by_user.items():
            for conn in conns:
                if user_id in members:
                    conn.team_ids = conn.team_ids | {team_id}
                elif team_id in conn.team_ids:
                    conn.team_ids = conn.team_ids - {team_id}

    def _dispatch_personal(self, event: Event) -> None:
        """An event for named users only (a notification): to each of their consoles, with the
        alert flags their preferences give (notifications/delivery.py)."""
        self.alerts.observe(event)
        for user_id in event.user_ids or ():
            conns = self.by_user.get(user_id)
            if not conns:
                continue
            text = orjson.dumps(self.alerts.payload_for(event, user_id)).decode()
            for conn in conns:
                conn.push((None, None, text))

    def _drop_contact(self, contact_id: int) -> None:
        """A merged-away contact's widget sockets: closed (1012, "reconnect"), so that they come
        back under the survivor their token now resolves to (kefu/contacts/merge.py)."""
        for conn in list(self.by_contact.get(contact_id, ())):
            conn.closed = True
            asyncio.get_running_loop().create_task(conn._close(1012))

    def _apply_membership(self, event: Event) -> None:
        inbox_id = event.agent["inbox_id"]
        members = set(event.agent["member_ids"])
        own = event.agent.get("agent_visibility") == "own"
        for user_id, conns in self.by_user.items():
            for conn in conns:
                if conn.is_admin:
                    continue
                if own and not conn.is_lead:
                    conn.restricted = conn.restricted | {inbox_id}
                elif inbox_id in conn.restricted:
                    conn.restricted = conn.restricted - {inbox_id}
                if user_id in members and inbox_id not in conn.inbox_ids:
                    conn.inbox_ids |= {inbox_id}
                    self.by_inbox.setdefault(inbox_id, set()).add(conn)
                elif user_id not in members and inbox_id in conn.inbox_ids:
                    conn.inbox_ids -= {inbox_id}
                    _discard(self.by_inbox, inbox_id, conn)

    async def resync_all(self) -> None:
        """After a broker outage: every client re-fetches from its last seq."""
        for conn in self._all():
            conn.push((None, None, RESYNC))

    def _all(self) -> set[Connection]:
        conns: set[Connection] = set()
        for group in (*self.by_user.values(), *self.by_contact.values()):
            conns.update(group)
        return conns

    async def close_all(self) -> None:
        for conn in self._all():
            conn.closed = True
            await conn._close(1012)  # service restart: clients reconnect elsewhere


def _discard(index: dict[int, set[Connection]], key: int, conn: Connection) -> None:
    group = index.get(key)
    if group is not None:
        group.discard(conn)
        if not group:
            del index[key]
