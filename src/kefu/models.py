"""Imports every table so that Base.metadata is complete (for Alembic and tests)."""

from kefu.attributes.models import AttributeDefinition
from kefu.audit.models import AuditEntry
from kefu.bot.models import BotAction, BotTurn
from kefu.canned.models import CannedResponse
from kefu.channels.models import ChannelEvent
from kefu.contacts.models import (
    Contact,
    ContactActivity,
    ContactIdentity,
    ContactMergeSuggestion,
    ContactNote,
)
from kefu.conversations.models import Conversation, ConversationRead
from kefu.db import Base
from kefu.identity.models import InboxIdentity
from kefu.inboxes.models import Inbox, InboxMember
from kefu.kb.models import KbArticle, KbArticleLocale, KbCategory, KbQaPair, KbState
from kefu.messages.models import Attachment, Message
from kefu.notifications.models import ConversationParticipant, Notification, NotificationPreference
from kefu.outbox.models import OutboxJob
from kefu.reports.digests.models import DigestSubscription, ReportDigest
from kefu.reports.models import ConversationFact, report_rollups
from kefu.routing.models import AgentConnection, AgentState, QueueCounter, RoutingRule, SlaBreach
from kefu.scheduled.models import ScheduledMessage
from kefu.search.models import SearchState
from kefu.surveys.models import SurveyResponse
from kefu.tags.models import ConversationTag, Tag
from kefu.teams.models import Team, TeamMember
from kefu.users.models import ApiToken, User

__all__ = [
    "report_rollups",
    "AgentConnection",
    "AgentState",
    "ApiToken",
    "AttributeDefinition",
    "Attachment",
    "AuditEntry",
    "Base",
    "BotAction",
    "BotTurn",
    "CannedResponse",
    "ChannelEvent",
    "Contact",
    "ContactActivity",
    "ContactIdentity",
    "ContactMergeSuggestion",
    "ContactNote",
    "DigestSubscription",
    "Conversation",
    "ConversationParticipant",
    "ConversationFact",
    "ConversationRead",
    "ConversationTag",
    "Inbox",
    "InboxIdentity",
    "InboxMember",
    "KbArticle",
    "KbArticleLocale",
    "KbCategory",
    "KbQaPair",
    "KbState",
    "Message",
    "OutboxJob",
    "Notification",
    "NotificationPreference",
    "QueueCounter",
    "ReportDigest",
    "RoutingRule",
    "ScheduledMessage",
    "SearchState",
    "SlaBreach",
    "SurveyResponse",
    "Tag",
    "Team",
    "TeamMember",
    "User",
]
