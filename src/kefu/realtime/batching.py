"""Group commit for customers' messages arriving over widget sockets.

Each node coalesces the sends that arrive while a batch is being written into the next batch:
one transaction and two statements for up to MAX_BATCH messages (do_append_incoming_batch)
instead of a transaction per message. Anything unusual (a first message, a conversation no
longer open, a retried client_msg_id) takes the ordinary one-by-one path, with its full rules.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from kefu.auth.principals import VisitorPrincipal
from kefu.conversations.actions import do_start_visitor_conversation
from kefu.conversations.models import Conversation
from kefu.db import Database
from kefu.inboxes.models import Inbox
from kefu.messages.actions import (
    DuplicateSend,
    IncomingItem,
    NeedsSlowPath,
    clean_text,
    do_append_incoming_batch,
    do_send_visitor_message,
)
from kefu.messages.models import Message

MAX_BATCH = 500

# (the message, its conversation, whether it was new rather than a retry)
SendResult = tuple[Message, Conversation, bool]


@dataclass(slots=True)
class _Pending:
    visitor: VisitorPrincipal
    inbox: Inbox
    conversation_id: int | None
    text: str
    client_msg_id: str | None
    future: asyncio.Future[SendResult]


class VisitorSendBatcher:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: list[_Pending] = []
        self._task: asyncio.Task[None] | None = None

    async def send(
        self,
        *,
        visitor: VisitorPrincipal,
        inbox: Inbox,
        conversation_id: int | None,
        text: str,
        client_msg_id: str | None,
    ) -> SendResult:
        """Send one customer message; `conversation_id` is the socket's open conversation if it
        knows one (then the message can join a batch)."""
        text = clean_text(text)  # bad input fails this send alone, never a batch
        pending = _Pending(
            visitor,
            inbox,
            conversation_id,
            text,
            client_msg_id,
            asyncio.get_running_loop().create_future(),
        )
        if conversation_id is None:
            return await self._send_one(pending)
        self._queue.append(pending)
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        return await pending.future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._write(batch)
        finally:
            self._task = None

    async def _write(self, batch: list[_Pending]) -> None:
        items = [
            IncomingItem(p.visitor, p.conversation_id, p.text, p.client_msg_id)
            for p in batch
            if p.conversation_id is not None
        ]
        try:
            async with self.db.write() as session:
                written = await do_append_incoming_batch(session, items)
        except NeedsSlowPath:
            for pending in batch:
                try:
                    _resolve(pending, await self._send_one(pending))
                except Exception as exc:
                    _fail(pending, exc)
            return
        except Exception as exc:
            for pending in batch:
                _fail(pending, exc)
            return
        for pending, (message, conversation) in zip(batch, written, strict=True):
            _resolve(pending, (message, conversation, True))

    async def _send_one(self, pending: _Pending) -> SendResult:
        """The ordinary path: find or start the conversation, reopen it if need be, de-duplicate."""
        db = self.db
        try:
            async with db.write() as session:
                conversation, _ = await do_start_visitor_conversation(
                    session, actor=pending.visitor, inbox=pending.inbox
                )
                message = await do_send_visitor_message(
                    session,
                    actor=pending.visitor,
                    conversation=conversation,
                    text=pending.text,
                    client_msg_id=pending.client_msg_id,
                )
            return message, conversation, True
        except DuplicateSend as retry:
            message, conversation = await retry.original(db)
            return message, conversation, False


def _resolve(pending: _Pending, result: SendResult) -> None:
    if not pending.future.done():
        pending.future.set_result(result)


def _fail(pending: _Pending, exc: Exception) -> None:
    if not pending.future.done():
        pending.future.set_exception(exc)
