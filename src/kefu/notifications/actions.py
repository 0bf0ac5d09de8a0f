"""Writers for notifications, participants and preferences.

`notify_*` are called (one line each) from the actions that cause a notification, inside their
transaction: assignment (routing/assignment.py), notes with @mentions and customer messages
(messages/actions.py), SLA breaches (routing/breaches.py). The rows and the personal events
commit or roll back with the change itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal, Principal
from kefu.conversations.models import Conversation
from kefu.conversations.visibility import user_may_see_sql
from kefu.db import UTCDateTime, dialect_insert, utcnow
from kefu.events.bus import send_event_on_commit
from kefu.inboxes.models import Inbox, InboxMember
from kefu.messages.models import Message
from kefu.notifications import events
from kefu.notifications.alerts import dnd_active
from kefu.notifications.models import (
    UNREAD_MESSAGE_WHERE,
    ConversationParticipant,
    Notification,
    NotificationPreference,
)
from kefu.notifications.participants import add_participant
from kefu.notifications.queries import (
    can_see,
    unread_count,
)
from kefu.notifications.schemas import (
    NotificationOut,
    Preferences,
    PreferencesOut,
)
from kefu.users.models import User
from kefu.users.schemas import UserBrief

PREVIEW_CHARS = 200


def _out(
    *,
    notification_id: int,
    notification_type: str,
    conversation: Conversation,
    message_id: int | None,
    actor: User | None,
    preview: str,
    count: int = 1,
    data: dict[str, object] | None = None,
    created_at: datetime,
    updated_at: datetime,
) -> NotificationOut:
    return NotificationOut(
        id=notification_id,
        type=notification_type,
        conversation_id=conversation.id,
        inbox_id=conversation.inbox_id,
        message_id=message_id,
        actor=UserBrief.model_validate(actor) if actor is not None else None,
        contact_id=conversation.contact_id,
        contact_name=conversation.contact.name,
        preview=preview,
        count=count,
        data=data,
        created_at=created_at,
        updated_at=updated_at,
        read_at=None,
    )


def _in_app(notification_type: str) -> ColumnElement[bool]:
    """SQL: the recipient keeps this type in the centre (no preferences row: yes)."""
    flag = NotificationPreference.settings[("types", notification_type, "in_app")]
    return func.coalesce(flag.as_boolean(), true())


async def _in_app_users(
    session: AsyncSession, user_ids: Iterable[int], notification_type: str
) -> list[User]:
    """The active users among `user_ids` who keep this type of notification in the centre."""
    ids = set(user_ids)
    if not ids:
        return []
    rows = await session.scalars(
        select(User)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(User.id.in_(ids), User.is_active.is_(True), _in_app(notification_type))
        .order_by(User.id)
    )
    return list(rows)


async def _record(
    session: AsyncSession,
    *,
    users: Sequence[User],
    notification_type: str,
    conversation: Conversation,
    message_id: int | None = None,
    actor: User | None = None,
    preview: str = "",
    data: dict[str, object] | None = None,
) -> None:
    """One notification per user (never coalesced), each pushed to its user's consoles."""
    if not users:
        return
    now = utcnow()
    rows = [
        Notification(
            user_id=user.id,
            type=notification_type,
            conversation_id=conversation.id,
            message_id=message_id,
            actor_user_id=actor.id if actor is not None else None,
            count=1,
            preview=preview[:PREVIEW_CHARS],
            data=data,
            created_at=now,
            updated_at=now,
        )
        for user in users
    ]
    session.add_all(rows)
    await session.flush()
    for row in rows:
        out = _out(
            notification_id=row.id,
            notification_type=notification_type,
            conversation=conversation,
            message_id=message_id,
            actor=actor,
            preview=row.preview,
            data=data,
            created_at=now,
            updated_at=now,
        )
        send_event_on_commit(session, events.notification_created(row.user_id, out, unread_delta=1))


# --- customer messages: the hot path -----------------------------------------------------------


