"""Synthetic support history for reports: the demo workspace's last weeks and the benchmarks'
year, generated deterministically from a seed and bulk-inserted.

The rows are the ones the app's actions would have written (contacts with their channel
identity, conversations in their final state, every message with its seq, activity lines,
survey answers, SLA breaches, tags), so the report facts computed from them are exactly what a
real workspace's would be. The shape of the traffic:

- arrivals: a daily curve in the workspace's timezone (default Asia/Taipei) peaking at 20:00
  with a lunch bump, Monday busiest and Sunday quietest, a little noise from day to day;
- channels: web and LINE heavy, then email, Messenger, WhatsApp, Telegram (only those with an
  inbox); about 70 % of customers write Traditional Chinese, the rest English;
- a quarter of website conversations go to the FAQ bot first (most are contained and resolved
  by it once idle; the rest hand over with a bot_handoff line);
- the queue: most conversations are assigned within a minute, slower at the evening peak;
  about 5 % are abandoned (resolved without an assignment or an answer);
- answers: the first mostly within 30 s-10 min (with a long tail), transfers (~8 %), tags,
  notes, reopened conversations (~5 %), conversations still open at the end (~3 %);
- CSAT answered for ~35 % of resolutions (mostly 4-5), NPS for ~15 %, first-response SLA
  breaches when the first answer was late.

`insert_history` writes it with the driver's executemany (SQLite) or COPY (PostgreSQL), with ids
it assigns itself, a few thousand conversations per transaction.
"""

from __future__ import annotations

