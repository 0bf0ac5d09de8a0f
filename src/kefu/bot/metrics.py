"""The bot's figures per local day (docs/bot-learning.md has the definitions; they are these).

A *bot conversation* is one with at least one BotTurn; it belongs to the local day (in `tz`) of
its first turn, so it is counted once however long it lasts.
- handed off: it has a turn with outcome "handoff" (its reason: the first handoff's);
- contained: not handed off, no agent (a person) wrote a reply in it, and it is finished:
  resolved, or no activity for 24 hours;
- in progress: neither (still open and active, without a handoff so far);
- containment rate = contained / (conversations - in progress): finished ones only, so today's
  figure is not dragged down by chats that are still going; handoff rate = handed off /
  conversations.
Turn figures count turns on their own local day: answers (outcome "answered"), actions run
(outcome "action"), "helped" and "not helped" feedback.
Bot CSAT: the CSAT survey responses (1-5) of the contained conversations of the day: their
number, average and % satisfied (4 or 5)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.bot.models import BotTurn
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.errors import InvalidInput
from kefu.messages.models import Message
from kefu.surveys.models import SurveyResponse

INACTIVE_AFTER = timedelta(hours=24)
SATISFIED_SCORE = 4
DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(slots=True)
class DayFigures:
    day: date
    conversations: int = 0
    contained: int = 0
    handed_off: int = 0
    in_progress: int = 0
    handoffs_by_reason: dict[str, int] = field(default_factory=dict)
    answers: int = 0
    actions: int = 0
    helped: int = 0
    not_helped: int = 0
    csat_responses: int = 0
    csat_score_sum: int = 0
    csat_satisfied: int = 0

    @property
    def containment_rate(self) -> float | None:
        finished = self.conversations - self.in_progress
        return round(self.contained / finished, 4) if finished else None

    @property
    def handoff_rate(self) -> float | None:
        return round(self.handed_off / self.conversations, 4) if self.conversations else None

    @property
    def csat_average(self) -> float | None:
        return round(self.csat_score_sum / self.csat_responses, 2) if self.csat_responses else None

    @property
    def csat_satisfied_rate(self) -> float | None:
        return round(self.csat_satisfied / self.csat_responses, 4) if self.csat_responses else None

    def add(self, other: DayFigures) -> None:
        for name in (
            "conversations",
            "contained",
            "handed_off",
            "in_progress",
            "answers",
            "actions",
            "helped",
            "not_helped",
            "csat_responses",
            "csat_score_sum",
            "csat_satisfied",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        reasons = Counter(self.handoffs_by_reason)
        reasons.update(other.handoffs_by_reason)
        self.handoffs_by_reason = dict(sorted(reasons.items()))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown time zone {name!r}.", code="bad_timezone") from exc


def day_range(since: date | None, until: date | None, tz: ZoneInfo) -> list[date]:
    """The local days from `since` to `until`, both included (default: the last 30 days)."""
    last = until or utcnow().astimezone(tz).date()
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput("`since` must not be after `until`.", code="bad_period")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"The period is at most {MAX_DAYS} days.", code="bad_period")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


async def bot_metrics(
    *,
    session: AsyncSession,
    days: list[date],
    tz: ZoneInfo,
    inbox_ids: list[int] | None,
    now: datetime | None = None,
) -> list[DayFigures]:
    now = now or utcnow()
    start = _local_midnight(days[0], tz)
    end = _local_midnight(days[-1] + timedelta(days=1), tz)
    figures = {day: DayFigures(day=day) for day in days}

    def local_day(moment: datetime) -> date:
        return moment.astimezone(tz).date()

    # The cohort: conversations whose first bot turn falls in the period.
    first_turn = (
        select(BotTurn.conversation_id, func.min(BotTurn.created_at).label("first_at"))
        .group_by(BotTurn.conversation_id)
        .having(func.min(BotTurn.created_at) >= start, func.min(BotTurn.created_at) < end)
    )
    if inbox_ids is not None:
        first_turn = first_turn.where(BotTurn.inbox_id.in_(inbox_ids))
    cohort_rows = (await session.execute(first_turn)).all()
    day_of = {row.conversation_id: local_day(row.first_at) for row in cohort_rows}
    cohort = first_turn.with_only_columns(BotTurn.conversation_id).subquery()

    handoffs: dict[int, str] = {}
    handoff_rows = await session.execute(
        select(BotTurn.conversation_id, BotTurn.reason)
        .where(BotTurn.conversation_id.in_(select(cohort.c.conversation_id)))
        .where(BotTurn.outcome == "handoff")
        .order_by(BotTurn.created_at, BotTurn.id)
    )
    for conversation_id, reason in handoff_rows:
        handoffs.setdefault(conversation_id, reason or "other")
    humans = set(
        await session.scalars(
            select(Message.conversation_id)
            .where(Message.conversation_id.in_(select(cohort.c.conversation_id)))
            .where(Message.kind == "outgoing", Message.sender_user_id.is_not(None))
            .distinct()
        )
    )
    states = {
        row.id: row
        for row in await session.execute(
            select(Conversation.id, Conversation.status, Conversation.last_activity_at).where(
                Conversation.id.in_(select(cohort.c.conversation_id))
            )
        )
    }
    contained: set[int] = set()
    for conversation_id, day in day_of.items():
        row = figures[day]
        row.conversations += 1
        if conversation_id in handoffs:
            row.handed_off += 1
            reason = handoffs[conversation_id]
            row.handoffs_by_reason[reason] = row.handoffs_by_reason.get(reason, 0) + 1
            continue
        state = states.get(conversation_id)
        finished = state is not None and (
            state.status == "resolved" or now - state.last_activity_at >= INACTIVE_AFTER
        )
        if conversation_id in humans:
            continue  # a person answered without a bot handoff: finished, but not contained
        if finished:
            row.contained += 1
            contained.add(conversation_id)
        else:
            row.in_progress += 1

    surveys = await session.execute(
        select(SurveyResponse.conversation_id, SurveyResponse.score).where(
            SurveyResponse.kind == "csat",
            SurveyResponse.conversation_id.in_(select(cohort.c.conversation_id)),
        )
    )
    for conversation_id, score in surveys:
        if conversation_id in contained:
            row = figures[day_of[conversation_id]]
            row.csat_responses += 1
            row.csat_score_sum += score
            row.csat_satisfied += score >= SATISFIED_SCORE

    turns = select(BotTurn.created_at, BotTurn.outcome, BotTurn.feedback).where(
        BotTurn.created_at >= start, BotTurn.created_at < end
    )
    if inbox_ids is not None:
        turns = turns.where(BotTurn.inbox_id.in_(inbox_ids))
    for created_at, outcome, feedback in await session.execute(turns):
        row = figures[local_day(created_at)]
        row.answers += outcome == "answered"
        row.actions += outcome == "action"
        row.helped += feedback == "helped"
        row.not_helped += feedback == "not_helped"
    for row in figures.values():
        row.handoffs_by_reason = dict(sorted(row.handoffs_by_reason.items()))
    return [figures[day] for day in days]


def totals(days: list[DayFigures]) -> DayFigures:
    total = DayFigures(day=days[0].day)
    for row in days:
        total.add(row)
    return total
