"""Two kefu nodes behind one PostgreSQL and one Redis: a visitor on node A and an agent on node
B talk live; node A killed mid-conversation and restarted loses nothing; one visitor starting
a chat on both nodes at once gets one conversation. (How and when these run: conftest.py.)"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from kefu.auth.tokens import TokenSigner
from kefu.contacts.actions import do_create_visitor
from kefu.conversations.models import Conversation
from kefu.db import Database
from kefu.inboxes.queries import get_inbox_by_key
from kefu.messages.models import Message
from tests.multinode.conftest import Cluster, Node

pytestmark = pytest.mark.multinode

Frame = dict[str, Any]
AGENT_EMAIL = "mei@kefu.local"


class Socket:
    """A client WebSocket whose frames are read in the background, so a test can wait for a
    frame matching a predicate while other frames keep arriving."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        self.closed = False
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, headers: dict[str, str] | None = None) -> Socket:
        return cls(await websockets.connect(url, additional_headers=headers))

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            self._changed.set()

    async def wait_for(
        self, predicate: Callable[[Frame], bool], *, after: int = 0, within: float = 10.0
    ) -> Frame:
        """The first frame at index >= after that matches."""
        async with asyncio.timeout(within):
            while True:
                for frame in self.frames[after:]:
                    if predicate(frame):
                        return frame
                if self.closed:
                    raise AssertionError(f"socket closed without the frame; got {self.frames}")
                self._changed.clear()
                await self._changed.wait()

    async def wait_closed(self, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            await self._reader

    async def request(self, frame: Frame, within: float = 10.0) -> Frame:
        """Send a frame with a fresh ref; return the server's ack (or error) for it."""
        ref = uuid.uuid4().hex
        start = len(self.frames)
        await self.ws.send(json.dumps({**frame, "ref": ref}))
        reply = await self.wait_for(
            lambda f: f.get("ref") == ref and f["type"] in ("ack", "error", "resumed"),
            after=start,
            within=within,
        )
        assert reply["type"] != "error", reply
        return reply

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


async def api_token(http: httpx.AsyncClient, node: Node, cluster: Cluster, email: str) -> str:
    """Log in on `node` (cookie + CSRF header) and create a personal API token there."""
    login = await http.post(
        f"{node.base_url}/api/v1/auth/login",
        json={"email": email, "password": cluster.logins[email]},
    )
    assert login.status_code == 200, login.text
    created = await http.post(
        f"{node.base_url}/api/v1/me/tokens",
        json={"name": f"multinode {node.name}"},
        headers={"x-csrf-token": login.json()["csrf_token"]},
    )
    assert created.status_code == 201, created.text
    token: str = created.json()["token"]
    return token


async def visitor_post(
    http: httpx.AsyncClient, node: Node, cluster: Cluster, text: str, token: str | None = None
) -> Frame:
    response = await http.post(
        f"{node.base_url}/api/v1/widget/{cluster.inbox_key}/messages",
        json={"text": text, "client_msg_id": uuid.uuid4().hex},
        headers={"x-kefu-visitor": token} if token else {},
    )
    assert response.status_code == 200, response.text
    body: Frame = response.json()
    return body


async def until(event: asyncio.Event, task: asyncio.Task[None], within: float = 30.0) -> None:
    """Wait for `event`; if `task` ends first (it failed), raise its error instead of hanging."""
    waiter = asyncio.ensure_future(event.wait())
    done, _ = await asyncio.wait({waiter, task}, timeout=within, return_when="FIRST_COMPLETED")
    if waiter in done:
        return
    waiter.cancel()
    if task in done:
        task.result()
    raise AssertionError(f"timed out after {within}s waiting for the sender")


def created_with_text(text: str) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "message.created" and f["message"]["text"] == text


async def test_visitor_on_node_a_and_agent_on_node_b_talk_live(cluster: Cluster) -> None:
    cluster.ensure_running()
    a, b = cluster.a, cluster.b
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(timeout=10) as http:
        bearer = {"authorization": f"Bearer {await api_token(http, b, cluster, AGENT_EMAIL)}"}
        agent = await Socket.open(b.ws_url("/ws/console"), bearer)
        visitor: Socket | None = None
        try:
            hello = await agent.wait_for(lambda f: f["type"] == "hello")
            assert hello["node"] == b.name

            # The visitor starts the chat over REST on A; the agent on B sees it live via Redis.
            first = await visitor_post(http, a, cluster, f"hello {tag}")
            created = await agent.wait_for(created_with_text(f"hello {tag}"))
            conversation_id = created["conversation_id"]
            assert created["seq"] == first["message"]["seq"] == 1
            assert created["message"]["kind"] == "incoming"

            key, token = cluster.inbox_key, first["visitor_token"]
            visitor = await Socket.open(a.ws_url(f"/ws/widget?inbox={key}&token={token}"))
            assert (await visitor.wait_for(lambda f: f["type"] == "hello"))["node"] == a.name

            # Visitor -> A's socket -> database -> Redis -> B -> agent.
            ack = await visitor.request(
                {"type": "message.send", "text": f"live {tag}", "client_msg_id": f"v-{tag}"}
            )
            assert ack["duplicate"] is False and ack["seq"] == 2
            live = await agent.wait_for(created_with_text(f"live {tag}"))
            assert live["conversation_id"] == conversation_id and live["seq"] == 2
            assert live["message"]["client_msg_id"] == f"v-{tag}"

            # Agent typing and reply on B -> Redis -> A -> visitor.
            await agent.ws.send(
                json.dumps({"type": "typing", "conversation_id": conversation_id, "on": True})
            )
            typing = await visitor.wait_for(lambda f: f["type"] == "typing")
            assert typing["who"] == "agent" and typing["on"] is True
            reply = await agent.request(
                {
                    "type": "message.send",
                    "conversation_id": conversation_id,
                    "text": f"reply {tag}",
                    "client_msg_id": f"a-{tag}",
                }
            )
            assert reply["seq"] == 3 and reply["duplicate"] is False
            seen = await visitor.wait_for(created_with_text(f"reply {tag}"))
            assert seen["seq"] == 3 and seen["message"]["kind"] == "outgoing"
            assert seen["conversation_id"] == first["conversation"]["id"]

            # An internal note on B never reaches the visitor; the next reply does, after it.
            await agent.request(
                {
                    "type": "message.send",
                    "conversation_id": conversation_id,
                    "text": f"note {tag}",
                    "private": True,
                }
            )
            mark = len(visitor.frames)
            await agent.request(
                {"type": "message.send", "conversation_id": conversation_id, "text": f"r2 {tag}"}
            )
            after_note = await visitor.wait_for(created_with_text(f"r2 {tag}"), after=mark)
            assert after_note["seq"] == 5
            assert not any(
                f["type"] == "message.created" and f["message"]["text"] == f"note {tag}"
                for f in visitor.frames
            )
        finally:
            await agent.close()
            if visitor is not None:
                await visitor.close()


async def test_node_killed_mid_conversation_and_restarted_loses_nothing(cluster: Cluster) -> None:
    cluster.ensure_running()
    a, b = cluster.a, cluster.b
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(timeout=10) as http:
        token = await api_token(http, b, cluster, AGENT_EMAIL)
        bearer = {"authorization": f"Bearer {token}"}
        first = await visitor_post(http, a, cluster, f"start {tag}")
        public_id, visitor_token = first["conversation"]["id"], first["visitor_token"]
        widget_path = f"/ws/widget?inbox={cluster.inbox_key}&token={visitor_token}"

        agent = await Socket.open(b.ws_url("/ws/console"), bearer)
        visitor = await Socket.open(a.ws_url(widget_path))
        acked: dict[str, int] = {}  # text -> seq, for every message the server acknowledged
        try:
            await agent.wait_for(lambda f: f["type"] == "hello")
            await visitor.wait_for(lambda f: f["type"] == "hello")
            conversations = await http.get(f"{b.base_url}/api/v1/conversations", headers=bearer)
            conversation_id = next(
                c["id"]
                for c in conversations.json()["items"]
                if c["last_message_preview"] == f"start {tag}"
            )
            acked[f"start {tag}"] = first["message"]["seq"]
            for i in range(5):
                text = f"visitor {i} {tag}"
                ack = await visitor.request({"type": "message.send", "text": text})
                acked[text] = ack["seq"]

            kill_now, caught_up, may_go_live = asyncio.Event(), asyncio.Event(), asyncio.Event()

            async def agent_sends(texts: list[str]) -> None:
                """Replies through node B, alternating its REST API and its socket."""
                for text in texts:
                    if len(acked) % 2:
                        response = await http.post(
                            f"{b.base_url}/api/v1/conversations/{conversation_id}/messages",
                            json={"text": text, "client_msg_id": uuid.uuid4().hex},
                            headers=bearer,
                        )
                        assert response.status_code == 201, response.text
                        acked[text] = response.json()["seq"]
                    else:
                        ack = await agent.request(
                            {
                                "type": "message.send",
                                "conversation_id": conversation_id,
                                "text": text,
                                "client_msg_id": uuid.uuid4().hex,
                            }
                        )
                        acked[text] = ack["seq"]
                    if text == f"agent 9 {tag}":
                        kill_now.set()

            async def sender() -> None:
                await agent_sends([f"agent {i} {tag}" for i in range(30)])
                caught_up.set()
                await may_go_live.wait()
                await agent_sends([f"live {i} {tag}" for i in range(5)])

            sending = asyncio.create_task(sender())
            try:
                await until(kill_now, sending)
                # The visitor's last message races the kill: it may or may not be committed.
                await visitor.ws.send(json.dumps({"type": "message.send", "text": f"race {tag}"}))
                a.kill()
                acked_before_kill = dict(acked)
                await visitor.wait_closed()
                seen = [
                    f
                    for f in visitor.frames
                    if f["type"] == "message.created" and f["conversation_id"] == public_id
                ]
                assert [f["seq"] for f in seen] == sorted({f["seq"] for f in seen})
                last_seen = seen[-1]["seq"]
                assert last_seen >= 6  # at least its own five socket messages came back live

                # Node B keeps serving while A is down; A comes back on the same port. The
                # visitor reconnects once B's replies are all sent (a message sent between the
                # socket's hello and its resume frame would legitimately arrive twice).
                await a.start_async()
                await until(caught_up, sending)

                visitor = await Socket.open(a.ws_url(widget_path))
                await visitor.wait_for(lambda f: f["type"] == "hello")
                resumed = await visitor.request(
                    {"type": "resume", "conversation_id": public_id, "last_seq": last_seen}
                )
                replay = [
                    f
                    for f in visitor.frames
                    if f["type"] == "message.created" and f["conversation_id"] == public_id
                ]
                may_go_live.set()
                await sending
            finally:
                sending.cancel()

            # Exactly what the visitor missed: the customer-visible messages after last_seen.
            missed = await http.get(
                f"{b.base_url}/api/v1/widget/{cluster.inbox_key}/conversations/{public_id}"
                "/messages",
                params={"after_seq": last_seen, "limit": 200},
                headers={"x-kefu-visitor": visitor_token},
            )
            assert missed.status_code == 200, missed.text
            expected = [(m["seq"], m["text"]) for m in missed.json()["messages"]]
            expected = [(s, t) for s, t in expected if s <= resumed["last_seq"]]
            assert [(f["seq"], f["message"]["text"]) for f in replay] == expected
            # No notes or activity lines here, so the visitor sees every seq: no gap.
            assert [s for s, _ in expected] == list(range(last_seen + 1, resumed["last_seq"] + 1))
            assert len(expected) >= 15  # most of B's 30 replies were sent while A was down
            assert {t for _, t in expected} >= {
                f"agent {i} {tag}" for i in range(30) if acked[f"agent {i} {tag}"] > last_seen
            }

            # Then live again, via Redis from B: replay + live, each exactly once, in order.
            await visitor.wait_for(created_with_text(f"live 4 {tag}"))
            after_resume = [
                (f["seq"], f["message"]["text"])
                for f in visitor.frames
                if f["type"] == "message.created" and f["conversation_id"] == public_id
            ]
            live = [(acked[f"live {i} {tag}"], f"live {i} {tag}") for i in range(5)]
            assert after_resume == expected + live
            assert [s for s, _ in live] == list(
                range(resumed["last_seq"] + 1, resumed["last_seq"] + 6)
            )
        finally:
            await agent.close()
            await visitor.close()

        # Every acknowledged message is in the database, at its acknowledged seq; no gap.
        page = await http.get(
            f"{b.base_url}/api/v1/conversations/{conversation_id}/messages",
            params={"limit": 200},
            headers=bearer,
        )
        assert page.status_code == 200, page.text
        stored = {m["text"]: m["seq"] for m in page.json()["items"]}
        stored_seqs = sorted(stored.values())
        assert stored_seqs == list(range(1, len(stored_seqs) + 1))
        assert all(stored[text] == seq for text, seq in acked_before_kill.items())
        assert all(stored[text] == seq for text, seq in acked.items())
        assert len(stored) in (len(acked), len(acked) + 1)  # + the racing message, if committed
        assert set(stored) - set(acked) <= {f"race {tag}"}


async def test_one_visitor_starting_on_both_nodes_at_once_gets_one_conversation(
    cluster: Cluster,
) -> None:
    """The race is closed by the partial unique index on the open conversation, across nodes."""
    cluster.ensure_running()
    a, b = cluster.a, cluster.b
    signer = TokenSigner(cluster.secret_key)
    db = Database(cluster.database_url)
    try:
        async with db.write() as session:
            inbox = await get_inbox_by_key(session=session, public_key=cluster.inbox_key)
            assert inbox is not None
            contacts = [await do_create_visitor(session, inbox=inbox) for _ in range(20)]
        tokens = {c.id: signer.sign_visitor(c.id, inbox.id) for c in contacts}

        async with httpx.AsyncClient(timeout=20) as http:

            async def start(node: Node, token: str, n: int) -> Frame:
                response = await http.post(
                    f"{node.base_url}/api/v1/widget/{cluster.inbox_key}/messages",
                    json={"text": f"hi {n}", "client_msg_id": f"start-{n}"},
                    headers={"x-kefu-visitor": token},
                )
                assert response.status_code == 200, response.text
                body: Frame = response.json()
                return body

            # Per visitor: two requests on each node, all visitors at once.
            jobs = [
                start(node, token, n)
                for token in tokens.values()
                for n, node in enumerate((a, b, a, b))
            ]
            bodies = await asyncio.gather(*jobs)

        for i in range(len(tokens)):
            mine = bodies[4 * i : 4 * i + 4]
            assert len({body["conversation"]["id"] for body in mine}) == 1
            assert sorted(body["message"]["seq"] for body in mine) == [1, 2, 3, 4]

        async with db.read() as session:
            per_contact = dict(
                (
                    await session.execute(
                        select(Conversation.contact_id, func.count())
                        .where(Conversation.contact_id.in_(list(tokens)))
                        .group_by(Conversation.contact_id)
                    )
                ).all()
            )
            messages = await session.scalar(
                select(func.count())
                .select_from(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.contact_id.in_(list(tokens)))
            )
        assert per_contact == {contact_id: 1 for contact_id in tokens}
        assert messages == 4 * len(tokens)
    finally:
        await db.dispose()
