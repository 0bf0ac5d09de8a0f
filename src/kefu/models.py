"""Imports every table so that Base.metadata is complete (for Alembic and tests)."""

from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact, ContactIdentity
from kefu.conversations.models import Conversation, ConversationRead
from kefu.db import Base
from kefu.inboxes.models import Inbox, InboxMember
from kefu.messages.models import Attachment, Message
from kefu.notifications.models import ConversationParticipant, Notification, NotificationPreference
from kefu.routing.models import AgentConnection, AgentState, QueueCounter, RoutingRule, SlaBreach
from kefu.teams.models import Team, TeamMember
from kefu.users.models import ApiToken, User

__all__ = [
    "AgentConnection",
    "AgentState",
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "Base",
    "Contact",
    "ContactIdentity",
    "Conversation",
    "ConversationParticipant",
    "ConversationRead",
    "Inbox",
    "InboxMember",
    "Message",
    "Notification",
    "NotificationPreference",
    "QueueCounter",
    "RoutingRule",
    "SlaBreach",
    "Team",
    "TeamMember",
    "User",
]
