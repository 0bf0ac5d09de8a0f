"""Search reads: messages (full-text index), contacts and conversations (their fields).

Every result passes `conversation_scope`: an agent finds only messages and conversations they
may open, and only contacts with at least one conversation they may open (admins: all).
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from kefu.auth.principals import AgentPrincipal
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.conversations.queries import conversation_scope
from kefu.errors import InvalidInput
from kefu.messages.models import Message
from kefu.search import segmenter
from kefu.search.expressions import fts5_match, tsquery
from kefu.search.schema import fts_table, pg_table
from kefu.search.snippets import snippet
from kefu.search.tokens import CJK, ParsedQuery, parse_query

MAX_QUERY_CHARS = 200
MAX_LIMIT = 50
# Message hits are ranked (BM25 on SQLite, ts_rank on PostgreSQL) among the newest RANK_WINDOW
# matches the agent may see; a query matching more (a common word over a million messages)
# would otherwise rank every one of them on each request. See docs/search.md.
RANK_WINDOW = 500
# PostgreSQL looks for the window among the newest RECENT_IDS messages first (see _postgres_rows).
RECENT_IDS = 100_000
# PostgreSQL: up to this many visible conversations (a selective filter) are passed to the index
# query as an array (conversation_id = ANY(...)), so that it ANDs the GIN bitmap with the
# conversation index and reads only those matches; more, and it joins conversations instead
# (planning a 20,000-element ANY alone took ~250 ms).
MAX_CONVERSATION_IDS = 2_000
MAX_OFFSET = RANK_WINDOW - MAX_LIMIT  # pages stay inside the ranked window

AssigneeFilter = Literal["me", "unassigned"] | int


@dataclass(frozen=True)
class SearchFilters:
    status: str | None = None
    inbox_id: int | None = None
    tag: str | None = None
    assignee: AssigneeFilter | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Page:
    offset: int = 0
    limit: int = 20


def check_query(query: str) -> str:
    query = query.strip()
    if not query:
        raise InvalidInput("Type something to search for.", code="search_query_empty")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(
            f"Search for at most {MAX_QUERY_CHARS} characters.",
            code="search_query_too_long",
            max=MAX_QUERY_CHARS,
        )
    return query


async def parse(query: str) -> ParsedQuery:
    """parse_query, in a thread while jieba is not loaded yet (its first load takes ~1 s)."""
    if not segmenter.is_ready() and re.search(f"[{CJK}]", query):
        parsed = await asyncio.to_thread(parse_query, query)
    else:
        parsed = parse_query(query)
    if parsed.empty:
        raise InvalidInput("Type some letters, digits or words.", code="search_query_empty")
    return parsed


async def load_converters() -> None:
    """OpenCC's converters, loaded in a thread the first time (contacts and conversations
    match names in both scripts)."""
    if not segmenter.converters.cache_info().currsize:
        await asyncio.to_thread(segmenter.converters)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def tag_condition(session: AsyncSession, tag: str) -> ColumnElement[bool]:
    """Conversations carrying `tag` (conversations.tags is a JSON list of names). A LIKE on
    the JSON text (the quoted name, as written or as JSON escapes it) first: it rules out most
    rows for a fraction of the cost of parsing every list."""
    quoted = {json.dumps(tag), json.dumps(tag, ensure_ascii=False)}
    text_form = cast(Conversation.tags, String)
    cheap = or_(*(text_form.like(_like_pattern(q), escape="\\") for q in sorted(quoted)))
    if _dialect(session) == "postgresql":
        return and_(cheap, cast(Conversation.tags, JSONB).contains([tag]))
    each = func.json_each(Conversation.tags).table_valued("value")
    return and_(cheap, exists(select(each.c.value).where(each.c.value == tag)))


async def conversation_conditions(
    session: AsyncSession, actor: AgentPrincipal, filters: SearchFilters
) -> list[ColumnElement[bool]]:
    """The visibility scope and the conversation filters, as conditions on Conversation."""
    conditions: list[ColumnElement[bool]] = []
    scope = await conversation_scope(session=session, actor=actor)
    if scope is not None:
        conditions.append(scope)
    if filters.status is not None:
        conditions.append(Conversation.status == filters.status)
    if filters.inbox_id is not None:
        conditions.append(Conversation.inbox_id == filters.inbox_id)
    if filters.tag is not None:
        conditions.append(tag_condition(session, filters.tag))
    if filters.assignee == "unassigned":
        conditions.append(Conversation.assignee_id.is_(None))
    elif filters.assignee == "me":
        conditions.append(Conversation.assignee_id == actor.user_id)
    elif isinstance(filters.assignee, int):
        conditions.append(Conversation.assignee_id == filters.assignee)
    return conditions


# --- messages ---------------------------------------------------------------------------------


def _sqlite_window(
    parsed: ParsedQuery, conditions: list[ColumnElement[bool]], filters: SearchFilters
) -> Select[Any]:
    """(id, score) of the newest RANK_WINDOW visible matches. FTS5 walks its doclists newest
    first and stops at the window; bm25 is computed for those rows only (lower is better)."""
    f = fts_table
    window = select(f.c.rowid.label("id"), f.c.rank.label("rank")).where(
        literal_column("search_messages").op("MATCH")(fts5_match(parsed))
    )
    if conditions:
        window = window.join_from(f, Conversation, Conversation.id == f.c.conversation_id).where(
            *conditions
        )
    if filters.since is not None:
        window = window.where(f.c.created_at >= int(filters.since.timestamp()))
    if filters.until is not None:
        window = window.where(f.c.created_at < int(filters.until.timestamp()))
    inner = window.order_by(f.c.rowid.desc()).limit(RANK_WINDOW).subquery()
    return select(inner.c.id, (-inner.c.rank).label("score"))


def _postgres_window(
    parsed: ParsedQuery,
    conditions: list[ColumnElement[bool]],
    filters: SearchFilters,
    conversation_ids: list[int] | None,
    *,
    recent_from: int | None,
    older_than: int | None,
    limit: int,
) -> Select[Any]:
    """(id, ts_rank) of the newest `limit` visible matches with ids in the given range."""
    t = pg_table
    query = cast(tsquery(parsed), TSQUERY)
    window = select(t.c.message_id.label("id"), t.c.document).where(t.c.document.op("@@")(query))
    if conversation_ids is not None:
        ids = bindparam("conversation_ids", conversation_ids, type_=ARRAY(Integer))
        window = window.where(t.c.conversation_id == any_(ids))
    elif conditions:
        window = window.join_from(t, Conversation, Conversation.id == t.c.conversation_id).where(
            *conditions
        )
    if filters.since is not None:
        window = window.where(t.c.created_at >= filters.since)
    if filters.until is not None:
        window = window.where(t.c.created_at < filters.until)
    if recent_from is not None:
        # Newest first along the primary key, stopping at `limit` matches: cheap for common
        # words, and bounded by the range for rare ones.
        window = window.where(t.c.message_id > recent_from).order_by(t.c.message_id.desc())
    else:
        # Older matches: "+ 0" keeps the planner off a backward walk of the primary key (for a
        # rare word it would read every row); the GIN index finds the few matches instead.
        if older_than is not None:
            window = window.where(t.c.message_id <= older_than)
        window = window.order_by((t.c.message_id + 0).desc())
    inner = window.limit(limit).subquery()
    return select(inner.c.id, func.ts_rank(inner.c.document, query).label("score"))


async def _postgres_rows(
    session: AsyncSession,
    parsed: ParsedQuery,
    conditions: list[ColumnElement[bool]],
    filters: SearchFilters,
) -> list[tuple[int, float]]:
    conversation_ids = None
    if conditions:
        found = await session.execute(
            select(Conversation.id).where(*conditions).limit(MAX_CONVERSATION_IDS + 1)
        )
        conversation_ids = list(found.scalars())
        if not conversation_ids:
            return []
        if len(conversation_ids) > MAX_CONVERSATION_IDS:
            conversation_ids = None
    newest = await session.scalar(select(func.max(pg_table.c.message_id)))
    if newest is None:
        return []
    split = int(newest) - RECENT_IDS
    rows = [
        (int(i), float(s))
        for i, s in await session.execute(
            _postgres_window(
                parsed,
                conditions,
                filters,
                conversation_ids,
                recent_from=split,
                older_than=None,
                limit=RANK_WINDOW,
            )
        )
    ]
    if len(rows) < RANK_WINDOW and split > 0:
        older = _postgres_window(
            parsed,
            conditions,
            filters,
            conversation_ids,
            recent_from=None,
            older_than=split,
            limit=RANK_WINDOW - len(rows),
        )
        rows += [(int(i), float(s)) for i, s in await session.execute(older)]
    return rows


@dataclass(frozen=True)
class MessageResult:
    message: Message
    conversation: Conversation
    snippet: list[tuple[str, bool]]


async def search_messages(
    *,
    session: AsyncSession,
    actor: AgentPrincipal,
    parsed: ParsedQuery,
    filters: SearchFilters = SearchFilters(),
    page: Page = Page(),
) -> tuple[list[MessageResult], bool]:
    """Messages matching `parsed` that the agent may see: best first, then newest."""
    conditions = await conversation_conditions(session, actor, filters)
    if _dialect(session) == "postgresql":
        rows = await _postgres_rows(session, parsed, conditions, filters)
    else:
        window = _sqlite_window(parsed, conditions, filters)
        rows = [(int(i), float(s)) for i, s in await session.execute(window)]
    rows.sort(key=lambda row: (-row[1], -row[0]))  # best first, then newest
    ids = [i for i, _ in rows[page.offset : page.offset + page.limit + 1]]
    has_more = len(ids) > page.limit
    ids = ids[: page.limit]
    if not ids:
        return [], False
    loaded = await session.execute(
        select(Message).where(Message.id.in_(ids)).options(joinedload(Message.sender_user))
    )
    messages = {m.id: m for m in loaded.scalars()}
    conversations = {
        c.id: c
        for c in (
            await session.execute(
                select(Conversation)
                .where(Conversation.id.in_({m.conversation_id for m in messages.values()}))
                .options(joinedload(Conversation.contact))
            )
        ).scalars()
    }
    results = []
    for message_id in ids:  # a message deleted since it was indexed is skipped
        message = messages.get(message_id)
        if message is None:
            continue
        results.append(
            MessageResult(
                message=message,
                conversation=conversations[message.conversation_id],
                snippet=snippet(message.text, parsed.marks),
            )
        )
    return results, has_more


# --- contacts and conversations: their fields, matched with LIKE --------------------------------


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(session: AsyncSession, column: Any, variants: set[str]) -> ColumnElement[bool]:
    """`column` contains any of `variants`, ignoring case (ILIKE on PostgreSQL; SQLite's LIKE
    ignores ASCII case)."""
    pg = _dialect(session) == "postgresql"
    parts = [
        column.ilike(_like_pattern(v), escape="\\")
        if pg
        else column.like(_like_pattern(v), escape="\\")
        for v in sorted(variants)
        if v
    ]
    return or_(*parts) if parts else false()


def _digits(column: Any) -> Any:
    for ch in "-+(). ":
        column = func.replace(column, ch, "")
    return column


def contact_text_columns() -> dict[str, InstrumentedAttribute[Any]]:
    """The contact fields a search looks in. `company` joins by itself once the contacts
    work adds the column (the hook: nothing else to change here)."""
    columns: dict[str, InstrumentedAttribute[Any]] = {
        "name": Contact.name,
        "email": Contact.email,
        "phone": Contact.phone,
    }
    company = getattr(Contact, "company", None)
    if company is not None:
        columns["company"] = company
    return columns


def _contact_match(session: AsyncSession, query: str) -> ColumnElement[bool]:
    variants = segmenter.script_variants(query)
    parts = [_contains(session, column, variants) for column in contact_text_columns().values()]
    digits = re.sub(r"[-+(). ]", "", query)
    if len(digits) >= 3 and digits.isdigit():
        parts.append(_digits(Contact.phone).like(_like_pattern(digits), escape="\\"))
    return or_(*parts)


@dataclass(frozen=True)
class ContactResult:
    contact: Contact
    conversations: int
    matched: list[str]
    snippet: list[tuple[str, bool]]


async def search_contacts(
    *,
    session: AsyncSession,
    actor: AgentPrincipal,
    query: str,
    filters: SearchFilters = SearchFilters(),
    page: Page = Page(),
) -> tuple[list[ContactResult], bool]:
    """Contacts whose name, email, phone (or company) contain the query, in Traditional or
    Simplified spelling; only those with a conversation the agent may see (and, with filters,
    one that passes them: since/until on when it started). Newest first."""
    conditions = await conversation_conditions(session, actor, filters)
    if filters.since is not None:
        conditions.append(Conversation.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(Conversation.created_at < filters.until)
    visible = (
        select(func.count(Conversation.id))
        .where(Conversation.contact_id == Contact.id, *conditions)
        .correlate(Contact)
        .scalar_subquery()
    )
    statement = select(Contact, visible).where(_contact_match(session, query))
    if conditions:
        has_visible = select(Conversation.id).where(
            Conversation.contact_id == Contact.id, *conditions
        )
        statement = statement.where(exists(has_visible))
    statement = statement.order_by(Contact.id.desc()).offset(page.offset).limit(page.limit + 1)
    rows = (await session.execute(statement)).all()
    marks = tuple((v.casefold(), True) for v in segmenter.script_variants(query))
    results = []
    for contact, count in rows[: page.limit]:
        fields = {name: str(getattr(contact, name) or "") for name in contact_text_columns()}
        matched = [name for name, value in fields.items() if value and _has_mark(value, marks)]
        shown = fields[matched[0]] if matched else fields["name"]
        results.append(
            ContactResult(
                contact=contact,
                conversations=int(count),
                matched=matched,
                snippet=_plain_snippet(shown, marks),
            )
        )
    return results, len(rows) > page.limit


def _has_mark(value: str, marks: tuple[tuple[str, bool], ...]) -> bool:
    folded = value.casefold()
    digits = re.sub(r"[-+(). ]", "", folded)
    return any(m in folded or (m.isdigit() and m in digits) for m, _ in marks)


def _plain_snippet(value: str, marks: tuple[tuple[str, bool], ...]) -> list[tuple[str, bool]]:
    """Segments of a short field value with the query's occurrences marked (case-insensitive,
    exact spelling variants only: these fields are matched with LIKE, not the index)."""
    folded = value.casefold()
    spans: list[tuple[int, int]] = []
    for mark, _ in marks:
        start = folded.find(mark) if mark else -1
        while start >= 0 and len(folded) == len(value):
            spans.append((start, start + len(mark)))
            start = folded.find(mark, start + len(mark))
    spans.sort()
    segments: list[tuple[str, bool]] = []
    cursor = 0
    for s, e in spans:
        if s < cursor:
            continue
        if s > cursor:
            segments.append((value[cursor:s], False))
        segments.append((value[s:e], True))
        cursor = e
    if cursor < len(value) or not segments:
        segments.append((value[cursor:], False))
    return segments


def _tag_contains(session: AsyncSession, variants: set[str]) -> ColumnElement[bool]:
    """The JSON list of tag names contains a name containing a variant. A LIKE on the JSON
    text (a table-valued json_each per conversation costs ten times more): the variant as
    written and as JSON escapes it (\\uXXXX for non-ASCII, the serializer's default). Its
    quotes are escaped too, so a pattern cannot span two names."""
    escaped = {json.dumps(v)[1:-1] for v in variants if v}
    return _contains(session, cast(Conversation.tags, String), set(variants) | escaped)


async def search_conversations(
    *,
    session: AsyncSession,
    actor: AgentPrincipal,
    query: str,
    filters: SearchFilters = SearchFilters(),
    page: Page = Page(),
) -> tuple[list[Conversation], bool]:
    """Conversations by number (id, public id, queue number: "#123" or "123"), tag, topic, or
    their contact's name, email or phone. Most recently active first."""
    conditions = await conversation_conditions(session, actor, filters)
    variants = segmenter.script_variants(query)
    # Contacts are matched once (a subquery), not once per conversation through a join.
    contacts = select(Contact.id).where(_contact_match(session, query))
    parts = [
        Conversation.public_id == query,
        _tag_contains(session, variants),
        _contains(session, Conversation.topic, variants),
        Conversation.contact_id.in_(contacts),
    ]
    number = query.lstrip("#").strip()
    if number.isdigit() and len(number) <= 9:
        parts += [Conversation.id == int(number), Conversation.queue_number == int(number)]
    statement = (
        select(Conversation)
        .where(or_(*parts), *conditions)
        .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
    )
    if filters.since is not None:
        statement = statement.where(Conversation.created_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(Conversation.created_at < filters.until)
    statement = statement.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
    rows = list(
        (await session.execute(statement.offset(page.offset).limit(page.limit + 1))).scalars()
    )
    return rows[: page.limit], len(rows) > page.limit
