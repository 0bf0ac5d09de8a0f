"""SLA clocks that the worker keeps: next-response due times for customers waiting again, and
breaches recorded once each (a unique row), shown in the conversation and sent live to the
inbox's consoles (supervisors are alerted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from kefu.auth.principals import SystemPrincipal
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.db import dialect_insert, utcnow
from kefu.events import types
from kefu.events.bus import send_event_on_commit
from kefu.events.types import Event
from kefu.inboxes.models import Inbox
from kefu.messages.actions import append_message
from kefu.notifications.actions import notify_sla_breach
from kefu.routing import sla
from kefu.routing.hours import BusinessHours
from kefu.routing.models import SlaBreach
from kefu.routing.settings import routing_settings

BATCH = 500
Clock = tuple[sla.SlaSettings, BusinessHours]


def _missing_next_response_dues(
    inboxes: list[Inbox],
) -> tuple[Select[Conversation] | None, dict[int, Clock]]:
    """Conversations waiting again with no next-response due time, in inboxes and priorities
    that have a next-response target (others never crowd them out); None if no inbox has one."""
    clocks: dict[int, Clock] = {}
    targeted = []
    for inbox in inboxes:
        settings = routing_settings(inbox)
        policy = settings.sla
        priorities = [
            p for p, t in policy.targets.items() if policy.enabled and t.next_response_minutes
        ]
        if priorities:
            clocks[inbox.id] = (policy, BusinessHours.from_settings(settings.business_hours))
            targeted.append(
                and_(Conversation.inbox_id == inbox.id, Conversation.priority.in_(priorities))
            )
    if not targeted:
        return None, clocks
    query = select(Conversation).where(
        or_(*targeted),
        Conversation.waiting_since.is_not(None),
        Conversation.first_reply_at.is_not(None),
        Conversation.next_response_due_at.is_(None),
        Conversation.status != "resolved",
    )
    return query, clocks


async def next_response_dues_pending(session: AsyncSession) -> bool:
    """Read-only: does do_fill_next_response_dues have anything to do?"""
    query, _ = _missing_next_response_dues(list(await session.scalars(select(Inbox))))
    if query is None:
        return False
    return await session.scalar(query.with_only_columns(Conversation.id).limit(1)) is not None


async def do_fill_next_response_dues(session: AsyncSession) -> int:
    """Customers who wrote again after an agent's reply wait for a next response: give those
    conversations their due time (the hot message path only records `waiting_since`)."""
    query, clocks = _missing_next_response_dues(list(await session.scalars(select(Inbox))))
    if query is None:
        return 0
    rows = list(
        await session.scalars(
            query.options(
                joinedload(Conversation.contact), joinedload(Conversation.assignee)
            ).limit(BATCH)
        )
    )
    filled = 0
    for conversation in rows:
        policy, hours = clocks[conversation.inbox_id]
        assert conversation.waiting_since is not None
        due = sla.due_at(
            policy,
            hours,
            priority=conversation.priority,
            kind="next_response",
            start=conversation.waiting_since,
        )
        if due is not None:
            conversation.next_response_due_at = due
            send_event_on_commit(session, events.conversation_changed(conversation))
            filled += 1
    return filled


def _breach_queries(now: datetime) -> list[tuple[str, Any, Select[Conversation]]]:
    """Per SLA kind: the conversations past that due time with no breach recorded for it."""
    checks = (
        (
            "first_response",
            Conversation.first_response_due_at,
            Conversation.first_reply_at.is_(None),
        ),
        (
            "next_response",
            Conversation.next_response_due_at,
            Conversation.waiting_since.is_not(None),
        ),
        ("resolution", Conversation.resolution_due_at, Conversation.status != "resolved"),
    )
    queries = []
    for kind, due_column, still_open in checks:
        already = exists().where(
            and_(
                SlaBreach.conversation_id == Conversation.id,
                SlaBreach.kind == kind,
                SlaBreach.due_at == due_column,
            )
        )
        query = select(Conversation).where(
            due_column.is_not(None),
            due_column < now,
            still_open,
            Conversation.status != "resolved",
            ~already,
        )
        queries.append((kind, due_column, query))
    return queries


async def sla_work_pending(session: AsyncSession) -> bool:
    """A read-only check for the worker: is there a breach to record or a next-response due
    time to fill? (Then it takes a write transaction; SQLite has one writer, and chat messages
    should not wait behind scans that find nothing.)"""
    for _, _, query in _breach_queries(utcnow()):
        if await session.scalar(query.with_only_columns(Conversation.id).limit(1)) is not None:
            return True
    return False


async def do_record_sla_breaches(session: AsyncSession) -> list[SlaBreach]:
    """Record every target missed by now, once per (conversation, kind, due time)."""
    now = utcnow()
    recorded: list[SlaBreach] = []
    for kind, due_column, query in _breach_queries(now):
        rows = await session.scalars(
            query.options(
                joinedload(Conversation.contact), joinedload(Conversation.assignee)
            ).limit(BATCH)
        )
        for conversation in list(rows):
            due = getattr(conversation, due_column.key)
            inserted = await session.scalar(
                dialect_insert(session)(SlaBreach)
                .values(
                    conversation_id=conversation.id,
                    inbox_id=conversation.inbox_id,
                    kind=kind,
                    due_at=due,
                    breached_at=now,
                )
                .on_conflict_do_nothing(index_elements=["conversation_id", "kind", "due_at"])
                .returning(SlaBreach.id)
            )
            if inserted is None:
                continue  # another node recorded it first
            breach = SlaBreach(
                id=inserted,
                conversation_id=conversation.id,
                inbox_id=conversation.inbox_id,
                kind=kind,
                due_at=due,
                breached_at=now,
            )
            recorded.append(breach)
            await append_message(
                session,
                conversation=conversation,
                kind="activity",
                actor=SystemPrincipal(),
                activity={"type": "sla_breached", "kind": kind, "due_at": due.isoformat()},
            )
            send_event_on_commit(
                session,
                breach_event(breach, owner=(conversation.assignee_id, conversation.team_id)),
            )
            await notify_sla_breach(session, conversation=conversation, kind=kind, due_at=due)
    return recorded


def breach_event(breach: SlaBreach, *, owner: tuple[int | None, int | None] | None = None) -> Event:
    return Event(
        type=types.SLA_BREACHED,
        inbox_id=breach.inbox_id,
        agent={
            "type": types.SLA_BREACHED,
            "conversation_id": breach.conversation_id,
            "inbox_id": breach.inbox_id,
            "kind": breach.kind,
            "due_at": breach.due_at.isoformat(),
        },
        owner=owner,
    )
