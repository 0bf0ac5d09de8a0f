"""Event names and the envelope that travels through the broker.

An event is rendered once per audience: `agent` is what inbox members see, `contact` what the
customer sees (None for internal notes and other agent-only events).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MESSAGE_CREATED = "message.created"
CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_READ = "conversation.read"
TYPING = "typing"
INBOX_CHANGED = "inbox.changed"
AGENT_UPDATED = "agent.updated"  # presence, capacity, skills: to every agent console
QUEUE_UPDATED = "queue.updated"  # an inbox's queue moved: counts to agents, places to customers
SLA_BREACHED = "sla.breached"
TAGS_CHANGED = "tags.changed"  # the tag catalogue changed: consoles reload it


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    inbox_id: int | None
    # Agent-facing payload (always present) and contact-facing payload (None: not for the contact).
    agent: dict[str, Any]
    contact: dict[str, Any] | None = None
    contact_id: int | None = None
    # The user who caused it: typing events are not echoed back to their author.
    actor_user_id: int | None = None
    # Personal events (notifications): only these users' consoles get them; None: the inbox.
    user_ids: tuple[int, ...] | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "inbox_id": self.inbox_id,
            "contact_id": self.contact_id,
            "actor_user_id": self.actor_user_id,
            "user_ids": self.user_ids,
            "agent": self.agent,
            "contact": self.contact,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Event:
        return cls(
            type=data["type"],
            inbox_id=data["inbox_id"],
            contact_id=data["contact_id"],
            actor_user_id=data.get("actor_user_id"),
            user_ids=None if data.get("user_ids") is None else tuple(data["user_ids"]),
            agent=data["agent"],
            contact=data["contact"],
        )
