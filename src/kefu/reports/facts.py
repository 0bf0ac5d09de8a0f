"""The reference definitions of every per-conversation figure (docs/reports.md, "KPI
definitions"): a pure function of the conversation's raw rows.

`compute_fact` is what the worker stores in `conversation_facts` and what the recomputation
that proves the rollups (kefu/reports/recompute.py) uses: one definition, no second copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kefu.auth.principals import BOT_SENDER_KEY
from kefu.routing.hours import BusinessHours, business_seconds_between


@dataclass(frozen=True, slots=True)
class ConversationRow:
    id: int
    inbox_id: int
    team_id: int | None
    assignee_id: int | None
    status: str
    created_at: datetime
    resolved_at: datetime | None
    tags: Sequence[str]
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MessageRow:
    kind: str  # incoming | outgoing | activity (notes are not read)
    sender_key: str
    sender_user_id: int | None
    created_at: datetime
    activity: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SurveyRow:
    kind: str  # csat | nps
    score: int
    answered_at: datetime


@dataclass(slots=True)
class Fact:
    """What reports count about one conversation. Durations are whole seconds."""

    conversation_id: int
    inbox_id: int
    channel: str
    team_id: int | None
    agent_id: int | None
    tags: list[str]
    status: str
    created_at: datetime
    first_response_at: datetime | None = None
    frt_s: int | None = None
    frt_bh_s: int | None = None
    responses: list[tuple[datetime, int]] = field(default_factory=list)  # next responses
    resolved_at: datetime | None = None  # set when it counts as resolved
    resolution_s: int | None = None
    resolution_bh_s: int | None = None
    handling_s: int | None = None
    queued: bool = False  # waited for a person: assigned, answered or abandoned
    wait_s: int | None = None
    abandoned: bool = False
    reopens: int = 0
    transfers: int = 0
    human_replied: bool = False
    merged: bool = False
    bot: bool = False
    bot_handoff: bool = False
    bot_contained: bool = False
    sla: bool = False
    sla_breached: bool = False
    surveys: list[tuple[datetime, str, int]] = field(default_factory=list)

    @property
    def last_event_at(self) -> datetime:
        times = [self.created_at, *(at for at, _ in self.responses)]
        times += [at for at, _, _ in self.surveys]
        times += [t for t in (self.first_response_at, self.resolved_at) if t is not None]
        return max(times)

    def to_json(self) -> dict[str, Any]:
        """The `data` column: everything but the columns conversation_facts has of its own."""
        return {
            "first_response_at": _iso(self.first_response_at),
            "frt_s": self.frt_s,
            "frt_bh_s": self.frt_bh_s,
            "responses": [[at.isoformat(), s] for at, s in self.responses],
            "resolved_at": _iso(self.resolved_at),
            "resolution_s": self.resolution_s,
            "resolution_bh_s": self.resolution_bh_s,
            "handling_s": self.handling_s,
            "queued": self.queued,
            "wait_s": self.wait_s,
            "abandoned": self.abandoned,
            "reopens": self.reopens,
            "transfers": self.transfers,
            "human_replied": self.human_replied,
            "merged": self.merged,
            "bot": self.bot,
            "bot_handoff": self.bot_handoff,
            "bot_contained": self.bot_contained,
            "sla": self.sla,
            "sla_breached": self.sla_breached,
            "surveys": [[at.isoformat(), kind, score] for at, kind, score in self.surveys],
        }

    @classmethod
    def from_row(
        cls,
        *,
        conversation_id: int,
        inbox_id: int,
        channel: str,
        team_id: int | None,
        agent_id: int | None,
        tags: Sequence[str],
        status: str,
        created_at: datetime,
        data: dict[str, Any],
    ) -> Fact:
        return cls(
            conversation_id=conversation_id,
            inbox_id=inbox_id,
            channel=channel,
            team_id=team_id,
            agent_id=agent_id,
            tags=list(tags),
            status=status,
            created_at=created_at,
            first_response_at=_dt(data.get("first_response_at")),
            frt_s=data.get("frt_s"),
            frt_bh_s=data.get("frt_bh_s"),
            responses=[(_at(at), int(s)) for at, s in data.get("responses", [])],
            resolved_at=_dt(data.get("resolved_at")),
            resolution_s=data.get("resolution_s"),
            resolution_bh_s=data.get("resolution_bh_s"),
            handling_s=data.get("handling_s"),
            queued=bool(data.get("queued")),
            wait_s=data.get("wait_s"),
            abandoned=bool(data.get("abandoned")),
            reopens=int(data.get("reopens", 0)),
            transfers=int(data.get("transfers", 0)),
            human_replied=bool(data.get("human_replied")),
            merged=bool(data.get("merged")),
            bot=bool(data.get("bot")),
            bot_handoff=bool(data.get("bot_handoff")),
            bot_contained=bool(data.get("bot_contained")),
            sla=bool(data.get("sla")),
            sla_breached=bool(data.get("sla_breached")),
            surveys=[(_at(at), str(k), int(s)) for at, k, s in data.get("surveys", [])],
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _dt(value: str | None) -> datetime | None:
    return _at(value) if value else None


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))


def _business(hours: BusinessHours, start: datetime, end: datetime) -> int:
    return max(0, round(business_seconds_between(hours, start, end)))


def compute_fact(
    conversation: ConversationRow,
    *,
    channel: str,
    hours: BusinessHours,
    messages: Sequence[MessageRow],
    surveys: Sequence[SurveyRow] = (),
    breaches: int = 0,
) -> Fact:
    """The figures of one conversation from its rows; `messages` in seq order."""
    fact = Fact(
        conversation_id=conversation.id,
        inbox_id=conversation.inbox_id,
        channel=channel,
        team_id=conversation.team_id,
        agent_id=conversation.assignee_id,
        tags=list(conversation.tags),
        status=conversation.status,
        created_at=conversation.created_at,
    )
    first_incoming: datetime | None = None
    handoff_at: datetime | None = None
    first_assigned: datetime | None = None
    first_human: datetime | None = None
    waiting_since: datetime | None = None
    # Handling time: the sum of the periods in which an agent held the conversation while it
    # was open (assigned and neither resolved nor snoozed).
    holding = False
    is_open = True
    held_since: datetime | None = None
    handled = 0.0

    def update_hold(at: datetime) -> None:
        nonlocal held_since, handled
        active = holding and is_open
        if active and held_since is None:
            held_since = at
        elif not active and held_since is not None:
            handled += (at - held_since).total_seconds()
            held_since = None

    for message in messages:
        at = message.created_at
        if message.kind == "incoming":
            first_incoming = first_incoming or at
            if waiting_since is None:
                waiting_since = at
        elif message.kind == "outgoing":
            if message.sender_key == BOT_SENDER_KEY:
                fact.bot = True
            elif message.sender_user_id is not None:  # a person (automatic replies are not)
                if first_human is None:
                    first_human = at
                elif waiting_since is not None:
                    fact.responses.append((at, _seconds(waiting_since, at)))
                waiting_since = None
        elif message.kind == "activity" and message.activity:
            activity = message.activity
            kind = activity.get("type")
            if kind == "assigned":
                if activity.get("to") is not None:
                    first_assigned = first_assigned or at
                    if activity.get("from") is not None:
                        fact.transfers += 1  # from one agent to another
                    holding = True
                else:
                    holding = False
            elif kind == "transferred":
                fact.transfers += 1
                holding = False
            elif kind == "requeued":
                holding = False
            elif kind == "status_changed":
                if activity.get("to") == "resolved":
                    is_open = False
                elif activity.get("from") == "resolved":
                    fact.reopens += 1
                    is_open = True
                elif activity.get("to") in ("open", "pending"):
                    is_open = True
            elif kind == "snoozed":
                is_open = False
            elif kind == "unsnoozed":
                is_open = True
            elif kind == "merge_resolved":
                fact.merged = True
                is_open = False
            elif kind == "bot_handoff":
                handoff_at = handoff_at or at
                fact.bot_handoff = True
            update_hold(at)

    fact.human_replied = first_human is not None
    resolved = conversation.status == "resolved" and conversation.resolved_at is not None
    if resolved and fact.merged:
        resolved = False  # it continues in another conversation: not a resolution
    if first_incoming is not None:
        # The customer waits for a person from their first message, or from the bot's handoff.
        start = handoff_at if handoff_at is not None else first_incoming
        if first_human is not None:
            fact.first_response_at = first_human
            fact.frt_s = _seconds(start, first_human)
            fact.frt_bh_s = _business(hours, start, first_human)
        bot_only = fact.bot and not fact.bot_handoff and first_human is None
        if not bot_only:
            ends = [t for t in (first_assigned, first_human) if t is not None]
            if ends:
                fact.queued = True
                fact.wait_s = _seconds(start, min(ends))
            elif resolved:
                fact.queued = fact.abandoned = True
    if resolved:
        assert conversation.resolved_at is not None
        fact.resolved_at = conversation.resolved_at
        fact.resolution_s = _seconds(conversation.created_at, conversation.resolved_at)
        fact.resolution_bh_s = _business(hours, conversation.created_at, conversation.resolved_at)
        if first_assigned is not None:
            if held_since is not None:  # still held at the end of the rows
                handled += (conversation.resolved_at - held_since).total_seconds()
            fact.handling_s = max(0, round(handled))
        fact.bot_contained = fact.bot and not fact.bot_handoff and not fact.human_replied
    fact.sla = breaches > 0 or (
        conversation.first_response_due_at is not None or conversation.resolution_due_at is not None
    )
    fact.sla_breached = breaches > 0
    fact.surveys = [(s.answered_at, s.kind, s.score) for s in surveys]
    return fact