async def notify_new_messages(
    session: AsyncSession, written: Sequence[tuple[Message, Conversation]]
) -> None:
    """New customer messages notify their conversations' participants (assignee and followers).

    Cheap by construction, as it runs for every customer message: nothing at all (no statement)
    for conversations nobody follows; otherwise ONE statement for the whole batch, an
    INSERT ... SELECT over the participants that coalesces on the unread-message unique index:
    a user has at most one unread "message" notification per conversation, bumped (count, latest
    message, time) by every further message until they read it. Recipients are participants who
    are active, still members of the inbox (or admins) and keep "message" in the centre."""
    latest: dict[int, Message] = {}
    counts: dict[int, int] = {}
    conversations: dict[int, Conversation] = {}
    for message, conversation in written:
        if message.kind != "incoming" or not conversation.participant_count:
            continue
        conversations[conversation.id] = conversation
        counts[conversation.id] = counts.get(conversation.id, 0) + 1
        if conversation.id not in latest or message.seq > latest[conversation.id].seq:
            latest[conversation.id] = message
    if not conversations:
        return
    now = utcnow()
    participant = ConversationParticipant
    by_conversation = participant.conversation_id
    member = or_(
        User.role == "admin",
        exists().where(
            InboxMember.inbox_id == Conversation.inbox_id,
            InboxMember.user_id == participant.user_id,
        ),
    )
    # In an `own`-visibility inbox, a follower who lost sight of the conversation (reassigned)
    # hears nothing more; read in the same statement, so the hot path stays one statement.
    member = and_(
        member,
        or_(
            func.coalesce(Inbox.settings["agent_visibility"].as_string(), "all") != "own",
            user_may_see_sql(participant.user_id, User.role),
        ),
    )
    source = (
        select(
            participant.user_id,
            literal("message"),
            by_conversation,
            case({cid: m.id for cid, m in latest.items()}, value=by_conversation),
            case(counts, value=by_conversation),
            case({cid: m.text[:PREVIEW_CHARS] for cid, m in latest.items()}, value=by_conversation),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        .join(User, User.id == participant.user_id)
        .join(Conversation, Conversation.id == by_conversation)
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == participant.user_id)
        .where(
            by_conversation.in_(list(conversations)),
            User.is_active.is_(True),
            _in_app("message"),
            member,
        )
    )
    insert = dialect_insert(session)(Notification).from_select(
        [
            "user_id",
            "type",
            "conversation_id",
            "message_id",
            "count",
            "preview",
            "created_at",
            "updated_at",
        ],
        source,
    )
    statement = insert.on_conflict_do_update(
        index_elements=["user_id", "conversation_id"],
        index_where=text(UNREAD_MESSAGE_WHERE),
        set_={
            "count": Notification.count + insert.excluded.count,
            "message_id": insert.excluded.message_id,
            "preview": insert.excluded.preview,
            "updated_at": insert.excluded.updated_at,
        },
    ).returning(
        Notification.id,
        Notification.user_id,
        Notification.conversation_id,
        Notification.message_id,
        Notification.count,
        Notification.preview,
        Notification.created_at,
        Notification.updated_at,
    )
    for row in (await session.execute(statement)).all():
        ident, user_id, conversation_id, message_id, count, preview, created, updated = row
        out = _out(
            notification_id=ident,
            notification_type="message",
            conversation=conversations[conversation_id],
            message_id=message_id,
            actor=None,
            preview=preview,
            count=count,
            created_at=created,
            updated_at=updated,
        )
        # A fresh row has created_at == updated_at; a bumped one was already unread.
        fresh = created == updated
        send_event_on_commit(
            session, events.notification_created(user_id, out, unread_delta=int(fresh))
        )


# --- assignment, mentions, SLA -------------------------------------------------------------------


