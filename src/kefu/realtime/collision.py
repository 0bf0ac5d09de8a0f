"""The console socket's `viewing` frames (agent collision; realtime/viewers.py keeps the state)."""

from __future__ import annotations

import logging

from kefu.auth.principals import AgentPrincipal
from kefu.conversations.queries import access_conversation
from kefu.errors import NotFound
from kefu.events.types import Event
from kefu.realtime import protocol
from kefu.realtime.hub import Connection
from kefu.realtime.viewers import viewing_event
from kefu.runtime import Runtime

log = logging.getLogger(__name__)
VIEWERS = "viewers"


async def handle_viewing(
    runtime: Runtime, conn: Connection, actor: AgentPrincipal, frame: protocol.AgentViewing
) -> None:
    """Start, refresh (heartbeat) or stop viewing a conversation. Every start and refresh checks
    that the agent may still see it: one who lost access stops being announced, and hears no
    more about it."""
    registry = runtime.hub.viewers
    current = registry.current(conn)
    if not frame.on:
        if current is not None and current.conversation_id == frame.conversation_id:
            await stop_viewing(runtime, conn, actor)
        return
    try:
        async with runtime.db.read() as session:
            conversation = await access_conversation(
                session=session, actor=actor, conversation_id=frame.conversation_id
            )
    except NotFound:
        await stop_viewing(runtime, conn, actor)
        raise
    published: list[Event] = []
    if current is not None and current.conversation_id != conversation.id:
        published.append(
            viewing_event(current, user_id=actor.user_id, name=actor.user.name, on=False)
        )
    watch, fresh = registry.watch(conn, conversation.id, conversation.inbox_id)
    if fresh:
        # Who is there already (heard from every node), before this console's own news.
        others = registry.snapshot(conversation.id, exclude_user=actor.user_id)
        conn.send_now({"type": VIEWERS, "conversation_id": conversation.id, "viewers": others})
    published.append(viewing_event(watch, user_id=actor.user_id, name=actor.user.name, on=True))
    await runtime.broker.publish(published)


async def stop_viewing(runtime: Runtime, conn: Connection, actor: AgentPrincipal) -> None:
    """The console left the conversation (or closed): say goodbye to the other viewers."""
    watch = runtime.hub.viewers.unwatch(conn)
    if watch is None:
        return
    try:
        await runtime.broker.publish(
            [viewing_event(watch, user_id=actor.user_id, name=actor.user.name, on=False)]
        )
    except Exception:  # the goodbye is a courtesy: without it, the viewer expires
        log.exception("publishing a viewing goodbye failed")
