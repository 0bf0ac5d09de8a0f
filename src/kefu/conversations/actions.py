"""Writers for conversations: start, assign, change status, mark read."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from kefu.auth.principals import AgentPrincipal, VisitorPrincipal
from kefu.contacts.actions import do_record_prechat_details
from kefu.contacts.models import Contact
from kefu.conversations import events
from kefu.conversations.models import Conversation, ConversationRead
from kefu.conversations.queries import get_conversation
from kefu.conversations.schemas import PrechatIn
from kefu.db import dialect_insert, utcnow
from kefu.errors import InvalidInput, PermissionDenied
from kefu.events.bus import send_event_on_commit
from kefu.inboxes.models import Inbox
from kefu.messages.actions import append_message
from kefu.routing.actions import (
    do_take_conversation,
    do_transfer_conversation,
    inbox_clock,
    unassign_to_queue,
)
from kefu.routing.assignment import enqueue
from kefu.routing.settings import routing_settings
from kefu.routing.signals import request_routing_on_commit

DEFAULT_REOPEN_WINDOW_HOURS = 24


async def do_start_visitor_conversation(
    session: AsyncSession,
    *,
    actor: VisitorPrincipal,
    inbox: Inbox,
    prechat: PrechatIn | None = None,
    thread_key: str = "",
    subject: str | None = None,
) -> tuple[Conversation, bool]:
    """The visitor's unresolved conversation in this inbox, created if there is none, with what
    they filled into the pre-chat form (ignored for an existing conversation). An email thread
    (`thread_key`: its first Message-ID) is a conversation of its own, never a reopened one.

    Two concurrent starts (two tabs, two nodes) meet on the partial unique index: the loser's
    savepoint rolls back and it returns the winner's conversation.
    """
    existing = await _open_conversation(session, actor, thread_key)
    if existing is not None:
        return existing, False
    recent = None if thread_key else await _recently_resolved(session, actor, inbox)
    if recent is not None:
        return recent, False  # the customer's message reopens it (do_send_visitor_message)
    contact = await session.get(Contact, actor.contact_id)
    if contact is None:
        raise InvalidInput("Unknown visitor.", code="invalid_visitor_token")
    topic = _check_prechat(inbox, prechat)
    if prechat is not None:
        await do_record_prechat_details(
            session, contact=contact, name=prechat.name, email=prechat.email, phone=prechat.phone
        )
    now = utcnow()
    conversation = Conversation(
        public_id=secrets.token_urlsafe(16),
        inbox_id=inbox.id,
        contact_id=actor.contact_id,
        status="open",
        priority="normal",
        team_id=inbox.team_id,
        topic=topic,
        required_skills=[],
        tags=[],
        routing_state="new",
        last_seq=0,
        contact_last_read_seq=0,
        agent_last_read_seq=0,
        last_message_preview="",
        created_at=now,
        last_activity_at=now,
        thread_key=thread_key,
        subject=subject[:500] if subject else None,
        channel_context={},
    )
    try:
        async with session.begin_nested():
            session.add(conversation)
            await session.flush()
    except IntegrityError:
        winner = await _open_conversation(session, actor, thread_key)
        if winner is None:
            raise
        return winner, False
    set_committed_value(conversation, "contact", contact)
    set_committed_value(conversation, "assignee", None)
    send_event_on_commit(session, events.conversation_changed(conversation, created=True))
    return conversation, True


def _check_prechat(inbox: Inbox, prechat: PrechatIn | None) -> str | None:
    """The topic picked, after checking the form against the inbox's settings."""
    settings = routing_settings(inbox)
    if prechat is None:
        return None
    form = settings.prechat
    if (
        form.enabled
        and form.require_contact
        and not (prechat.email or (prechat.phone or "").strip())
    ):
        raise InvalidInput(
            "Please leave an email address or a phone number.", code="contact_required"
        )
    if prechat.topic is not None and settings.topic(prechat.topic) is None:
        raise InvalidInput("Unknown topic.", code="unknown_topic")
    return prechat.topic


async def _recently_resolved(
    session: AsyncSession, actor: VisitorPrincipal, inbox: Inbox
) -> Conversation | None:
    """The latest conversation, if resolved within the inbox's reopen window (as a reply to a
    solved ticket reopens it in Zendesk); after that a new message starts a new conversation."""
    hours = float(inbox.settings.get("reopen_window_hours", DEFAULT_REOPEN_WINDOW_HOURS))
    since = utcnow() - timedelta(hours=hours)
    conversation_id = await session.scalar(
        select(Conversation.id)
        .where(
            Conversation.contact_id == actor.contact_id,
            Conversation.inbox_id == actor.inbox_id,
            Conversation.status == "resolved",
            Conversation.resolved_at >= since,
        )
        .order_by(Conversation.resolved_at.desc())
        .limit(1)
    )
    if conversation_id is None:
        return None
    return await get_conversation(session=session, conversation_id=conversation_id)


