"""WebSocket endpoints: /ws/console for agents, /ws/widget for website visitors.

Both speak JSON frames (docs/realtime.md). A client that reconnects sends `resume` with the last
seq it saw per conversation and receives everything after it, from the database, before any live
event for that conversation: no gap, no duplicate.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from kefu.auth.dependencies import (
    authenticate_agent,
    get_runtime,
    read_visitor_token,
    resolve_visitor,
)
from kefu.auth.principals import AgentPrincipal, VisitorPrincipal
from kefu.channels.web.origins import origin_allowed, origin_of
from kefu.conversations import events
from kefu.conversations.actions import (
    do_mark_read_by_agent,
    do_mark_read_by_visitor,
)
from kefu.conversations.models import Conversation
from kefu.conversations.queries import (
    access_conversation,
    access_visitor_conversation,
    get_current_visitor_conversation,
    get_open_conversation_id,
)
from kefu.conversations.visibility import load_viewer
from kefu.errors import KefuError, NotFound
from kefu.events import types
from kefu.events.types import Event
from kefu.messages.actions import DuplicateSend, do_send_agent_message
from kefu.messages.queries import list_messages
from kefu.notifications.queries import get_preferences
from kefu.realtime import collision, protocol
from kefu.realtime.hub import Connection
from kefu.routing.presence import do_record_console_connections
from kefu.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403
REPLAY_PAGE = 200


@router.websocket("/ws/console")
async def console_socket(ws: WebSocket) -> None:
    runtime = get_runtime(ws)
    await ws.accept()
    try:
        actor = await authenticate_agent(ws, check_csrf=False)
    except KefuError as exc:
        await _refuse(ws, CLOSE_UNAUTHORISED, exc)
        return
    origin = ws.headers.get("origin")
    if actor.via == "session" and origin and origin_of(origin) != _own_origin(ws):
        # A cookie-authenticated socket opened by another site's page (cross-site hijacking).
        await _refuse(
            ws, CLOSE_FORBIDDEN, KefuError("Cross-origin console socket.", code="bad_origin")
        )
        return
    async with runtime.db.read() as session:
        viewer = await load_viewer(session=session, actor=actor, with_teams=True)
        preferences = await get_preferences(session=session, user_id=actor.user_id)
    runtime.hub.alerts.set(actor.user_id, preferences)
    conn = Connection(
        ws,
        user_id=actor.user_id,
        is_admin=actor.is_admin,
        is_lead=actor.user.role in ("admin", "supervisor"),
        inbox_ids=viewer.inbox_ids or (),
        restricted=viewer.restricted_inbox_ids,
        team_ids=viewer.team_ids,
    )
    # hello first, before any event can be queued for the socket.
    conn.send_now({"type": "hello", "user_id": actor.user_id, "node": runtime.settings.node_name})
    runtime.hub.add(conn)
    await _count_consoles(runtime, actor.user_id)
    try:
        while True:
            raw = await ws.receive_text()
            await _agent_frame(runtime, conn, actor, raw)
    except WebSocketDisconnect:
        pass
    finally:
        await collision.stop_viewing(runtime, conn, actor)
        runtime.hub.remove(conn)
        await _count_consoles(runtime, actor.user_id)


async def _count_consoles(runtime: Runtime, user_id: int) -> None:
    """Record how many consoles the agent has open here: presence expiry reads it."""
    count = len(runtime.hub.by_user.get(user_id, ()))
    try:
        async with runtime.db.write() as session:
            await do_record_console_connections(
                session, user_id=user_id, node=runtime.settings.node_name, connections=count
            )
    except Exception:  # bookkeeping must not break the socket; the heartbeat corrects it
        log.exception("recording console connections failed")


@router.websocket("/ws/widget")
async def widget_socket(ws: WebSocket) -> None:
    runtime = get_runtime(ws)
    await ws.accept()
    opened = await _open_widget(runtime, ws)
    if opened is None:
        return
    conn, visitor, inbox_key = opened
    conn.send_now({"type": "hello", "node": runtime.settings.node_name})
    runtime.hub.add(conn)
    try:
        while True:
            raw = await ws.receive_text()
            await _visitor_frame(runtime, conn, visitor, inbox_key, raw)
    except WebSocketDisconnect:
        pass
    finally:
        runtime.hub.remove(conn)


async def _open_widget(
    runtime: Runtime, ws: WebSocket
) -> tuple[Connection, VisitorPrincipal, str] | None:
    """Check the widget socket's inbox, origin and token and find its open conversation, or
    refuse it (None). A function of its own so that what only the handshake needs (the database
    session, the inbox) is freed on return instead of living in the socket's frame for hours:
    thousands of idle sockets each keeping a closed AsyncSession cost ~4 KB apiece."""
    inbox_key = ws.query_params.get("inbox", "")
    inbox = await runtime.inboxes.by_key(inbox_key)
    if inbox is None:
        await _refuse(ws, CLOSE_FORBIDDEN, NotFound("Inbox not found."))
        return None
    origin = ws.headers.get("origin")
    if origin and not origin_allowed(inbox, origin, own_origin=_own_origin(ws)):
        await _refuse(
            ws, CLOSE_FORBIDDEN, KefuError("Origin not allowed.", code="origin_not_allowed")
        )
        return None
    try:
        visitor = read_visitor_token(runtime, ws.query_params.get("token"), inbox.id)
    except KefuError as exc:
        await _refuse(ws, CLOSE_UNAUTHORISED, exc)
        return None
    # Bounded: thousands of sockets reconnecting at once (a node restart) would otherwise run
    # thousands of lookups at once, and the memory of that peak is never given back.
    async with runtime.connect_lookups, runtime.db.read() as session:
        visitor = await resolve_visitor(session, visitor)  # a merged-away contact's token
        open_id = await get_open_conversation_id(session=session, visitor=visitor)
    conn = Connection(ws, contact_id=visitor.contact_id)
    conn.conversation_id = open_id
    return conn, visitor, inbox_key


def _own_origin(ws: WebSocket) -> str:
    runtime = get_runtime(ws)
    host = ws.headers.get("host", "")
    # The scope's scheme, not ws.url: the URL object would stay cached on every open socket.
    scheme = "https" if ws.scope.get("scheme") == "wss" else "http"
    return origin_of(f"{scheme}://{host}") if host else origin_of(runtime.settings.base_url())


async def _refuse(ws: WebSocket, code: int, exc: KefuError) -> None:
    await ws.send_text(orjson.dumps(_error(None, exc)).decode())
    await ws.close(code=code)


def _error(ref: str | None, exc: KefuError) -> dict[str, Any]:
    return {"type": "error", "ref": ref, "error": {"code": exc.code, "message": exc.message}}


async def _agent_frame(runtime: Runtime, conn: Connection, actor: AgentPrincipal, raw: str) -> None:
    try:
        frame = protocol.AgentFrame.validate_json(raw)
    except ValidationError as exc:
        conn.send_now(_error(None, KefuError(_first_error(exc), code="invalid_frame")))
        return
    try:
        if isinstance(frame, protocol.Ping):
            conn.send_now({"type": "pong", "ref": frame.ref})
        elif isinstance(frame, protocol.AgentResume):
            await _agent_resume(runtime, conn, actor, frame)
        elif isinstance(frame, protocol.AgentSend):
            try:
                async with runtime.db.write() as session:
                    conversation = await access_conversation(
                        session=session, actor=actor, conversation_id=frame.conversation_id
                    )
                    message = await do_send_agent_message(
                        session,
                        actor=actor,
                        conversation=conversation,
                        text=frame.text,
                        private=frame.private,
                        client_msg_id=frame.client_msg_id,
                        mentions=frame.mentions,
                    )
                created = True
            except DuplicateSend as retry:
                message, conversation = await retry.original(runtime.db)
                created = False
            conn.send_now(
                _ack(frame.ref, frame.client_msg_id, conversation.id, message.seq, created)
            )
        elif isinstance(frame, protocol.AgentTyping):
            async with runtime.db.read() as session:
                conversation = await access_conversation(
                    session=session, actor=actor, conversation_id=frame.conversation_id
                )
            await runtime.broker.publish([_agent_typing(conversation, actor, frame)])
        elif isinstance(frame, protocol.AgentViewing):
            await collision.handle_viewing(runtime, conn, actor, frame)
        elif isinstance(frame, protocol.AgentRead):
            async with runtime.db.write() as session:
                conversation = await access_conversation(
                    session=session, actor=actor, conversation_id=frame.conversation_id
                )
                await do_mark_read_by_agent(
                    session, actor=actor, conversation=conversation, seq=frame.seq
                )
    except KefuError as exc:
        conn.send_now(_error(frame.ref, exc))


async def _visitor_frame(
    runtime: Runtime, conn: Connection, visitor: VisitorPrincipal, inbox_key: str, raw: str
) -> None:
    try:
        frame = protocol.VisitorFrame.validate_json(raw)
    except ValidationError as exc:
        conn.send_now(_error(None, KefuError(_first_error(exc), code="invalid_frame")))
        return
    try:
        if isinstance(frame, protocol.Ping):
            conn.send_now({"type": "pong", "ref": frame.ref})
        elif isinstance(frame, protocol.VisitorResume):
            await _visitor_resume(runtime, conn, visitor, frame)
        elif isinstance(frame, protocol.VisitorSend):
            inbox = await runtime.inboxes.by_key(inbox_key)
            if inbox is None:
                raise NotFound("Inbox not found.")
            message, conversation, created = await runtime.visitor_sends.send(
                visitor=visitor,
                inbox=inbox,
                conversation_id=conn.conversation_id,
                text=frame.text,
                client_msg_id=frame.client_msg_id,
            )
            conn.conversation_id = conversation.id if conversation.status == "open" else None
            conn.send_now(
                _ack(frame.ref, frame.client_msg_id, conversation.public_id, message.seq, created)
            )
        elif isinstance(frame, protocol.VisitorTyping):
            async with runtime.db.read() as session:
                current = await get_current_visitor_conversation(session=session, visitor=visitor)
            if current is not None:
                await runtime.broker.publish([_visitor_typing(current, frame.on)])
        elif isinstance(frame, protocol.VisitorRead):
            async with runtime.db.write() as session:
                current = await get_current_visitor_conversation(session=session, visitor=visitor)
                if current is not None:
                    await do_mark_read_by_visitor(
                        session, actor=visitor, conversation=current, seq=frame.seq
                    )
    except KefuError as exc:
        conn.send_now(_error(frame.ref, exc))


def _ack(
    ref: str | None, client_msg_id: str | None, conversation_id: int | str, seq: int, created: bool
) -> dict[str, Any]:
    return {
        "type": "ack",
        "ref": ref,
        "client_msg_id": client_msg_id,
        "conversation_id": conversation_id,
        "seq": seq,
        "duplicate": not created,
    }


async def _agent_resume(
    runtime: Runtime, conn: Connection, actor: AgentPrincipal, frame: protocol.AgentResume
) -> None:
    conn.pause()
    replay: list[str] = []
    upto = frame.last_seq
    try:
        async with runtime.db.read() as session:
            conversation = await access_conversation(
                session=session, actor=actor, conversation_id=frame.conversation_id
            )
            upto = await _collect_replay(runtime, conversation, frame.last_seq, replay, agent=True)
        replay.append(orjson.dumps(events.conversation_changed(conversation).agent).decode())
        replay.append(_resumed(frame.ref, conversation.id, upto))
    finally:
        conn.finish_resume(frame.conversation_id, upto, replay)


async def _visitor_resume(
    runtime: Runtime, conn: Connection, visitor: VisitorPrincipal, frame: protocol.VisitorResume
) -> None:
    conn.pause()
    replay: list[str] = []
    upto = frame.last_seq
    conversation_id = -1
    try:
        async with runtime.db.read() as session:
            conversation = await access_visitor_conversation(
                session=session, visitor=visitor, public_id=frame.conversation_id
            )
            conversation_id = conversation.id
            upto = await _collect_replay(runtime, conversation, frame.last_seq, replay, agent=False)
        contact_view = events.conversation_changed(conversation).contact
        replay.append(orjson.dumps(contact_view).decode())
        replay.append(_resumed(frame.ref, conversation.public_id, upto))
    finally:
        conn.finish_resume(conversation_id, upto, replay)


async def _collect_replay(
    runtime: Runtime, conversation: Conversation, after_seq: int, out: list[str], *, agent: bool
) -> int:
    """Append every message after `after_seq` as the live event frames; return the last seq."""
    async with runtime.db.read() as session:
        cursor = after_seq
        while True:
            messages, has_more = await list_messages(
                session=session,
                conversation_id=conversation.id,
                after_seq=cursor,
                limit=REPLAY_PAGE,
                public_only=not agent,
            )
            for message in messages:
                event = events.message_created(conversation, message)
                payload = event.agent if agent else event.contact
                out.append(orjson.dumps(payload).decode())
                cursor = message.seq
            if not has_more:
                break
    return max(cursor, conversation.last_seq)


def _resumed(ref: str | None, conversation_id: int | str, upto: int) -> str:
    frame = {"type": "resumed", "ref": ref, "conversation_id": conversation_id, "last_seq": upto}
    return orjson.dumps(frame).decode()


def _agent_typing(
    conversation: Conversation, actor: AgentPrincipal, frame: protocol.AgentTyping
) -> Event:
    agent = {
        "type": types.TYPING,
        "conversation_id": conversation.id,
        "inbox_id": conversation.inbox_id,
        "who": "agent",
        "user_id": actor.user_id,
        "name": actor.user.name,
        "on": frame.on,
        "private": frame.private,
    }
    contact = None
    if not frame.private:
        contact = {
            "type": types.TYPING,
            "conversation_id": conversation.public_id,
            "who": "agent",
            "name": actor.user.name,
            "on": frame.on,
        }
    return Event(
        type=types.TYPING,
        inbox_id=conversation.inbox_id,
        contact_id=conversation.contact_id if contact else None,
        agent=agent,
        contact=contact,
        actor_user_id=actor.user_id,
        owner=events.owner(conversation),
    )


def _visitor_typing(conversation: Conversation, on: bool) -> Event:
    return Event(
        type=types.TYPING,
        inbox_id=conversation.inbox_id,
        agent={
            "type": types.TYPING,
            "conversation_id": conversation.id,
            "inbox_id": conversation.inbox_id,
            "who": "contact",
            "user_id": None,
            "name": conversation.contact.name,
            "on": on,
            "private": False,
        },
        owner=events.owner(conversation),
    )


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0] if exc.errors() else {"msg": "invalid frame", "loc": ()}
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err['msg']}" if where else str(err["msg"])
