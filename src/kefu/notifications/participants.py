"""Writers for conversation participants (followers). Assignment adds the assignee through
`add_participant` (notify_assigned); people follow and unfollow, supervisors add and remove."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kefu.auth.principals import AgentPrincipal
from kefu.conversations.models import Conversation
from kefu.db import dialect_insert, utcnow
from kefu.errors import InvalidInput, PermissionDenied
from kefu.events.bus import send_event_on_commit
from kefu.notifications import events
from kefu.notifications.models import ConversationParticipant
from kefu.notifications.queries import can_see, list_participants
from kefu.users.models import User

LEADS = ("admin", "supervisor")


async def add_participant(
    session: AsyncSession,
    conversation: Conversation,
    user_id: int,
    *,
    reason: str,
    added_by: int | None,
) -> bool:
    """Add a participant unless already one; keep the conversation's count (which lets customer
    messages skip conversations nobody follows) and tell the inbox. True if added."""
    added = await session.scalar(
        dialect_insert(session)(ConversationParticipant)
        .values(
            conversation_id=conversation.id,
            user_id=user_id,
            reason=reason,
            added_by_user_id=added_by,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["conversation_id", "user_id"])
        .returning(ConversationParticipant.user_id)
    )
    if added is None:
        return False
    await _count_participants(session, conversation, +1)
    return True


async def _count_participants(session: AsyncSession, conversation: Conversation, by: int) -> None:
    count = await session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(participant_count=Conversation.participant_count + by)
        .returning(Conversation.participant_count)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(conversation, "participant_count", count)
    participants = await list_participants(session=session, conversation_id=conversation.id)
    send_event_on_commit(session, events.participants_changed(conversation, participants))


async def do_add_participant(
    session: AsyncSession, *, actor: AgentPrincipal, conversation: Conversation, user: User
) -> None:
    """Follow a conversation (any agent who can see it), or add a colleague who can see it
    (supervisors and admins). The caller checked that the actor can see it."""
    yourself = user.id == actor.user_id
    if not yourself and actor.user.role not in LEADS:
        raise PermissionDenied(
            "Only supervisors can add other followers.", code="participants_lead_only"
        )
    if not await can_see(session=session, user=user, conversation_id=conversation.id):
        raise InvalidInput(
            f"{user.name} cannot see this conversation.",
            code="participant_not_visible",
            name=user.name,
        )
    await add_participant(
        session,
        conversation,
        user.id,
        reason="follow" if yourself else "added",
        added_by=actor.user_id,
    )


async def do_remove_participant(
    session: AsyncSession, *, actor: AgentPrincipal, conversation: Conversation, user_id: int
) -> None:
    """Unfollow (yourself), or remove a colleague (supervisors and admins)."""
    if user_id != actor.user_id and actor.user.role not in LEADS:
        raise PermissionDenied(
            "Only supervisors can remove other followers.", code="participants_lead_only"
        )
    removed = await session.scalar(
        delete(ConversationParticipant)
        .where(
            ConversationParticipant.conversation_id == conversation.id,
            ConversationParticipant.user_id == user_id,
        )
        .returning(ConversationParticipant.user_id)
    )
    if removed is not None:
        await _count_participants(session, conversation, -1)
