"""The learning loop: the questions the bot could not answer (or that ended with the customer
asking for a person), grouped by similarity so an admin can turn each group into a Q&A pair.

Which turns count: outcome "unanswered", and outcome "handoff" with reason low_confidence,
requested or not_helped (bot/models.py BotTurn has the vocabulary); empty questions are skipped.

Grouping (greedy, one pass, deterministic):
1. Each question becomes a set of words (`kefu.kb.retrieval.terms`: Chinese segmented,
   Traditional = Simplified, case folded), without a few English function words.
2. Each word is weighted by its inverse document frequency over the report's questions
   (ln((N + 1) / (df + 1)) + 1), a third for one-character words (mostly Chinese particles):
   words every question shares ("where is my") count little, the topic words count most.
3. Identical word sets are merged first; then, most frequent first, each question joins the
   group whose summed weight vector is nearest by cosine similarity if that is at least
   `SIMILARITY` (0.5), else starts a new group.
The representative is the group's most frequent phrasing (the most recent on a tie)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.bot.models import BotTurn
from kefu.conversations.visibility import LEAD_ROLES, load_viewer
from kefu.db import utcnow
from kefu.errors import InvalidInput, NotFound, PermissionDenied
from kefu.kb.retrieval import terms

SIMILARITY = 0.5
HANDOFF_REASONS = ("low_confidence", "requested", "not_helped")
MAX_TURNS = 5000  # the newest ones in the window: a report, not an export
MAX_EXAMPLES = 5
MAX_SUGGESTED = 10
MAX_QUESTION_CHARS = 200
DEFAULT_DAYS = 30
MAX_DAYS = 366
_FUNCTION_WORDS_TEXT = (
    "a an the is are am was were be do does did i me my we our you your it its to of in on "
    "at for and or can could would will please hi hello"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())


async def report_inbox_ids(
    *, session: AsyncSession, actor: AgentPrincipal, inbox_id: int | None
) -> list[int] | None:
    """The inboxes a bot report may cover: admins every inbox (None), supervisors those they
    belong to; agents none (PermissionDenied). An inbox outside them is not found."""
    if actor.user.role not in LEAD_ROLES:
        raise PermissionDenied("Only admins and supervisors see the bot's reports.")
    viewer = await load_viewer(session=session, actor=actor)
    if inbox_id is not None:
        if viewer.inbox_ids is not None and inbox_id not in viewer.inbox_ids:
            raise NotFound("Inbox not found.")
        return [inbox_id]
    return None if viewer.inbox_ids is None else sorted(viewer.inbox_ids)


def report_window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """[since, until) in UTC; by default the last 30 days. Times without a zone are UTC."""
    for moment in (since, until):
        if moment is not None and not 1970 <= moment.year <= 9000:
            raise InvalidInput("The period is outside the years 1970 to 9000.", code="bad_period")
    end = _aware(until) if until else utcnow()
    start = _aware(since) if since else end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise InvalidInput("`since` must be before `until`.", code="bad_period")
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"The period is at most {MAX_DAYS} days.", code="bad_period")
    return start, end


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


@dataclass(frozen=True, slots=True)
class Example:
    question: str
    conversation_id: int
    locale: str
    outcome: str
    reason: str | None
    created_at: datetime


@dataclass(slots=True)
class Group:
    representative: str
    count: int
    examples: list[Example]  # newest first, at most MAX_EXAMPLES
    questions: list[str]  # distinct phrasings, most frequent first: for POST /api/v1/kb/qa
    locale: str  # the most frequent one (the Q&A pair's language)
    locales: dict[str, int]
    reasons: dict[str, int]  # "unanswered" or the handoff reason
    first_seen: datetime
    last_seen: datetime
    turn_ids: list[int]  # for POST /api/v1/bot/unanswered/reviewed


@dataclass(slots=True)
class _Cluster:
    vector: dict[str, float] = field(default_factory=dict)
    norm: float = 0.0
    turns: list[BotTurn] = field(default_factory=list)

    def add(self, vector: dict[str, float], turns: list[BotTurn]) -> None:
        for term, weight in vector.items():
            self.vector[term] = self.vector.get(term, 0.0) + weight * len(turns)
        self.norm = math.sqrt(sum(w * w for w in self.vector.values()))
        self.turns.extend(turns)


async def unanswered_turns(
    *,
    session: AsyncSession,
    start: datetime,
    end: datetime,
    inbox_ids: list[int] | None,
) -> Sequence[BotTurn]:
    query = select(BotTurn).where(
        BotTurn.created_at >= start,
        BotTurn.created_at < end,
        BotTurn.question != "",
        BotTurn.reviewed_at.is_(None),
        or_(
            BotTurn.outcome == "unanswered",
            and_(BotTurn.outcome == "handoff", BotTurn.reason.in_(HANDOFF_REASONS)),
        ),
    )
    if inbox_ids is not None:
        query = query.where(BotTurn.inbox_id.in_(inbox_ids))
    query = query.order_by(BotTurn.created_at.desc(), BotTurn.id.desc()).limit(MAX_TURNS)
    return (await session.scalars(query)).all()


def word_set(question: str) -> frozenset[str]:
    return frozenset(t for t in terms(question) if t not in _FUNCTION_WORDS)


def group_questions(turns: Sequence[BotTurn], *, similarity: float = SIMILARITY) -> list[Group]:
    """The turns grouped as the module docstring says; biggest group first."""
    by_words: dict[frozenset[str], list[BotTurn]] = defaultdict(list)
    for turn in turns:
        words = word_set(turn.question)
        if words:
            by_words[words].append(turn)
    if not by_words:
        return []
    df = Counter(word for words in by_words for word in words)
    n = len(by_words)

    def weight(word: str) -> float:
        idf = math.log((n + 1) / (df[word] + 1)) + 1
        return idf * (1 / 3 if len(word) == 1 else 1.0)

    clusters: list[_Cluster] = []
    # Only groups that share a word can be similar: look those up instead of every group.
    postings: dict[str, set[int]] = defaultdict(set)
    # Most frequent first, then the newest: the big groups form around their usual phrasing.
    ordered = sorted(
        by_words.items(),
        key=lambda item: (-len(item[1]), -max(t.created_at.timestamp() for t in item[1])),
    )
    for words, members in ordered:
        vector = {word: weight(word) for word in words}
        norm = math.sqrt(sum(w * w for w in vector.values()))
        best, best_score = -1, 0.0
        for position in sorted(set().union(*(postings.get(word, set()) for word in words))):
            cluster = clusters[position]
            dot = sum(w * cluster.vector.get(word, 0.0) for word, w in vector.items())
            score = dot / (norm * cluster.norm) if norm and cluster.norm else 0.0
            if score > best_score:
                best, best_score = position, score
        if best < 0 or best_score < similarity:
            best = len(clusters)
            clusters.append(_Cluster())
        clusters[best].add(vector, members)
        for word in words:
            postings[word].add(best)
    groups = [_group(cluster.turns) for cluster in clusters]
    groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.representative))
    return groups


def _group(turns: list[BotTurn]) -> Group:
    newest = sorted(turns, key=lambda t: (t.created_at, t.id), reverse=True)
    phrasings: Counter[str] = Counter()
    last_seen_of: dict[str, datetime] = {}
    for turn in newest:
        text = " ".join(turn.question.split())[:MAX_QUESTION_CHARS]
        phrasings[text] += 1
        last_seen_of.setdefault(text, turn.created_at)
    ranked = sorted(phrasings, key=lambda q: (-phrasings[q], -last_seen_of[q].timestamp(), q))
    locales = Counter(turn.locale for turn in turns)
    return Group(
        representative=ranked[0],
        count=len(turns),
        examples=[
            Example(
                question=turn.question[:MAX_QUESTION_CHARS],
                conversation_id=turn.conversation_id,
                locale=turn.locale,
                outcome=turn.outcome,
                reason=turn.reason,
                created_at=turn.created_at,
            )
            for turn in newest[:MAX_EXAMPLES]
        ],
        questions=ranked[:MAX_SUGGESTED],
        locale=sorted(locales, key=lambda loc: (-locales[loc], loc))[0],
        locales=dict(sorted(locales.items())),
        reasons=dict(
            sorted(
                Counter(
                    t.reason if t.outcome == "handoff" and t.reason else "unanswered" for t in turns
                ).items()
            )
        ),
        first_seen=newest[-1].created_at,
        last_seen=newest[0].created_at,
        turn_ids=sorted(t.id for t in turns),
    )
