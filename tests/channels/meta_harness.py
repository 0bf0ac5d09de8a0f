"""What the WhatsApp and Messenger tests share (both are Meta's Graph API): the webhook
signature, Graph API error bodies, a fake API's record of the requests it received, and a
handle on a channel inbox inside the app."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from sqlalchemy import select

from kefu.conversations.models import Conversation
from kefu.inboxes.models import Inbox
from kefu.messages.models import Message
from kefu.runtime import Runtime


def meta_signature(body: bytes, app_secret: str) -> str:
    """X-Hub-Signature-256 as Meta computes it: sha256= + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def graph_error(
    status: int,
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    error_data: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A scripted Graph API error answer: (status, body, headers)."""
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if error_data:
        error["error_data"] = error_data
    return status, {"error": error}, {}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)


@dataclass
class MetaInbox:
    """A WhatsApp or Messenger inbox of the running app, its fake API, and clients."""

    channel: ClassVar[str]
    app_secret: ClassVar[str]

    inbox: Inbox
    agent: httpx.AsyncClient
    client: httpx.AsyncClient
    runtime: Runtime

    @property
    def url(self) -> str:
        return f"/webhooks/{self.channel}/{self.inbox.public_key}"

    async def post(self, body: bytes, *, secret: str | None = None) -> httpx.Response:
        # Exactly what Meta sends: the raw bytes and their X-Hub-Signature-256.
        return await self.client.post(
            self.url,
            content=body,
            headers={
                "content-type": "application/json",
                "x-hub-signature-256": meta_signature(body, secret or self.app_secret),
            },
        )

    async def messages(self) -> list[Message]:
        async with self.runtime.db.read() as session:
            rows = await session.scalars(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.inbox_id == self.inbox.id)
                .order_by(Message.id)
            )
            return list(rows)

    async def conversation_id(self) -> int:
        async with self.runtime.db.read() as session:
            cid = await session.scalar(
                select(Conversation.id).where(Conversation.inbox_id == self.inbox.id)
            )
        assert cid is not None
        return int(cid)

    async def reply(self, text: str) -> dict[str, Any]:
        cid = await self.conversation_id()
        response = await self.agent.post(
            f"/api/v1/conversations/{cid}/messages", json={"text": text}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def api_message(self, message_id: int) -> dict[str, Any]:
        cid = await self.conversation_id()
        page = (await self.agent.get(f"/api/v1/conversations/{cid}/messages")).json()
        [found] = [m for m in page["items"] if m["id"] == message_id]
        return dict(found)
