"""The search benchmark's data: users, inboxes and API tokens through kefu's actions; contacts,
conversations and messages bulk-inserted (a million messages one action at a time would take
hours), in the shape the actions give them.

Conversations are spread over the last year, oldest first, so message ids grow with time as
they do in a real database. One language per conversation: a quarter Simplified, a quarter
Traditional (Taiwan), half English. Customers and agents alternate; one message in twenty is
an internal note. Statuses, inboxes, assignees and tags are drawn per conversation.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import insert

import kefu.users.actions as user_actions
from bench.search_corpus import Corpus
from kefu.auth.passwords import hash_password
from kefu.auth.principals import AgentPrincipal, SystemPrincipal
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.db import Database, utcnow
from kefu.inboxes.actions import do_create_inbox
from kefu.messages.models import Message
from kefu.users.actions import do_create_api_token, do_create_user

CHUNK = 5000
INBOXES = 5
AGENTS = 20
TAGS = ["退款請求", "VIP客戶", "發票", "billing", "shipping", "bug", "complaint", "urgent"]
STATUSES = ["open"] * 2 + ["pending"] + ["resolved"] * 7
SURNAMES = "陳林黃張李王吳劉蔡楊许郑谢郭洪"
GIVEN = ["小明", "美玲", "志豪", "淑芬", "家豪", "雅婷", "建宏", "怡君", "伟", "丽", "强", "静"]
EN_NAMES = ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Ivy", "Jack"]
EN_SURNAMES = ["Smith", "Chen", "Wang", "Lee", "Brown", "Lin", "Wu", "Taylor", "Huang", "Lai"]


@dataclass
class Seeded:
    admin_token: str
    agent_token: str  # a member of one inbox of INBOXES
    agent_inbox_id: int
    inbox_ids: list[int]
    agent_ids: list[int]
    messages: int = 0
    conversations: int = 0
    contacts: int = 0
    seconds: float = 0.0
    order_numbers: list[str] = field(default_factory=list)
    contact_names: list[str] = field(default_factory=list)


async def _people(db: Database) -> Seeded:
    system = SystemPrincipal()
    shared_hash = hash_password(secrets.token_urlsafe(12))
    real_hash = user_actions.hash_password
    user_actions.hash_password = lambda _password: shared_hash  # nobody logs in as them
    try:
        async with db.write() as session:
            admin = await do_create_user(
                session,
                actor=system,
                email="admin@bench.local",
                name="Admin",
                password="unused-password",
                role="admin",
            )
            agents = [
                await do_create_user(
                    session,
                    actor=system,
                    email=f"agent{i}@bench.local",
                    name=f"Agent {i}",
                    password="unused-password",
                )
                for i in range(AGENTS)
            ]
            inboxes = [
                await do_create_inbox(
                    session,
                    actor=system,
                    name=f"Inbox {i}",
                    member_ids=[a.id for j, a in enumerate(agents) if j % INBOXES == i],
                )
                for i in range(INBOXES)
            ]
            _, admin_token = await do_create_api_token(
                session, actor=AgentPrincipal(user=admin, via="token"), name="bench"
            )
            _, agent_token = await do_create_api_token(
                session, actor=AgentPrincipal(user=agents[0], via="token"), name="bench"
            )
    finally:
        user_actions.hash_password = real_hash
    return Seeded(
        admin_token=admin_token,
        agent_token=agent_token,
        agent_inbox_id=inboxes[0].id,
        inbox_ids=[i.id for i in inboxes],
        agent_ids=[a.id for a in agents],
    )


def _contact(rng: random.Random, n: int) -> dict[str, Any]:
    if rng.random() < 0.5:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        email = f"user{n}@example.tw" if rng.random() < 0.6 else None
    else:
        name = f"{rng.choice(EN_NAMES)} {rng.choice(EN_SURNAMES)}"
        email = f"{name.split()[0].lower()}.{n}@example.com"
    phone = f"09{rng.randrange(10, 99)}-{rng.randrange(100, 999)}-{rng.randrange(100, 999)}"
    return {"name": name, "email": email, "phone": phone if rng.random() < 0.5 else None}


async def seed(url: str, *, messages: int, per_conversation: int = 10, seed: int = 1) -> Seeded:
    started = time.perf_counter()
    db = Database(url)
    out = await _people(db)
    rng = random.Random(seed)
    corpus = Corpus(seed)
    members = {
        inbox_id: [a for j, a in enumerate(out.agent_ids) if j % INBOXES == i]
        for i, inbox_id in enumerate(out.inbox_ids)
    }
    now = utcnow()
    start = now - timedelta(days=365)
    total_conversations = max(1, messages // per_conversation)
    step = timedelta(days=365) / total_conversations
    contact_id = conv_id = message_id = 0
    contacts: list[dict[str, Any]] = []
    conversations: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []

    async def flush(final: bool = False) -> None:
        nonlocal contacts, conversations, rows
        if len(rows) < CHUNK * 4 and not final:
            return
        async with db.write() as session:
            for model, batch in ((Contact, contacts), (Conversation, conversations)):
                for i in range(0, len(batch), CHUNK):
                    await session.execute(insert(model), batch[i : i + CHUNK])
            for i in range(0, len(rows), CHUNK):
                await session.execute(insert(Message), rows[i : i + CHUNK])
        contacts, conversations, rows = [], [], []

    while message_id < messages:
        conv_id += 1
        status = rng.choice(STATUSES)
        inbox_id = rng.choice(out.inbox_ids)
        # A returning customer only for resolved conversations: one open one per inbox.
        if status != "resolved" or contact_id == 0 or rng.random() < 0.7:
            contact_id += 1
            person = _contact(rng, contact_id)
            contacts.append({"id": contact_id, **person})
            if contact_id % 500 == 0:
                out.contact_names.append(person["name"])
            customer = contact_id
        else:
            customer = rng.randrange(1, contact_id + 1)
        language = rng.choice(["cn", "tw", "en", "en"])
        opened = start + step * conv_id
        count = min(messages - message_id, max(1, int(rng.gauss(per_conversation, 3))))
        assignee = rng.choice(members[inbox_id]) if rng.random() < 0.8 else None
        for seq in range(1, count + 1):
            message_id += 1
            agent_turn = seq % 2 == 0 and assignee is not None
            note = agent_turn and rng.random() < 0.1
            text = corpus.message(language=language, agent=agent_turn)
            if note:
                text = "內部備註:" + text if language != "en" else "Internal note: " + text
            rows.append(
                {
                    "id": message_id,
                    "conversation_id": conv_id,
                    "seq": seq,
                    "kind": "note" if note else "outgoing" if agent_turn else "incoming",
                    "sender_key": f"u:{assignee}" if agent_turn else f"c:{customer}",
                    "sender_user_id": assignee if agent_turn else None,
                    "sender_contact_id": None if agent_turn else customer,
                    "text": text,
                    "created_at": opened + timedelta(minutes=2 * seq),
                }
            )
        last = opened + timedelta(minutes=2 * count)
        conversations.append(
            {
                "id": conv_id,
                "public_id": secrets.token_hex(8),
                "inbox_id": inbox_id,
                "contact_id": customer,
                "status": status,
                "assignee_id": assignee,
                "last_seq": count,
                "last_message_preview": rows[-count]["text"][:200],
                "created_at": opened,
                "last_activity_at": last,
                "resolved_at": last if status == "resolved" else None,
                "routing_state": "routed",
                "tags": rng.sample(TAGS, k=rng.choice([0, 0, 1, 1, 2])),
            }
        )
        await flush()
    await flush(final=True)
    out.order_numbers = corpus.order_numbers[:: max(1, len(corpus.order_numbers) // 200)]
    out.messages, out.conversations, out.contacts = message_id, conv_id, contact_id
    out.seconds = round(time.perf_counter() - started, 1)
    await db.dispose()
    return out