import base64
import bisect
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kefu.reports import sample_phrases as phrases
from kefu.reports.sample_story import (
    Event,
    HistoryAgent,
    HistoryInbox,
    HistoryTag,
    HistoryTeam,
    Story,
    StoryContext,
    Teller,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from kefu.db import Database
    from kefu.reports.sample_insert import InsertResult

__all__ = [
    "HistoryAgent",
    "HistoryInbox",
    "HistoryRows",
    "HistorySpec",
    "HistoryTag",
    "HistoryTeam",
    "IdStart",
    "generate_history",
    "insert_history",
]

# Arrivals per local hour (relative): quiet nights, a morning rise, a lunch bump at 12-13, a
# dip at 18 and the evening peak at 20:00.
HOUR_WEIGHTS = (
    2.6, 1.6, 1.0, 0.7, 0.5, 0.6, 1.1, 2.2, 3.6, 5.0, 6.0, 6.3,
    7.6, 7.2, 5.9, 5.8, 5.9, 5.5, 5.8, 7.6, 9.6, 8.4, 6.3, 4.3,
)  # fmt: skip
# Monday .. Sunday.
WEEKDAY_WEIGHTS = (1.24, 1.10, 1.05, 1.01, 0.97, 0.85, 0.78)
CHANNEL_WEIGHTS = {
    "web": 0.36,
    "line": 0.32,
    "email": 0.10,
    "messenger": 0.09,
    "whatsapp": 0.08,
    "telegram": 0.05,
}
ZH_SHARE = 0.7
_HOUR_CUM = tuple(sum(HOUR_WEIGHTS[: h + 1]) for h in range(24))
_PEAK = max(HOUR_WEIGHTS)
_WEEKDAY_MEAN = sum(WEEKDAY_WEIGHTS) / 7


@dataclass(frozen=True)
class IdStart:
    """The highest id already used in each table: generated rows continue after them."""

    contacts: int = 0
    contact_identities: int = 0
    conversations: int = 0
    messages: int = 0
    survey_responses: int = 0
    sla_breaches: int = 0


@dataclass(frozen=True)
class HistorySpec:
    inboxes: Sequence[HistoryInbox]
    agents: Sequence[HistoryAgent]
    teams: Sequence[HistoryTeam]
    tags: Sequence[HistoryTag]
    start: datetime
    end: datetime
    conversations_per_day: float
    contacts: int  # new contacts to create (customers may come back; more if needed)
    seed: int = 1
    timezone: str = "Asia/Taipei"
    # Incoming, outgoing and activity lines together, on average (notes come on top).
    messages_per_conversation: float = 10.0
    # Conversations left open (pending, or waiting for the agent) at the end. With 0, every
    # conversation is resolved by `end`: the last ones' timelines are compressed to fit (the
    # demo workspace, whose live queue and agents' load must not change).
    still_open_rate: float = 0.03
    sla_first_response_minutes: int | None = 15
    bot_idle_hours: float = 24.0  # kefu.bot.settings idle_resolve_hours
    csat_share: float = 0.35
    nps_share: float = 0.15
    reopen_share: float = 0.05
    transfer_share: float = 0.08
    ids: IdStart = field(default_factory=IdStart)


@dataclass
class HistoryRows:
    """One batch of rows per table, as column -> value dicts (aware UTC datetimes, JSON values
    as Python objects), in insertion order: parents before children."""

    contacts: list[dict[str, Any]] = field(default_factory=list)
    contact_identities: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    conversation_tags: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    survey_responses: list[dict[str, Any]] = field(default_factory=list)
    sla_breaches: list[dict[str, Any]] = field(default_factory=list)
    # (inbox id, local day "YYYY-MM-DD") -> the last queue number handed out that day.
    queue_counters: dict[tuple[int, str], int] = field(default_factory=dict)

    TABLES = (
        "contacts",
        "contact_identities",
        "conversations",
        "conversation_tags",
        "messages",
        "survey_responses",
        "sla_breaches",
    )

    def tables(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for name in self.TABLES:
            yield name, getattr(self, name)


@dataclass(frozen=True)
class Arrival:
    at: datetime
    load: float  # the hour's traffic relative to the day's peak hour (0..1)


def daily_counts(spec: HistorySpec) -> list[tuple[date, int]]:
    """Conversations per local day: the weekday's share of the mean, with some noise."""
    rng = random.Random(f"{spec.seed}:days")
    zone = ZoneInfo(spec.timezone)
    day, last = spec.start.astimezone(zone).date(), spec.end.astimezone(zone).date()
    out = []
    while day <= last:
        mean = spec.conversations_per_day * WEEKDAY_WEIGHTS[day.weekday()] / _WEEKDAY_MEAN
        mean *= max(0.5, rng.gauss(1.0, 0.07))
        out.append((day, max(0, round(rng.gauss(mean, math.sqrt(mean))))))
        day += timedelta(days=1)
    return out


def arrivals(spec: HistorySpec) -> Iterator[Arrival]:
    """Every conversation's first message, in time order, within [start, end)."""
    rng = random.Random(f"{spec.seed}:arrivals")
    zone = ZoneInfo(spec.timezone)
    for day, count in daily_counts(spec):
        starts = [datetime.combine(day, time(h), tzinfo=zone).astimezone(UTC) for h in range(24)]
        hours = rng.choices(range(24), cum_weights=_HOUR_CUM, k=count)
        moments = sorted((starts[h] + timedelta(seconds=rng.random() * 3600), h) for h in hours)
        for at, hour in moments:
            if spec.start <= at < spec.end:
                yield Arrival(at=at, load=HOUR_WEIGHTS[hour] / _PEAK)


def _cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return tuple(out)


def _contexts(spec: HistorySpec) -> dict[int, StoryContext]:
    teams = {t.id: t for t in spec.teams}
    tags = tuple(spec.tags)
    tag_weights = _cumulative([1 / (i + 1) ** 0.8 for i in range(len(tags))])
    # Bot-contained and abandoned conversations are short: agents' ones make up for them.
    exchanges = max(0.0, (spec.messages_per_conversation - 7.6) / 2)
    out = {}
    for inbox in spec.inboxes:
        members = tuple(a for a in spec.agents if a.inbox_ids is None or inbox.id in a.inbox_ids)
        out[inbox.id] = StoryContext(
            inbox=inbox,
            agents=members,
            agent_weights=_cumulative([a.weight for a in members]),
            teams=teams,
            tags=tags,
            tag_weights=tag_weights,
            exchanges=exchanges,
            sla_minutes=spec.sla_first_response_minutes,
            bot_idle_hours=spec.bot_idle_hours,
            csat_share=spec.csat_share,
            nps_share=spec.nps_share,
            reopen_share=spec.reopen_share,
            transfer_share=spec.transfer_share,
        )
    return out


def _inbox_chooser(spec: HistorySpec) -> tuple[list[HistoryInbox], tuple[float, ...]]:
    """Inboxes with their share of the traffic: their channel's weight split among the
    channel's inboxes by their own weight."""
    by_channel: dict[str, list[HistoryInbox]] = {}
    for inbox in spec.inboxes:
        by_channel.setdefault(inbox.channel_type, []).append(inbox)
    inboxes, weights = [], []
    for channel, boxes in by_channel.items():
        total = sum(b.weight for b in boxes)
        for box in boxes:
            inboxes.append(box)
            weights.append(CHANNEL_WEIGHTS.get(channel, 0.05) * box.weight / total)
    return inboxes, _cumulative(weights)


class _Contacts:
    """Who writes: a new customer, or one of the inbox's earlier customers; each keeps their
    language. New ones are spread so that the planned number lasts the whole history."""

    def __init__(self, spec: HistorySpec, rng: random.Random, expected: int) -> None:
        self.rng, self.left, self.remaining = rng, spec.contacts, max(1, expected)
        self.next_id = spec.ids.contacts
        self.seen: dict[int, list[int]] = {}
        self.language: dict[int, str] = {}

    def choose(self, inbox_id: int) -> tuple[int | None, str]:
        """(an earlier customer's id, their language), or (None, a new customer's language)."""
        earlier = self.seen.get(inbox_id)
        self.remaining = max(1, self.remaining - 1)
        if not earlier or (self.left > 0 and self.rng.random() < self.left / self.remaining):
            return None, "zh-TW" if self.rng.random() < ZH_SHARE else "en"
        contact_id = self.rng.choice(earlier)
        return contact_id, self.language[contact_id]

    def new(self, inbox_id: int, language: str) -> int:
        self.next_id += 1
        self.left -= 1
        self.seen.setdefault(inbox_id, []).append(self.next_id)
        self.language[self.next_id] = language
        return self.next_id


class _Ids:
    def __init__(self, start: IdStart) -> None:
        self.identity = start.contact_identities
        self.conversation = start.conversations
        self.message = start.messages
        self.survey = start.survey_responses
        self.breach = start.sla_breaches


def generate_history(spec: HistorySpec, *, batch: int = 2000) -> Iterator[HistoryRows]:
    """The history, in batches of about `batch` conversations, oldest first. The same spec
    (seed included) always gives the same rows."""
    rng = random.Random(f"{spec.seed}:stories")
    contexts = _contexts(spec)
    inboxes, inbox_weights = _inbox_chooser(spec)
    expected = sum(n for _, n in daily_counts(spec))
    contacts = _Contacts(spec, random.Random(f"{spec.seed}:contacts"), expected)
    ids = _Ids(spec.ids)
    zone = ZoneInfo(spec.timezone)
    compress = spec.still_open_rate <= 0
    open_pairs: set[tuple[int, int]] = set()
    counters: dict[tuple[int, str], int] = {}
    rows = HistoryRows()
    agent_share = 1 - 0.25 * CHANNEL_WEIGHTS["web"]  # of conversations, not bot-contained
    stays_open_rate = min(1.0, spec.still_open_rate / agent_share)
    for arrival in arrivals(spec):
        inbox = inboxes[bisect.bisect_left(inbox_weights, rng.random() * inbox_weights[-1])]
        contact_id, language = contacts.choose(inbox.id)
        limit = math.inf if compress else (spec.end - arrival.at).total_seconds()
        teller = Teller(
            rng,
            contexts[inbox.id],
            language=language,
            load=arrival.load,
            limit=limit,
            stays_open=rng.random() < stays_open_rate,
        )
        story = teller.tell()
        email = inbox.channel_type == "email"
        unresolved = story.status != "resolved" and not email
        if unresolved and contact_id is not None and (contact_id, inbox.id) in open_pairs:
            contact_id = None  # one unresolved conversation per contact and inbox
        if contact_id is None:
            contact_id = contacts.new(inbox.id, language)
            _contact_rows(rows, rng, ids, inbox, contact_id, language, arrival.at)
        if unresolved:
            open_pairs.add((contact_id, inbox.id))
        scale = 1.0
        if compress and story.last_at > 0:
            room = (spec.end - arrival.at).total_seconds() - 1
            if story.last_at > room:
                scale = max(0.0, room) / story.last_at
        _story_rows(rows, rng, ids, story, contact_id, arrival.at, scale, spec, zone, counters)
        if len(rows.conversations) >= batch:
            yield rows
            rows = HistoryRows()
    rows.queue_counters = counters
    yield rows


def _public_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode()[:22]


def _contact_rows(
    rows: HistoryRows,
    rng: random.Random,
    ids: _Ids,
    inbox: HistoryInbox,
    contact_id: int,
    language: str,
    at: datetime,
) -> None:
    """A new customer as their channel makes them: a display name from LINE, Messenger and
    Telegram, a phone number from WhatsApp, an address from email, often nothing from the
    website (a name and email when they filled in the pre-chat form)."""
    channel = inbox.channel_type
    if language == "en":
        name = f"{rng.choice(phrases.EN_GIVEN)} {rng.choice(phrases.EN_SURNAMES)}"
        handle = name.lower().replace(" ", ".")
    else:
        name = rng.choice(phrases.ZH_SURNAMES) + rng.choice(phrases.ZH_GIVEN)
        handle = f"user{contact_id}"
    email = phone = verified_phone = None
    external = base64.urlsafe_b64encode(rng.getrandbits(96).to_bytes(12, "big")).decode()
    if channel == "web":
        if rng.random() < 0.45:
            email = f"{handle}.{contact_id}@mail.example.net"
        else:
            name = ""
    elif channel == "email":
        email = f"{handle}.{contact_id}@mail.example.net"
        external = email
    elif channel == "whatsapp":
        verified_phone = phone = f"+88697{contact_id % 10_000_000:07d}"
        external = phone[1:]
    elif channel == "line":
        external = f"U{rng.getrandbits(128):032x}"
    else:
        external = str(rng.randrange(10**15, 10**16))
    rows.contacts.append(
        {
            "id": contact_id,
            "name": name,
            "email": email,
            "phone": phone,
            "attributes": {},
            "created_at": at,
            "last_seen_at": at,
            "timezone": "Asia/Taipei" if channel == "web" and language != "en" else None,
            "verified_phone": verified_phone,
        }
    )
    ids.identity += 1
    rows.contact_identities.append(
        {
            "id": ids.identity,
            "contact_id": contact_id,
            "channel_type": channel,
            "inbox_id": inbox.id,
            "external_id": external,
            "created_at": at,
        }
    )


_DELIVERED = {"line": "sent", "telegram": "sent", "email": "sent"}


def _external_id(rng: random.Random, channel: str) -> str | None:
    match channel:
        case "web":
            return None
        case "email":
            return f"<{rng.getrandbits(80):020x}@mail.example.net>"
        case "whatsapp":
            return "wamid." + base64.b64encode(rng.getrandbits(240).to_bytes(30, "big")).decode()
        case "messenger":
            return (
                "m_" + base64.urlsafe_b64encode(rng.getrandbits(192).to_bytes(24, "big")).decode()
            )
        case _:
            return str(rng.randrange(10**17, 10**18))


def _story_rows(
    rows: HistoryRows,
    rng: random.Random,
    ids: _Ids,
    story: Story,
    contact_id: int,
    created: datetime,
    scale: float,
    spec: HistorySpec,
    zone: ZoneInfo,
    counters: dict[tuple[int, str], int],
) -> None:
    inbox, channel = story.inbox, story.inbox.channel_type

    def when(offset: float | None) -> datetime | None:
        return None if offset is None else created + timedelta(seconds=offset * scale)

    ids.conversation += 1
    conversation_id = ids.conversation
    queue_number = None
    if story.enqueued_at is not None:
        enqueued = when(story.enqueued_at)
        assert enqueued is not None
        key = (inbox.id, enqueued.astimezone(zone).date().isoformat())
        queue_number = counters[key] = counters.get(key, 0) + 1
    events = list(story.events)
    first_reply = next((e.at for e in events if e.kind == "outgoing" and e.sender == "u"), None)
    due = None if story.due_at is None else created + timedelta(seconds=story.due_at)
    if due is not None:
        # The worker records a breach (and says so in the thread) once the due time passes
        # with no answer while the conversation is unresolved.
        answered = when(first_reply)
        closed = when(story.first_resolved_at)
        breached = due + timedelta(seconds=rng.uniform(1, 30))
        if (
            (answered is None or answered > breached)
            and (closed is None or closed > breached)
            and breached < spec.end
        ):
            ids.breach += 1
            rows.sla_breaches.append(
                {
                    "id": ids.breach,
                    "conversation_id": conversation_id,
                    "inbox_id": inbox.id,
                    "kind": "first_response",
                    "due_at": due,
                    "breached_at": breached,
                }
            )
            offset = (breached - created).total_seconds() / (scale or 1.0)
            activity = {"type": "sla_breached", "kind": "first_response", "due_at": due.isoformat()}
            events.append(Event(at=offset, kind="activity", sender="s", activity=activity))
            events.sort(key=lambda e: e.at)
    waiting: datetime | None = None
    preview = ""
    email = channel == "email"
    thread_key = ""
    seq = 0
    last = created
    for event in events:
        seq += 1
        ids.message += 1
        at = when(event.at)
        assert at is not None
        last = at
        text = event.text
        if "{queue_number}" in text:
            text = text.replace("{queue_number}", str(queue_number or ""))
        external = delivery = None
        if event.kind == "incoming":
            waiting = waiting or at
            preview = text
            external = _external_id(rng, channel)
            if email and not thread_key:
                thread_key = external or ""
        elif event.kind == "outgoing":
            if event.sender == "u":
                waiting = None
                preview = text
            if channel != "web":
                external = _external_id(rng, channel)
                delivery = _DELIVERED.get(channel) or rng.choice(("read", "read", "delivered"))
        agent = event.agent
        if event.sender == "c":
            sender_key, contact = f"c:{contact_id}", contact_id
        else:
            sender_key, contact = (f"u:{agent.user_id}" if agent else f"{event.sender}:0"), None
        rows.messages.append(
            {
                "id": ids.message,
                "conversation_id": conversation_id,
                "seq": seq,
                "kind": event.kind,
                "sender_key": sender_key,
                "sender_user_id": agent.user_id if agent and event.sender == "u" else None,
                "sender_contact_id": contact,
                "text": text,
                "activity": event.activity,
                "external_id": external,
                "delivery_status": delivery,
                "created_at": at,
            }
        )
    for answer in story.surveys:
        ids.survey += 1
        answered_at = when(answer.answered_at)
        rows.survey_responses.append(
            {
                "id": ids.survey,
                "conversation_id": conversation_id,
                "inbox_id": inbox.id,
                "contact_id": contact_id,
                "agent_id": answer.agent_id,
                "kind": answer.kind,
                "score": answer.score,
                "comment": answer.comment,
                "resolved_at": when(answer.resolved_at),
                "answered_at": answered_at,
                "created_at": answered_at,
            }
        )
    for tag in story.tags:
        rows.conversation_tags.append({"conversation_id": conversation_id, "tag_id": tag.id})
    resolved = story.status == "resolved"
    rows.conversations.append(
        {
            "id": conversation_id,
            "public_id": _public_id(rng),
            "inbox_id": inbox.id,
            "contact_id": contact_id,
            "status": story.status,
            "priority": story.priority,
            "assignee_id": story.assignee.user_id if story.assignee else None,
            "team_id": story.team_id,
            "last_seq": seq,
            "contact_last_read_seq": seq if resolved else max(0, seq - 1),
            "agent_last_read_seq": seq if resolved else max(0, seq - 1),
            "last_message_preview": preview[:200],
            "created_at": created,
            "first_reply_at": when(first_reply),
            "resolved_at": when(story.resolved_at) if resolved else None,
            "last_activity_at": last,
            "routing_state": story.routing_state,
            "required_skills": [],
            "queued_at": when(story.queued_at) if not resolved else None,
            "queue_number": queue_number,
            "assigned_at": when(story.assigned_at),
            "waiting_since": waiting,
            "first_response_due_at": due,
            "tags": [t.name for t in story.tags],
            "attributes": {},
            "participant_count": 0,
            "thread_key": thread_key,
            "subject": fill_subject(story) if email else None,
            "channel_context": {},
            "bot_state": story.bot_state,
        }
    )


def fill_subject(story: Story) -> str:
    return story.topic.subject[story.language].replace("{order}", story.order)


async def insert_history(
    db: Database | AsyncEngine,
    spec: HistorySpec,
    *,
    batch: int = 2000,
    progress: Callable[[InsertResult], None] | None = None,
    core: bool = False,
) -> InsertResult:
    """Generate `spec`'s history and bulk-insert it, `batch` conversations per transaction,
    with ids after the tables' highest (`spec.ids` is ignored); kefu.reports.sample_insert."""
    from kefu.reports.sample_insert import insert_rows  # (it imports this module)

    return await insert_rows(db, spec, batch=batch, progress=progress, core=core)
