"""Imports every table so that Base.metadata is complete (for Alembic and tests)."""

from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact, ContactIdentity
from kefu.conversations.models import Conversation, ConversationRead
from kefu.db import Base
from kefu.inboxes.models import Inbox, InboxMember
from kefu.messages.models import Attachment, Message
from kefu.routing.models import AgentConnection, AgentState, QueueCounter, RoutingRule, SlaBreach
from kefu.search.models import SearchState
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
    "ConversationRead",
    "Inbox",
    "InboxMember",
    "Message",
    "QueueCounter",
    "RoutingRule",
    "SearchState",
    "SlaBreach",
    "Team",
    "TeamMember",
    "User",
]
