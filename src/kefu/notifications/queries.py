"""Reads: a user's notifications (only of conversations they can still see), preferences,
participants, and who can see a conversation (for mentions and followers)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload

from kefu.auth.principals import AgentPrincipal
from kefu.conversations.models import Conversation
from kefu.conversations.queries import conversation_scope
from kefu.errors import InvalidInput, NotFound
from kefu.inboxes.models import InboxMember
from kefu.notifications.models import ConversationParticipant, Notification, NotificationPreference
from kefu.notifications.schemas import Preferences
from kefu.teams.models import Team, TeamMember
from kefu.users.models import User

PAGE_SIZE = 20


async def get_preferences(*, session: AsyncSession, user_id: int) -> Preferences:
    row = await session.get(NotificationPreference, user_id)
    return Preferences() if row is None else Preferences.model_validate(row.settings)


async def can_see(*, session: AsyncSession, user: User, conversation_id: int) -> bool:
    """Whether `user` may see the conversation, by the one visibility rule (conversation_scope)."""
    if not user.is_active:
        return False
    scope = await conversation_scope(
        session=session, actor=AgentPrincipal(user=user, via="session")
    )
    if scope is None:
        return True
    found = await session.scalar(
        select(Conversation.id).where(Conversation.id == conversation_id, scope)
    )
    return found is not None


async def users_who_see(
    *, session: AsyncSession, conversation_id: int, users: Iterable[User]
) -> list[User]:
    return [
        u for u in users if await can_see(session=session, user=u, conversation_id=conversation_id)
    ]


async def inbox_candidates(*, session: AsyncSession, inbox_id: int) -> list[User]:
    """Active admins and members of the inbox: everyone who might see its conversations."""
    member = select(InboxMember.user_id).where(InboxMember.inbox_id == inbox_id)
    rows = await session.scalars(
        select(User)
        .where(User.is_active.is_(True), or_(User.role == "admin", User.id.in_(member)))
        .order_by(User.name, User.id)
    )
    return list(rows)


async def mentionable(
    *, session: AsyncSession, conversation: Conversation
) -> tuple[list[User], list[Team]]:
    """The people who can see the conversation, and the teams with at least one of them."""
    candidates = await inbox_candidates(session=session, inbox_id=conversation.inbox_id)
    users = await users_who_see(session=session, conversation_id=conversation.id, users=candidates)
    ids = [u.id for u in users]
    teams = await session.scalars(
        select(Team)
        .where(Team.id.in_(select(TeamMember.team_id).where(TeamMember.user_id.in_(ids))))
        .order_by(Team.name)
    )
    return users, list(teams)


async def list_participants(
    *, session: AsyncSession, conversation_id: int
) -> Sequence[ConversationParticipant]:
    rows = await session.scalars(
        select(ConversationParticipant)
        .where(ConversationParticipant.conversation_id == conversation_id)
        .options(joinedload(ConversationParticipant.user))
        .order_by(ConversationParticipant.created_at, ConversationParticipant.user_id)
    )
    return rows.all()


async def _scoped(session: AsyncSession, actor: AgentPrincipal) -> Select[Notification]:
    """Notifications of the actor, joined to their conversations and narrowed to those the
    actor can still see: a notification never reveals a conversation that left their view."""
    query = (
        select(Notification)
        .join(Notification.conversation)
        .where(Notification.user_id == actor.user_id)
    )
    scope = await conversation_scope(session=session, actor=actor)
    if scope is not None:
        query = query.where(scope)
    return query


def encode_cursor(notification: Notification) -> str:
    return f"{notification.updated_at.isoformat()}_{notification.id}"


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, _, ident = cursor.rpartition("_")
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError
        return moment, int(ident)
    except ValueError as exc:
        raise InvalidInput("Bad cursor.", code="bad_cursor") from exc


async def list_notifications(
    *,
    session: AsyncSession,
    actor: AgentPrincipal,
    unread_only: bool = False,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Notification], str | None]:
    """A page of the actor's notifications, most recently updated first."""
    query = await _scoped(session, actor)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if cursor:
        moment, ident = _decode_cursor(cursor)
        query = query.where(
            or_(
                Notification.updated_at < moment,
                and_(Notification.updated_at == moment, Notification.id < ident),
            )
        )
    query = query.options(
        contains_eager(Notification.conversation).joinedload(Conversation.contact),
        joinedload(Notification.actor),
    ).order_by(Notification.updated_at.desc(), Notification.id.desc())
    rows = list((await session.scalars(query.limit(limit + 1))).unique())
    page = rows[:limit]
    return page, encode_cursor(page[-1]) if len(rows) > limit else None


async def unread_count(*, session: AsyncSession, actor: AgentPrincipal) -> int:
    query = await _scoped(session, actor)
    query = query.where(Notification.read_at.is_(None)).with_only_columns(func.count())
    return int(await session.scalar(query) or 0)


async def access_notification(
    *, session: AsyncSession, actor: AgentPrincipal, notification_id: int
) -> Notification:
    """One of the actor's own notifications, of a conversation they can see; else NotFound."""
    query = await _scoped(session, actor)
    query = query.where(Notification.id == notification_id).options(
        contains_eager(Notification.conversation).joinedload(Conversation.contact),
        joinedload(Notification.actor),
    )
    notification = (await session.scalars(query)).unique().one_or_none()
    if notification is None:
        raise NotFound("Notification not found.")
    return notification
