"""Channel webhooks on two nodes sharing PostgreSQL: a provider that delivers every update to
both nodes at once (a retry that overtakes the first delivery, or two load-balanced attempts)
still gets one contact per customer, one conversation per customer and one message per update.
The races are closed by constraints: the unique channel identity, the open-conversation index
and the unique (inbox, event id). (How and when these run: conftest.py.)"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.auth.sealing import SecretBox
from kefu.channels import adapters  # noqa: F401  (registers the adapters)
from kefu.contacts.models import ContactIdentity
from kefu.conversations.models import Conversation
from kefu.db import Database
from kefu.inboxes.actions import do_create_inbox
from kefu.messages.models import Message
from tests.multinode.conftest import Cluster

pytestmark = pytest.mark.multinode

WEBHOOK_SECRET = "multinode_webhook_secret"
CUSTOMERS = 15
MESSAGES_EACH = 3


def update(n: int, user: int) -> bytes:
    return json.dumps(
        {
            "update_id": 900_000 + n,
            "message": {
                "message_id": n,
                "from": {"id": user, "is_bot": False, "first_name": f"客戶{user}"},
                "chat": {"id": user, "type": "private"},
                "date": int(time.time()),
                "text": f"第 {n} 則 message",
            },
        },
        ensure_ascii=False,
    ).encode()


async def test_the_same_webhooks_on_both_nodes_at_once_are_stored_once(cluster: Cluster) -> None:
    cluster.ensure_running()
    db = Database(cluster.database_url)
    try:
        async with db.write() as session:
            inbox = await do_create_inbox(
                session,
                actor=SystemPrincipal(),
                name="Telegram (multinode)",
                channel_type="telegram",
                channel_secrets={"bot_token": "123456:mn", "webhook_secret": WEBHOOK_SECRET},
                box=SecretBox(cluster.secret_key),
            )
        inbox_id, key = inbox.id, inbox.public_key
        headers = {
            "content-type": "application/json",
            "x-telegram-bot-api-secret-token": WEBHOOK_SECRET,
        }
        async with httpx.AsyncClient(timeout=30) as http:

            async def deliver(base: str, body: bytes) -> int:
                response = await http.post(
                    f"{base}/webhooks/telegram/{key}", content=body, headers=headers
                )
                return response.status_code

            # Each customer's messages in order (as Telegram sends them), every customer at
            # once, and every update to both nodes at the same moment.
            async def customer(user: int) -> list[int]:
                codes: list[int] = []
                for i in range(MESSAGES_EACH):
                    body = update(user * 10 + i, 70_000 + user)
                    codes += await asyncio.gather(
                        deliver(cluster.a.base_url, body), deliver(cluster.b.base_url, body)
                    )
                return codes

            results = await asyncio.gather(*(customer(u) for u in range(CUSTOMERS)))
        assert {code for codes in results for code in codes} == {200}

        async with db.read() as session:
            identities = await session.scalar(
                select(func.count())
                .select_from(ContactIdentity)
                .where(ContactIdentity.inbox_id == inbox_id)
            )
            conversations = await session.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.inbox_id == inbox_id)
            )
            messages = await session.scalar(
                select(func.count())
                .select_from(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.inbox_id == inbox_id, Message.kind == "incoming")
            )
        assert identities == CUSTOMERS
        assert conversations == CUSTOMERS
        assert messages == CUSTOMERS * MESSAGES_EACH
    finally:
        await db.dispose()
