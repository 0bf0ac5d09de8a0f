"""Past conversations written as raw rows, exactly as the app's actions leave them (the
brief's data contract), for the staffing tests: a customer writes, the conversation is
assigned a minute later, the agent replies, and resolves it `handle_s` after the assignment.
Then `rebuild_reports` computes the facts and rollups the reports read."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.db import Database
from kefu.messages.models import Message
from kefu.reports.refresh import rebuild_reports
from kefu.users.models import User


async def write_history(
    db: Database,
    *,
    inbox_id: int,
    team_id: int | None,
    agent: User,
    arrivals: Mapping[datetime, int],
    handle_s: int,
) -> int:
    """`arrivals`: hour start (aware) -> conversations created in that hour. Returns how many."""
    written = 0
    async with db.write() as session:
        for hour, count in arrivals.items():
            for i in range(count):
                created = hour.astimezone(UTC) + timedelta(seconds=i * 3600 // max(count, 1))
                assigned = created + timedelta(seconds=60)
                replied = assigned + timedelta(seconds=30)
                resolved = assigned + timedelta(seconds=handle_s)
                contact = Contact(name=f"visitor {secrets.token_hex(3)}", created_at=created)
                session.add(contact)
                await session.flush()
                conversation = Conversation(
                    public_id=secrets.token_hex(8),
                    inbox_id=inbox_id,
                    contact_id=contact.id,
                    status="resolved",
                    assignee_id=agent.id,
                    team_id=team_id,
                    last_seq=4,
                    created_at=created,
                    first_reply_at=replied,
                    resolved_at=resolved,
                    last_activity_at=resolved,
                    assigned_at=assigned,
                    routing_state="assigned",
                )
                session.add(conversation)
                await session.flush()
                rows = [
                    ("incoming", f"c:{contact.id}", None, contact.id, created, None, "hello"),
                    (
                        "activity",
                        "s:0",
                        None,
                        None,
                        assigned,
                        {
                            "type": "assigned",
                            "by": None,
                            "from": None,
                            "to": agent.name,
                            "how": "auto",
                        },
                        "",
                    ),
                    ("outgoing", f"u:{agent.id}", agent.id, None, replied, None, "hi"),
                    (
                        "activity",
                        f"u:{agent.id}",
                        agent.id,
                        None,
                        resolved,
                        {
                            "type": "status_changed",
                            "from": "open",
                            "to": "resolved",
                            "by": agent.name,
                        },
                        "",
                    ),
                ]
                for seq, (kind, key, user_id, contact_id, at, activity, text) in enumerate(
                    rows, start=1
                ):
                    session.add(
                        Message(
                            conversation_id=conversation.id,
                            seq=seq,
                            kind=kind,
                            sender_key=key,
                            sender_user_id=user_id,
                            sender_contact_id=contact_id,
                            text=text,
                            activity=activity,
                            created_at=at,
                        )
                    )
                written += 1
    await rebuild_reports(db)
    return written
