"""GET /api/v1/search: one endpoint, three result types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdQuery
from kefu.contacts.schemas import ContactBrief
from kefu.conversations.schemas import conversation_out
from kefu.errors import InvalidInput
from kefu.messages.schemas import sender_of
from kefu.search import queries
from kefu.search.schemas import ContactHit, MessageHit, SearchResults, SearchType, Segment

router = APIRouter(prefix="/api/v1/search", tags=["search"])

MAX_QUERY_PARAM = 1000  # longer is refused by validation; 201..1000 gets the friendlier error


def _aware(moment: datetime | None, name: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise InvalidInput(f"{name}: give a time zone.", code="naive_datetime")
    return moment


def _assignee(value: str | None) -> queries.AssigneeFilter | None:
    if value is None or value in ("me", "unassigned"):
        return value  # type: ignore[return-value]
    if value.isdigit() and 0 < int(value) < 2**31:
        return int(value)
    raise InvalidInput(
        "assignee: me, unassigned or a user id.", code="invalid_input", detail="assignee"
    )


def _segments(parts: list[tuple[str, bool]]) -> list[Segment]:
    return [Segment(text=text, match=match) for text, match in parts]


@router.get("", response_model=SearchResults)
async def search(
    actor: Agent,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_PARAM)] = "",
    type: SearchType = "messages",
    status: Annotated[str | None, Query(pattern="^(open|pending|snoozed|resolved)$")] = None,
    inbox_id: IdQuery = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    assignee: Annotated[str | None, Query(max_length=12)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: Annotated[int, Query(ge=0, le=queries.MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 20,
) -> SearchResults:
    """Full-text search over messages (internal notes included; activity lines not), or over
    contacts (name, email, phone, company) or conversations (number, tag, topic, contact).
    Results are limited to what the caller may see. Message hits are ranked, then newest first;
    each carries a snippet as segments (render `match` ones highlighted, all as text)."""
    query = queries.check_query(q)
    filters = queries.SearchFilters(
        status=status,
        inbox_id=inbox_id,
        tag=tag,
        assignee=_assignee(assignee),
        since=_aware(since, "since"),
        until=_aware(until, "until"),
    )
    page = queries.Page(offset=offset, limit=limit)
    results = SearchResults(type=type, query=query, offset=offset, limit=limit, has_more=False)
    if type == "messages":
        parsed = await queries.parse(query)
        async with runtime.db.read() as session:
            hits, results.has_more = await queries.search_messages(
                session=session, actor=actor, parsed=parsed, filters=filters, page=page
            )
        results.messages = [
            MessageHit(
                message_id=h.message.id,
                conversation_id=h.message.conversation_id,
                inbox_id=h.conversation.inbox_id,
                seq=h.message.seq,
                kind=h.message.kind,
                sender=sender_of(h.message, h.conversation.contact.name),
                created_at=h.message.created_at,
                snippet=_segments(h.snippet),
                contact=ContactBrief.model_validate(h.conversation.contact),
                conversation_status=h.conversation.status,
            )
            for h in hits
        ]
    elif type == "contacts":
        await queries.load_converters()
        async with runtime.db.read() as session:
            contacts, results.has_more = await queries.search_contacts(
                session=session, actor=actor, query=query, filters=filters, page=page
            )
        results.contacts = [
            ContactHit(
                contact=ContactBrief.model_validate(c.contact),
                phone=c.contact.phone,
                company=getattr(c.contact, "company", None),
                matched=c.matched,
                snippet=_segments(c.snippet),
                conversations=c.conversations,
            )
            for c in contacts
        ]
    else:
        await queries.load_converters()
        async with runtime.db.read() as session:
            conversations, results.has_more = await queries.search_conversations(
                session=session, actor=actor, query=query, filters=filters, page=page
            )
        results.conversations = [conversation_out(c) for c in conversations]
    return results
