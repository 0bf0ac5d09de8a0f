"""The bot's reports (admins and supervisors) and agent assist (any agent who may open the
conversation): /api/v1/bot/unanswered, /api/v1/bot/metrics, /api/v1/conversations/{id}/assist."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bot import assist, learning, metrics
from kefu.bot.actions import do_mark_turns_reviewed
from kefu.bounds import Id, IdPath, IdQuery
from kefu.conversations.queries import access_conversation

router = APIRouter(prefix="/api/v1", tags=["bot"])


class ExampleOut(BaseModel):
    question: str
    conversation_id: int
    locale: str
    outcome: str
    reason: str | None
    created_at: datetime


class SuggestedQaOut(BaseModel):
    """A body for POST /api/v1/kb/qa, less the answer the admin writes."""

    locale: str
    questions: list[str]


class UnansweredGroupOut(BaseModel):
    representative: str
    count: int
    examples: list[ExampleOut]
    locales: dict[str, int]
    reasons: dict[str, int]
    first_seen: datetime
    last_seen: datetime
    suggested_qa: SuggestedQaOut
    turn_ids: list[int]  # what POST /bot/unanswered/reviewed takes to remove the group


class ReviewedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turn_ids: list[Id] = Field(min_length=1, max_length=learning.MAX_TURNS)


class ReviewedOut(BaseModel):
    reviewed: int  # turns newly marked (others were already, or outside the viewer's inboxes)


class UnansweredOut(BaseModel):
    since: datetime
    until: datetime
    turns: int  # the turns grouped (at most learning.MAX_TURNS, the newest)
    groups: list[UnansweredGroupOut]


@router.get("/bot/unanswered", response_model=UnansweredOut)
async def unanswered(
    actor: Agent,
    runtime: RuntimeDep,
    since: datetime | None = None,
    until: datetime | None = None,
    inbox_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UnansweredOut:
    """Questions the bot could not answer or that ended with "talk to a person", grouped by
    similarity (docs/bot-learning.md), biggest group first."""
    start, end = learning.report_window(since, until)
    async with runtime.db.read() as session:
        inbox_ids = await learning.report_inbox_ids(session=session, actor=actor, inbox_id=inbox_id)
        turns = await learning.unanswered_turns(
            session=session, start=start, end=end, inbox_ids=inbox_ids
        )
    # Segmenting and comparing up to 5,000 questions is CPU work (~1 s): off the event loop.
    groups = (await asyncio.to_thread(learning.group_questions, turns))[:limit]
    return UnansweredOut(
        since=start,
        until=end,
        turns=len(turns),
        groups=[
            UnansweredGroupOut(
                representative=g.representative,
                count=g.count,
                examples=[ExampleOut.model_validate(e, from_attributes=True) for e in g.examples],
                locales=g.locales,
                reasons=g.reasons,
                first_seen=g.first_seen,
                last_seen=g.last_seen,
                suggested_qa=SuggestedQaOut(locale=g.locale, questions=g.questions),
                turn_ids=g.turn_ids,
            )
            for g in groups
        ],
    )


class DayOut(BaseModel):
    day: date
    conversations: int
    contained: int
    handed_off: int
    in_progress: int
    containment_rate: float | None
    handoff_rate: float | None
    handoffs_by_reason: dict[str, int]
    answers: int
    actions: int
    helped: int
    not_helped: int
    csat_responses: int
    csat_average: float | None
    csat_satisfied_rate: float | None


class MetricsOut(BaseModel):
    tz: str
    days: list[DayOut]
    total: DayOut  # the whole period (its `day` is the first day)


def _day_out(row: metrics.DayFigures) -> DayOut:
    return DayOut(
        day=row.day,
        conversations=row.conversations,
        contained=row.contained,
        handed_off=row.handed_off,
        in_progress=row.in_progress,
        containment_rate=row.containment_rate,
        handoff_rate=row.handoff_rate,
        handoffs_by_reason=row.handoffs_by_reason,
        answers=row.answers,
        actions=row.actions,
        helped=row.helped,
        not_helped=row.not_helped,
        csat_responses=row.csat_responses,
        csat_average=row.csat_average,
        csat_satisfied_rate=row.csat_satisfied_rate,
    )


@router.post("/bot/unanswered/reviewed", response_model=ReviewedOut)
async def mark_reviewed(body: ReviewedIn, actor: Agent, runtime: RuntimeDep) -> ReviewedOut:
    """A group of the report dealt with (its Q&A pair made, or dismissed): its turns leave the
    report. Admins any; supervisors their inboxes' turns only."""
    async with runtime.db.write() as session:
        inbox_ids = await learning.report_inbox_ids(session=session, actor=actor, inbox_id=None)
        reviewed = await do_mark_turns_reviewed(
            session, turn_ids=body.turn_ids, inbox_ids=inbox_ids
        )
    return ReviewedOut(reviewed=reviewed)


@router.get("/bot/metrics", response_model=MetricsOut)
async def bot_metrics(
    actor: Agent,
    runtime: RuntimeDep,
    since: date | None = None,
    until: date | None = None,
    tz: Annotated[str, Query(max_length=64)] = "UTC",
    inbox_id: IdQuery = None,
) -> MetricsOut:
    """Containment, handoffs, answers and bot CSAT per local day in `tz` (`since` and `until`
    are local dates, both included; default the last 30 days)."""
    zone = metrics.zone(tz)
    days = metrics.day_range(since, until, zone)
    async with runtime.db.read() as session:
        inbox_ids = await learning.report_inbox_ids(session=session, actor=actor, inbox_id=inbox_id)
        rows = await metrics.bot_metrics(session=session, days=days, tz=zone, inbox_ids=inbox_ids)
    return MetricsOut(tz=tz, days=[_day_out(r) for r in rows], total=_day_out(metrics.totals(rows)))


class ArticleSuggestionOut(BaseModel):
    article_id: int
    locale: str
    title: str
    snippet: str
    url: str
    insert_text: str
    confidence: float


class CannedSuggestionOut(BaseModel):
    canned_id: int
    shortcut: str
    title: str
    content: str
    locale: str | None
    score: float


class AssistOut(BaseModel):
    message_id: int | None  # the customer's last message with text (None: there is none)
    message_text: str
    locale: str
    articles: list[ArticleSuggestionOut]
    canned: list[CannedSuggestionOut]


@router.get("/conversations/{conversation_id}/assist", response_model=AssistOut)
async def conversation_assist(
    conversation_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> AssistOut:
    """Articles and canned responses relevant to the customer's last message (3 + 3)."""
    index = await runtime.kb_index.current()
    async with runtime.db.read() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        result = await assist.assist_for(
            session=session,
            actor=actor,
            conversation=conversation,
            index=index,
            base_url=runtime.settings.base_url(),
        )
    return AssistOut.model_validate(result, from_attributes=True)