async def _open_conversation(
    session: AsyncSession, actor: VisitorPrincipal, thread_key: str = ""
) -> Conversation | None:
    result = await session.execute(
        select(Conversation)
        .where(
            Conversation.contact_id == actor.contact_id,
            Conversation.inbox_id == actor.inbox_id,
            Conversation.thread_key == thread_key,
            Conversation.status != "resolved",
        )
        .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
    )
    return result.scalar_one_or_none()


async def do_assign_conversation(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    assignee_id: int | None,
    force: bool = False,
) -> Conversation:
    """Assign to a member of the conversation's inbox, within their capacity (supervisors may
    `force` past it), or unassign (back to the queue). Taking a waiting conversation for
    yourself follows the inbox's "agents may take" setting. The caller obtained `conversation`
    through access_conversation, so the actor may see it."""
    if assignee_id == conversation.assignee_id:
        return conversation
    if assignee_id is None:
        return await do_unassign_conversation(session, actor=actor, conversation=conversation)
    if assignee_id == actor.user_id and conversation.assignee_id is None and not force:
        return await do_take_conversation(session, actor=actor, conversation=conversation)
    return await do_transfer_conversation(
        session, actor=actor, conversation=conversation, assignee_id=assignee_id, force=force
    )


async def do_unassign_conversation(
    session: AsyncSession, *, actor: AgentPrincipal, conversation: Conversation
) -> Conversation:
    """Give a conversation back: it joins the queue again (now, as a new arrival)."""
    if conversation.assignee_id is None:
        return conversation
    if conversation.assignee_id != actor.user_id and actor.user.role not in ("admin", "supervisor"):
        raise PermissionDenied(
            "Only supervisors can unassign a colleague's conversation.",
            code="not_your_conversation",
        )
    previous = conversation.assignee
    inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    _, hours = inbox_clock(inbox)
    await unassign_to_queue(session, conversation, inbox, hours)
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={
            "type": "assigned",
            "by": actor.user.name,
            "from": previous.name if previous else None,
            "to": None,
            "how": "manual",
        },
    )
    send_event_on_commit(session, events.conversation_changed(conversation))
    return conversation


async def do_set_conversation_status(
    session: AsyncSession, *, actor: AgentPrincipal, conversation: Conversation, status: str
) -> Conversation:
    if status == conversation.status:
        return conversation
    if status == "snoozed":  # needs a time: conversations/snooze.py
        raise InvalidInput("Snooze through the snooze action.", code="use_snooze")
    if status != "resolved" and conversation.status == "resolved":
        # Reopening must not collide with a newer open conversation of the same contact.
        clash = await session.scalar(
            select(Conversation.id).where(
                Conversation.contact_id == conversation.contact_id,
                Conversation.inbox_id == conversation.inbox_id,
                Conversation.status != "resolved",
                Conversation.id != conversation.id,
            )
        )
        if clash is not None:
            raise InvalidInput(
                "This contact already has an open conversation in this inbox.",
                code="open_conversation_exists",
            )
    previous = conversation.status
    conversation.status = status
    conversation.snoozed_until = None  # leaving snooze by hand (unsnooze), if it was snoozed
    conversation.resolved_at = utcnow() if status == "resolved" else None
    if status == "resolved":
        # Out of the queue (if it waited), and its agent has a free slot: the queue may move.
        conversation.queued_at = None
        request_routing_on_commit(session, conversation.inbox_id)
    elif previous in ("resolved", "snoozed") and conversation.assignee_id is None:
        inbox = await session.get(Inbox, conversation.inbox_id)
        assert inbox is not None
        _, hours = inbox_clock(inbox)
        await enqueue(session, conversation=conversation, inbox=inbox, hours=hours)
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={"type": "status_changed", "from": previous, "to": status, "by": actor.user.name},
    )
    send_event_on_commit(session, events.conversation_changed(conversation))
    return conversation


async def do_mark_read_by_agent(
    session: AsyncSession, *, actor: AgentPrincipal, conversation: Conversation, seq: int
) -> None:
    seq = min(seq, conversation.last_seq)
    insert = dialect_insert(session)
    statement = insert(ConversationRead).values(
        conversation_id=conversation.id, user_id=actor.user_id, last_read_seq=seq
    )
    statement = statement.on_conflict_do_update(
        index_elements=["conversation_id", "user_id"],
        set_={"last_read_seq": statement.excluded.last_read_seq},
        where=ConversationRead.last_read_seq < statement.excluded.last_read_seq,
    )
    await session.execute(statement)
    if seq > conversation.agent_last_read_seq:
        conversation.agent_last_read_seq = seq
    send_event_on_commit(
        session,
        events.conversation_read(conversation, reader="agent", seq=seq, user_id=actor.user_id),
    )


async def do_mark_read_by_visitor(
    session: AsyncSession, *, actor: VisitorPrincipal, conversation: Conversation, seq: int
) -> None:
    seq = min(seq, conversation.last_seq)
    # Compare in SQL: two tabs marking read at once (two nodes) must never move the mark back.
    moved = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.contact_last_read_seq < seq)
        .values(contact_last_read_seq=seq)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount == 0:  # type: ignore[attr-defined]
        return
    set_committed_value(conversation, "contact_last_read_seq", seq)
    send_event_on_commit(session, events.conversation_read(conversation, reader="contact", seq=seq))
