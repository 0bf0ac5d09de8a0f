"""Event names and the envelope that travels through the broker.

An event is rendered once per audience: `agent` is what inbox members see, `contact` what the
customer sees (None for internal notes and other agent-only events).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MESSAGE_CREATED = "message.created"
# A message changed after it was created: its delivery state on a channel (queued, sent,
# delivered, read, failed) or files fetched from the provider. Agents only.
MESSAGE_UPDATED = "message.updated"
CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_READ = "conversation.read"
TYPING = "typing"
INBOX_CHANGED = "inbox.changed"
AGENT_UPDATED = "agent.updated"  # presence, capacity, skills: to every agent console
QUEUE_UPDATED = "queue.updated"  # an inbox's queue moved: counts to agents, places to customers
SLA_BREACHED = "sla.breached"
TEAM_CHANGED = "team.changed"  # a team's members: consoles in `own`-visibility inboxes follow it
# To a console that may no longer see a conversation (reassigned in an `own`-visibility inbox).
CONVERSATION_REMOVED = "conversation.removed"
# A scheduled message was scheduled, canceled, sent or failed: to the inbox's agents.
SCHEDULED_MESSAGE_UPDATED = "scheduled_message.updated"
# Contacts: to the consoles of contact_audience (personal events); contact.merged also tells
# the merged-away visitor's widget to reconnect.
CONTACT_UPDATED = "contact.updated"
CONTACT_MERGED = "contact.merged"
# Notifications (docs/notifications.md): personal events, to the user's own consoles only.
NOTIFICATION_CREATED = "notification.created"
NOTIFICATION_READ = "notification.read"
NOTIFICATION_PREFERENCES = "notification.preferences"
CONVERSATION_PARTICIPANTS = "conversation.participants"  # followers changed: to the inbox
VIEWING = "viewing"  # ephemeral: to the consoles viewing the same conversation (collision)
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
    # The conversation's (assignee id, team id), for inboxes where agents see only their own.
    owner: tuple[int | None, int | None] | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "inbox_id": self.inbox_id,
            "contact_id": self.contact_id,
            "actor_user_id": self.actor_user_id,
            "user_ids": self.user_ids,
            "owner": self.owner,
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
            owner=None if data.get("owner") is None else (data["owner"][0], data["owner"][1]),
            agent=data["agent"],
            contact=data["contact"],
        )
