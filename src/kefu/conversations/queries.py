"""Reads of conversations. `access_*` raise NotFound for anything the principal may not see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from kefu.auth.principals import AgentPrincipal, VisitorPrincipal
from kefu.conversations.models import Conversation, ConversationRead
from kefu.conversations.visibility import load_viewer
from kefu.errors import InvalidInput, NotFound
from kefu.messages.models import Message
from kefu.notifications.models import ConversationParticipant
from kefu.tags.queries import tagged_with

AssigneeFilter = Literal["mine", "unassigned", "participating", "all"]
PAGE_SIZE = 50


def _with_people(query: Select[Conversation]) -> Select[Conversation]:
    # Joined, not select-in: one statement (many-to-one), on the hot path of every message.
    return query.options(joinedload(Conversation.contact), joinedload(Conversation.assignee))


async def conversation_scope(
    *, session: AsyncSession, actor: AgentPrincipal
) -> ColumnElement[bool] | None:
    """The SQL condition on `Conversation` rows that this agent may see; None: all of them.

    Every place a conversation can surface (lists, search, contact timelines, notifications,
    exports, reports) filters with this, so that visibility has one definition: the inboxes the
    agent belongs to, narrowed in `own`-visibility inboxes (see kefu.conversations.visibility).
    """
    viewer = await load_viewer(session=session, actor=actor)
    if viewer.inbox_ids is None:
        return None
    open_inboxes = viewer.inbox_ids - viewer.restricted_inbox_ids
    condition: ColumnElement[bool] = Conversation.inbox_id.in_(sorted(open_inboxes))
    if viewer.restricted_inbox_ids:
        owned = or_(
            Conversation.assignee_id.is_(None),
            Conversation.assignee_id == actor.user_id,
            Conversation.team_id.in_(sorted(viewer.team_ids)),
        )
        restricted = and_(Conversation.inbox_id.in_(sorted(viewer.restricted_inbox_ids)), owned)
        condition = or_(condition, restricted)
    return condition


async def get_conversation(*, session: AsyncSession, conversation_id: int) -> Conversation | None:
    result = await session.execute(
        _with_people(select(Conversation).where(Conversation.id == conversation_id))
    )
    return result.scalar_one_or_none()


async def access_conversation(
    *, session: AsyncSession, actor: AgentPrincipal, conversation_id: int
) -> Conversation:
    conversation = await get_conversation(session=session, conversation_id=conversation_id)
    if conversation is None:
        raise NotFound("Conversation not found.")
    scope = await conversation_scope(session=session, actor=actor)
    if scope is not None:
        allowed = await session.scalar(
            select(Conversation.id).where(Conversation.id == conversation.id, scope)
        )
        if allowed is None:
            raise NotFound("Conversation not found.")
    return conversation


async def access_visitor_conversation(
    *, session: AsyncSession, visitor: VisitorPrincipal, public_id: str
) -> Conversation:
    result = await session.execute(
        _with_people(
            select(Conversation).where(
                Conversation.public_id == public_id,
                Conversation.contact_id == visitor.contact_id,
                Conversation.inbox_id == visitor.inbox_id,
            )
        )
    )
    conversation = result.scalar_one_or_none()
    if conversation is None:
        raise NotFound("Conversation not found.")
    return conversation


async def get_open_conversation_id(
    *, session: AsyncSession, visitor: VisitorPrincipal
) -> int | None:
    """The id of the visitor's unresolved conversation in their inbox, if any."""
    result = await session.scalar(
        select(Conversation.id).where(
            Conversation.contact_id == visitor.contact_id,
            Conversation.inbox_id == visitor.inbox_id,
            Conversation.status != "resolved",
        )
    )
    return None if result is None else int(result)


async def get_current_visitor_conversation(
    *, session: AsyncSession, visitor: VisitorPrincipal
) -> Conversation | None:
    """The visitor's latest conversation in this inbox (open or not)."""
    result = await session.execute(
        _with_people(
            select(Conversation)
            .where(
                Conversation.contact_id == visitor.contact_id,
                Conversation.inbox_id == visitor.inbox_id,
            )
            .order_by(Conversation.created_at.desc(), Conversation.id.desc())
            .limit(1)
        )
    )
    return result.scalar_one_or_none()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, _, ident = cursor.rpartition("_")
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError
        return moment, int(ident)
    except ValueError as exc:
        raise InvalidInput("Bad cursor.", code="bad_cursor") from exc


def encode_cursor(conversation: Conversation) -> str:
    return f"{conversation.last_activity_at.isoformat()}_{conversation.id}"


async def list_conversations(
    *,
    session: AsyncSession,
    actor: AgentPrincipal,
    assignee: AssigneeFilter = "all",
    status: str | None = "open",
    inbox_id: int | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    tags: Sequence[str] = (),
) -> tuple[list[tuple[Conversation, int]], str | None]:
    """A page of conversations, newest activity first, each with the actor's unread count."""
    last_read = (
        select(ConversationRead.last_read_seq)
        .where(
            ConversationRead.conversation_id == Conversation.id,
            ConversationRead.user_id == actor.user_id,
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    unread = (
        select(func.count(Message.id))
        .where(
            Message.conversation_id == Conversation.id,
            Message.kind == "incoming",
            Message.seq > func.coalesce(last_read, 0),
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    query = select(Conversation, unread).options(
        selectinload(Conversation.contact), selectinload(Conversation.assignee)
    )
    scope = await conversation_scope(session=session, actor=actor)
    if scope is not None:
        query = query.where(scope)
    if inbox_id is not None:
        query = query.where(Conversation.inbox_id == inbox_id)
    if status:
        query = query.where(Conversation.status == status)
    for tag in tags:  # every one of them
        query = query.where(tagged_with(tag))
    if assignee == "mine":
        query = query.where(Conversation.assignee_id == actor.user_id)
    elif assignee == "unassigned":
        query = query.where(Conversation.assignee_id.is_(None))
    elif assignee == "participating":  # followed, or assigned to them at some point
        query = query.where(
            exists().where(
                ConversationParticipant.conversation_id == Conversation.id,
                ConversationParticipant.user_id == actor.user_id,
            )
        )
    if cursor:
        moment, ident = _decode_cursor(cursor)
        query = query.where(
            or_(
                Conversation.last_activity_at < moment,
                and_(Conversation.last_activity_at == moment, Conversation.id < ident),
            )
        )
    query = query.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
    rows = (await session.execute(query.limit(limit + 1))).all()
    page = [(row[0], int(row[1])) for row in rows[:limit]]
    next_cursor = encode_cursor(page[-1][0]) if len(rows) > limit else None
    return page, next_cursor
