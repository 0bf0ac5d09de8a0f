"""Who is viewing which conversation (agent collision), kept in memory on every node.

Nothing is stored. A console says which conversation it shows (`viewing` frames, repeated every
heartbeat while the tab is visible); the node checks that the agent may see it and publishes a
`viewing` event through the broker, so every node hears it. Each node keeps what it heard, with
an expiry, and delivers the event only to its consoles that view the same conversation: they
passed the same visibility check for it, so nobody who cannot see a conversation learns who
looks at it. A console that vanishes without a goodbye (its node died) stops refreshing, and
everyone forgets it after `expires_in` seconds.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from kefu.events import types
from kefu.events.types import Event

if TYPE_CHECKING:
    from kefu.realtime.hub import Connection

HEARTBEAT_SECONDS = 15.0  # how often a console repeats `viewing` (docs/realtime.md)
TTL_SECONDS = 45.0  # three missed heartbeats: gone


@dataclass(slots=True)
class _Heard:
    user_id: int
    name: str
    expires: float  # time.monotonic() of this node


@dataclass(frozen=True, slots=True)
class Watch:
    """One local console's viewing: the conversation, its inbox, and the viewer key."""

    conversation_id: int
    inbox_id: int
    key: str


def viewing_event(
    watch: Watch, *, user_id: int, name: str, on: bool, ttl: float | None = None
) -> Event:
    return Event(
        type=types.VIEWING,
        inbox_id=watch.inbox_id,
        actor_user_id=user_id,
        agent={
            "type": types.VIEWING,
            "conversation_id": watch.conversation_id,
            "inbox_id": watch.inbox_id,
            "user_id": user_id,
            "name": name,
            "viewer": watch.key,
            "on": on,
            "expires_in": TTL_SECONDS if ttl is None else ttl,
        },
    )


class ViewerRegistry:
    def __init__(self) -> None:
        # Cluster-wide, as heard through the broker: conversation -> viewer key -> viewer.
        self._heard: dict[int, dict[str, _Heard]] = {}
        # This node's consoles: what each views, and who views each conversation.
        self._local: dict[Connection, Watch] = {}
        self._watchers: dict[int, set[Connection]] = {}
        self._swept = time.monotonic()

    def current(self, conn: Connection) -> Watch | None:
        return self._local.get(conn)

    def watch(self, conn: Connection, conversation_id: int, inbox_id: int) -> tuple[Watch, bool]:
        """The console views `conversation_id` (replacing what it viewed before, which the
        caller announces as left). True if it was not viewing it already."""
        known = self._local.get(conn)
        if known is not None and known.conversation_id == conversation_id:
            return known, False
        self.unwatch(conn)
        watch = Watch(conversation_id, inbox_id, secrets.token_hex(6))
        self._local[conn] = watch
        self._watchers.setdefault(conversation_id, set()).add(conn)
        return watch, True

    def unwatch(self, conn: Connection) -> Watch | None:
        watch = self._local.pop(conn, None)
        if watch is not None:
            group = self._watchers.get(watch.conversation_id)
            if group is not None:
                group.discard(conn)
                if not group:
                    del self._watchers[watch.conversation_id]
        return watch

    def snapshot(self, conversation_id: int, *, exclude_user: int) -> list[dict[str, Any]]:
        """The other agents viewing a conversation now, for a console that just opened it."""
        now = time.monotonic()
        return [
            {
                "user_id": v.user_id,
                "name": v.name,
                "viewer": key,
                "expires_in": round(v.expires - now, 1),
            }
            for key, v in self._prune(conversation_id, now).items()
            if v.user_id != exclude_user
        ]

    def dispatch(self, event: Event) -> None:
        """A `viewing` event from any node: remember it, and tell this node's consoles that view
        the same conversation (never the viewer's own consoles)."""
        payload = event.agent
        conversation_id = payload["conversation_id"]
        now = time.monotonic()
        heard = self._heard.setdefault(conversation_id, {})
        if payload["on"]:
            heard[payload["viewer"]] = _Heard(
                payload["user_id"], payload["name"], now + float(payload["expires_in"])
            )
        else:
            heard.pop(payload["viewer"], None)
        self._prune(conversation_id, now)
        if now - self._swept > TTL_SECONDS:
            self._sweep(now)
        watchers = self._watchers.get(conversation_id)
        if not watchers:
            return
        text = orjson.dumps(payload).decode()
        for conn in watchers:
            if conn.user_id != payload["user_id"]:
                conn.push((None, None, text))

    def _prune(self, conversation_id: int, now: float) -> dict[str, _Heard]:
        heard = self._heard.get(conversation_id, {})
        for key in [k for k, v in heard.items() if v.expires <= now]:
            del heard[key]
        if not heard:
            self._heard.pop(conversation_id, None)
        return heard

    def _sweep(self, now: float) -> None:
        """Forget expired viewers of every conversation (consoles of a node that died)."""
        self._swept = now
        for conversation_id in list(self._heard):
            self._prune(conversation_id, now)