async def notify_assigned(
    session: AsyncSession, *, conversation: Conversation, assignee: User, actor: Principal
) -> None:
    """The assignee becomes a participant (and stays one until they unfollow), and is notified
    unless they took it themselves."""
    by = actor.user if isinstance(actor, AgentPrincipal) else None
    await add_participant(
        session, conversation, assignee.id, reason="assigned", added_by=by.id if by else None
    )
    if by is not None and by.id == assignee.id:
        return
    users = await _in_app_users(session, [assignee.id], "assigned")
    await _record(
        session,
        users=users,
        notification_type="assigned",
        conversation=conversation,
        actor=by,
        preview=conversation.last_message_preview,
    )


async def notify_mentioned(
    session: AsyncSession,
    *,
    conversation: Conversation,
    message: Message,
    actor: AgentPrincipal,
    user_ids: Iterable[int],
) -> None:
    """The people a note mentions (directly or through a team), already checked to see the
    conversation (notifications/mentions.py); never the author."""
    recipients = {uid for uid in user_ids if uid != actor.user_id}
    users = await _in_app_users(session, recipients, "mentioned")
    await _record(
        session,
        users=users,
        notification_type="mentioned",
        conversation=conversation,
        message_id=message.id,
        actor=actor.user,
        preview=message.text,
    )


async def notify_sla_breach(
    session: AsyncSession, *, conversation: Conversation, kind: str, due_at: datetime
) -> None:
    """A missed SLA target notifies the participants (assignee, followers) and the inbox's
    supervisors (leads answer for the queue; admins see every inbox and would drown)."""
    participants = select(ConversationParticipant.user_id).where(
        ConversationParticipant.conversation_id == conversation.id
    )
    supervisors = (
        select(User.id)
        .join(InboxMember, InboxMember.user_id == User.id)
        .where(InboxMember.inbox_id == conversation.inbox_id, User.role == "supervisor")
    )
    ids = set(await session.scalars(participants)) | set(await session.scalars(supervisors))
    users = [
        user
        for user in await _in_app_users(session, ids, "sla_breach")
        if await can_see(session=session, user=user, conversation_id=conversation.id)
    ]
    await _record(
        session,
        users=users,
        notification_type="sla_breach",
        conversation=conversation,
        preview=conversation.last_message_preview,
        data={"kind": kind, "due_at": due_at.isoformat()},
    )


# --- reading -------------------------------------------------------------------------------------


async def do_mark_notification_read(
    session: AsyncSession, *, actor: AgentPrincipal, notification: Notification
) -> Notification:
    """The caller obtained `notification` through access_notification (it is the actor's)."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.flush()
        count = await unread_count(session=session, actor=actor)
        send_event_on_commit(
            session, events.notifications_read(actor.user_id, [notification.id], unread_count=count)
        )
    return notification


async def do_mark_notifications_read(
    session: AsyncSession, *, actor: AgentPrincipal, conversation_id: int | None = None
) -> int:
    """Mark all the actor's unread notifications read (or those of one conversation, as opening
    it does); returns the unread count left."""
    statement = update(Notification).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_(None)
    )
    if conversation_id is not None:
        statement = statement.where(Notification.conversation_id == conversation_id)
    marked = list(
        await session.scalars(
            statement.values(read_at=utcnow())
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
    )
    count = await unread_count(session=session, actor=actor)
    if marked:
        send_event_on_commit(
            session, events.notifications_read(actor.user_id, marked, unread_count=count)
        )
    return count


# --- preferences ---------------------------------------------------------------------------------


def preferences_out(preferences: Preferences) -> PreferencesOut:
    return PreferencesOut(**preferences.model_dump(), dnd_active=dnd_active(preferences, utcnow()))


async def do_update_preferences(
    session: AsyncSession, *, actor: AgentPrincipal, preferences: Preferences
) -> PreferencesOut:
    settings = preferences.model_dump(mode="json")
    insert = dialect_insert(session)(NotificationPreference).values(
        user_id=actor.user_id, settings=settings, updated_at=utcnow()
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"settings": insert.excluded.settings, "updated_at": insert.excluded.updated_at},
        )
    )
    out = preferences_out(preferences)
    send_event_on_commit(session, events.preferences_changed(actor.user_id, out))
    return out
