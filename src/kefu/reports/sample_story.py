"""One synthetic conversation's life, for kefu.reports.sample_history: what happens and when,
as the app's actions would have recorded it (the messages with their activity lines, and the
conversation's state after them).

Times are offsets in seconds from the customer's first message. A story stops at `limit` (the
end of the history): whatever had not happened by then did not happen, so the conversation is
left as it was (waiting in the queue, open, with the bot). The activity lines are the ones the
actions write (kefu/routing/assignment.py, conversations/actions.py, bot/actions.py,
routing/actions.py, tags/actions.py, surveys/actions.py, routing/breaches.py)."""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kefu.bot.summary import summarize
from kefu.reports import sample_phrases as phrases
from kefu.routing.settings import AutoReplies, fill

AUTO_REPLIES = AutoReplies()


@dataclass(frozen=True)
class HistoryInbox:
    id: int
    channel_type: str  # kefu.inboxes.models.CHANNEL_TYPES
    name: str = ""
    team_id: int | None = None  # the inbox's team: new conversations start with it
    locale: str = "zh-TW"  # the language of its automatic replies
    # Share of its conversations the FAQ bot answers first; None: a quarter for website
    # inboxes, none elsewhere.
    bot_share: float | None = None
    # Its share of its channel's conversations, relative to the channel's other inboxes.
    weight: float = 1.0
    greeting: bool = True  # the routing greeting is on (RoutingSettings.greeting_enabled)

    @property
    def bot(self) -> float:
        if self.bot_share is not None:
            return self.bot_share
        return 0.25 if self.channel_type == "web" else 0.0


@dataclass(frozen=True)
class HistoryAgent:
    user_id: int
    name: str
    team_id: int | None = None
    inbox_ids: frozenset[int] | None = None  # the inboxes they are a member of; None: all
    weight: float = 1.0  # how much of the work they take, relative to the others


@dataclass(frozen=True)
class HistoryTeam:
    id: int
    name: str


@dataclass(frozen=True)
class HistoryTag:
    id: int
    name: str


@dataclass(frozen=True)
class Event:
    at: float
    kind: str  # incoming | outgoing | note | activity
    sender: str  # "c" the customer, "u" an agent, "b" the bot, "s" kefu itself
    agent: HistoryAgent | None = None
    text: str = ""
    activity: dict[str, Any] | None = None


@dataclass(frozen=True)
class SurveyAnswer:
    kind: str  # csat | nps
    score: int
    comment: str
    resolved_at: float
    answered_at: float
    agent_id: int | None


@dataclass
class Story:
    inbox: HistoryInbox
    language: str
    topic: phrases.Topic
    order: str
    team_id: int | None
    events: list[Event] = field(default_factory=list)
    status: str = "open"
    priority: str = "normal"
    assignee: HistoryAgent | None = None
    assigned_at: float | None = None
    resolved_at: float | None = None
    first_resolved_at: float | None = None
    routing_state: str = "new"
    bot_state: dict[str, Any] = field(default_factory=dict)
    queued_at: float | None = None
    enqueued_at: float | None = None  # its first time in the queue: the queue number's day
    due_at: float | None = None  # first response SLA
    tags: list[HistoryTag] = field(default_factory=list)
    surveys: list[SurveyAnswer] = field(default_factory=list)

    @property
    def last_at(self) -> float:
        return max((e.at for e in self.events), default=0.0)


@dataclass(frozen=True)
class StoryContext:
    """What a story of one inbox may draw on."""

    inbox: HistoryInbox
    agents: tuple[HistoryAgent, ...]  # the inbox's members
    agent_weights: tuple[float, ...]  # cumulative
    teams: dict[int, HistoryTeam]
    tags: tuple[HistoryTag, ...]
    tag_weights: tuple[float, ...]  # cumulative
    exchanges: float  # mean customer/agent exchanges after the first answer
    sla_minutes: int | None
    bot_idle_hours: float
    csat_share: float
    nps_share: float
    reopen_share: float
    transfer_share: float


class _Ended(Exception):
    """The history ends before this happens."""


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def pick_agent(
    rng: random.Random, ctx: StoryContext, *, team_id: int | None = None, other_than: int = 0
) -> HistoryAgent | None:
    """A member of the inbox, of `team_id` when it has one there, weighted by workload."""
    pool = [a for a in ctx.agents if a.user_id != other_than]
    if team_id is not None:
        pool = [a for a in pool if a.team_id == team_id] or pool
    if not pool:
        return None
    if len(pool) == len(ctx.agents):
        return rng.choices(ctx.agents, cum_weights=ctx.agent_weights)[0]
    return rng.choices(pool, weights=[a.weight for a in pool])[0]


class Teller:
    """Writes one story: each step checks the clock first, so a story cut by the end of the
    history holds exactly the state of its last step."""

    def __init__(
        self,
        rng: random.Random,
        ctx: StoryContext,
        *,
        language: str,
        load: float,
        limit: float,
        stays_open: bool,
    ) -> None:
        self.rng, self.ctx, self.load, self.limit = rng, ctx, load, limit
        self.stays_open = stays_open
        topic = rng.choice(phrases.TOPICS)
        order = f"{rng.choice('ABCDEFGHJK')}{rng.randrange(10**8, 10**9)}"
        self.story = Story(
            inbox=ctx.inbox, language=language, topic=topic, order=order, team_id=ctx.inbox.team_id
        )
        self.lang = language

    # --- writing -------------------------------------------------------------------------
    def _event(self, at: float, kind: str, sender: str, **values: Any) -> float:
        if at > self.limit:
            raise _Ended
        self.story.events.append(Event(at=at, kind=kind, sender=sender, **values))
        return at

    def line(self, options: Mapping[str, Sequence[str]], **values: str) -> str:
        text = self.rng.choice(options[self.lang])
        return text.replace("{order}", self.story.order).replace("{agent}", values.get("agent", ""))

    def customer(self, at: float, text: str) -> float:
        return self._event(at, "incoming", "c", text=text)

    def agent_says(self, at: float, agent: HistoryAgent, text: str, *, note: bool = False) -> float:
        return self._event(at, "note" if note else "outgoing", "u", agent=agent, text=text)

    def activity(
        self, at: float, sender: str, activity: dict[str, Any], agent: HistoryAgent | None = None
    ) -> float:
        return self._event(at, "activity", sender, agent=agent, activity=activity)

    # --- the story -----------------------------------------------------------------------
    def tell(self) -> Story:
        with contextlib.suppress(_Ended):
            self._tell()
        return self.story

    def _tell(self) -> None:
        rng, story = self.rng, self.story
        t = self.customer(0.0, self.line(story.topic.opening))
        bot = rng.random() < story.inbox.bot  # the bot answers first
        if bot:
            t = self._bot_phase(t)  # returns only after a handoff
        t = self._route(t + rng.uniform(0.2, 1.5), greet=not bot)  # (the bot greeted)
        if rng.random() < 0.025 + 0.07 * self.load**2:
            self._abandon(t)
            return
        agent = self._assign(t, quiet=False)  # (a queued reply after a handoff too)
        if agent is None:
            return
        t = self._serve(story.assigned_at or t, agent)
        if self.stays_open:
            self._leave_open(t)
            return
        t = self._resolve(t, story.assignee or agent)
        if story.assignee is not None and rng.random() < self.ctx.reopen_share:
            self._reopen(t)

    def _bot_phase(self, t: float) -> float:
        """The FAQ bot answers; the customer is helped (the bot resolves it once idle) or asks
        for a person (a handoff line, then routing)."""
        rng, story = self.rng, self.story
        story.routing_state = "bot"
        asked = [story.events[0].text]
        story.bot_state = {"seq": 1, "welcomed": True, "locale": self.lang, "asked": asked}
        helped = rng.random() < 0.75
        reason = "low_confidence"
        if helped or rng.random() < 0.6:  # the bot had an answer
            t = self._event(
                t + rng.uniform(0.5, 3), "outgoing", "b", text=self.line(story.topic.answer)
            )
            if rng.random() < 0.35:
                question = self.line(story.topic.follow_up)
                t = self.customer(t + lognormal(rng, 40, 0.8), question)
                asked.append(question)
                t = self._event(
                    t + rng.uniform(0.5, 3), "outgoing", "b", text=self.line(story.topic.answer)
                )
            reason = rng.choices(["requested", "upset", "not_helped"], [0.75, 0.12, 0.13])[0]
        if helped:
            if rng.random() < 0.5:
                t = self.customer(t + lognormal(rng, 25, 0.7), self.line(phrases.CUSTOMER_THANKS))
                t = self._event(
                    t + rng.uniform(0.5, 2), "outgoing", "b", text=phrases.BOT_HELPED[self.lang]
                )
            story.bot_state["seq"] = self._last_customer_seq()
            # The worker's idle round resolves it (kefu.bot.actions.do_resolve_idle_...).
            done = t + self.ctx.bot_idle_hours * 3600 + rng.uniform(5, 300)
            self.activity(
                done, "b", {"type": "status_changed", "from": "open", "to": "resolved", "by": "bot"}
            )
            story.bot_state["ended"] = "idle"
            story.routing_state = "routed"
            story.status, story.resolved_at = "resolved", done
            story.first_resolved_at = done
            self._survey(done, agent_id=None)
            raise _Ended  # nothing else happens to it
        if reason == "requested":
            t = self.customer(t + lognormal(rng, 20, 0.7), self.line(phrases.ASK_FOR_PERSON))
        elif reason == "upset":
            t = self.customer(t + lognormal(rng, 20, 0.7), self.line(phrases.UPSET))
            story.priority = "high"
        elif reason == "not_helped":
            t += lognormal(rng, 20, 0.7)  # a tap on "this did not help" (an incoming line)
            t = self.customer(t, "沒有幫助" if self.lang != "en" else "Not helpful")
        summary = summarize(asked, reason, story.inbox.locale)
        t = self.activity(
            t + rng.uniform(0.5, 2),
            "b",
            {"type": "bot_handoff", "reason": reason, "summary": summary},
        )
        t = self._event(t + 0.01, "outgoing", "b", text=phrases.BOT_HANDOFF[self.lang])
        story.bot_state = {**story.bot_state, "seq": self._last_customer_seq(), "ended": reason}
        story.routing_state = "routed"
        return t

    def _last_customer_seq(self) -> int:
        return max(i + 1 for i, e in enumerate(self.story.events) if e.kind == "incoming")

    def _route(self, t: float, *, greet: bool) -> float:
        """The routing step: greeting, SLA due time, the queue."""
        story = self.story
        if greet:
            story.routing_state = "routed"
            if story.inbox.greeting:
                text = AUTO_REPLIES.greeting.pick(story.inbox.locale)
                t = self._event(t, "outgoing", "s", text=text)
        if t > self.limit:
            raise _Ended
        story.routing_state = "routed"
        if self.ctx.sla_minutes is not None and story.due_at is None:
            story.due_at = self.ctx.sla_minutes * 60.0  # from the customer's first message
        story.queued_at = t
        if story.enqueued_at is None:  # a reopened conversation keeps its queue number
            story.enqueued_at = t
        return t

    def _queue_wait(self) -> float:
        rng, load = self.rng, self.load
        if rng.random() < 0.75 - 0.35 * load:  # an agent has a free slot
            return min(30.0, max(0.5, lognormal(rng, 3, 0.6)))
        return min(3 * 3600.0, max(5.0, lognormal(rng, 35 * (1 + 2.5 * load * load), 0.9)))

    def _assign(
        self, t: float, *, quiet: bool, prefer: HistoryAgent | None = None
    ) -> HistoryAgent | None:
        rng, story = self.rng, self.story
        wait = self._queue_wait()
        if wait > 30 and not quiet and rng.random() < 0.9:  # the queued reply, with its number
            minutes = str(max(1, round(wait / 60 * rng.uniform(0.6, 1.5))))
            text = fill(
                AUTO_REPLIES.queued.pick(story.inbox.locale),
                queue_number="{queue_number}",
                wait_minutes=minutes,
            )
            self._event(t + 0.05, "outgoing", "s", text=text)
        agent = prefer if prefer is not None and rng.random() < 0.7 else None
        agent = agent or pick_agent(rng, self.ctx, team_id=story.team_id)
        if agent is None:
            return None
        at = t + wait
        if rng.random() < 0.12:  # taken from the queue by hand
            self.activity(
                at,
                "u",
                {
                    "type": "assigned",
                    "by": agent.name,
                    "from": None,
                    "to": agent.name,
                    "how": "take",
                },
                agent,
            )
        else:
            self.activity(
                at,
                "s",
                {"type": "assigned", "by": None, "from": None, "to": agent.name, "how": "auto"},
            )
        story.assignee, story.assigned_at, story.queued_at = agent, at, None
        return agent

    def _serve(self, t: float, agent: HistoryAgent) -> float:
        """The first answer, the back and forth (with a transfer, a tag, a note now and then)."""
        rng, story, ctx, load = self.rng, self.story, self.ctx, self.load
        first = max(8.0, lognormal(rng, 70 * (1 + 0.8 * load), 0.85))
        if rng.random() < 0.04:
            first += rng.uniform(600, 5400)  # busy elsewhere
        greeting = self.line(phrases.AGENT_GREETING, agent=agent.name)
        answer = self.line(story.topic.answer)
        t = self.agent_says(
            t + first,
            agent,
            greeting
            if rng.random() < 0.5
            else f"{greeting}{answer if self.lang != 'en' else ' ' + answer}",
        )
        if rng.random() < 0.35:
            t = self.agent_says(t + lognormal(rng, 30, 0.6), agent, self.line(phrases.AGENT_ASK))
        exchanges = poisson(rng, ctx.exchanges)
        transfer_at = (
            rng.randrange(exchanges)
            if exchanges and rng.random() < ctx.transfer_share * 1.3
            else -1
        )
        for i in range(exchanges):
            gap = lognormal(rng, 60, 0.9)
            if rng.random() < 0.03:
                gap += rng.uniform(900, 2 * 3600)  # the customer went away for a while
            t = self.customer(t + gap, self.line(story.topic.follow_up))
            if i == transfer_at:
                t, agent = self._transfer(t, agent)
            if rng.random() < 0.04:
                t = self.agent_says(
                    t + lognormal(rng, 20, 0.5), agent, self.line(phrases.NOTES), note=True
                )
            reply = max(5.0, lognormal(rng, 55 * (1 + 0.5 * load), 0.8))
            if rng.random() < 0.03:
                reply += rng.uniform(300, 2400)
            t = self.agent_says(t + reply, agent, self.line(story.topic.answer))
        if ctx.tags and rng.random() < 0.65:
            count = 1 if rng.random() < 0.75 or len(ctx.tags) == 1 else 2
            chosen: list[HistoryTag] = []
            while len(chosen) < count:
                tag = rng.choices(ctx.tags, cum_weights=ctx.tag_weights)[0]
                if tag not in chosen:
                    chosen.append(tag)
            t = self.activity(
                t + lognormal(rng, 15, 0.5),
                "u",
                {
                    "type": "tags_changed",
                    "by": agent.name,
                    "added": [x.name for x in chosen],
                    "removed": [],
                },
                agent,
            )
            story.tags = chosen
        if rng.random() < 0.6:
            t = self.agent_says(
                t + lognormal(rng, 30, 0.6), agent, self.line(phrases.AGENT_CLOSING)
            )
        if rng.random() < 0.5:
            t = self.customer(t + lognormal(rng, 30, 0.8), self.line(phrases.CUSTOMER_THANKS))
        return t

    def _transfer(self, t: float, agent: HistoryAgent) -> tuple[float, HistoryAgent]:
        """To a colleague (half the time), else to another team through the queue."""
        rng, story, ctx = self.rng, self.story, self.ctx
        others = [
            team
            for team in ctx.teams.values()
            if team.id != story.team_id and any(a.team_id == team.id for a in ctx.agents)
        ]
        t += lognormal(rng, 40, 0.6)
        if others and rng.random() < 0.5:
            team = rng.choice(others)
            self.activity(
                t,
                "u",
                {
                    "type": "transferred",
                    "by": agent.name,
                    "from": agent.name,
                    "team": team.name,
                    "note": None,
                },
                agent,
            )
            story.team_id, story.assignee, story.queued_at = team.id, None, t
            new = self._assign(t, quiet=True)
            return (story.assigned_at or t, new) if new is not None else (t, agent)
        colleague = pick_agent(rng, ctx, team_id=story.team_id, other_than=agent.user_id)
        if colleague is None:
            return t, agent
        self.activity(
            t,
            "u",
            {
                "type": "assigned",
                "by": agent.name,
                "from": agent.name,
                "to": colleague.name,
                "how": "transfer",
            },
            agent,
        )
        story.assignee, story.assigned_at = colleague, t
        return t, colleague

    def _abandon(self, t: float) -> None:
        """The customer gives up waiting; later an agent clears it from the queue (resolved,
        never assigned, never answered)."""
        rng, story = self.rng, self.story
        left = lognormal(rng, 240, 0.7)
        if rng.random() < 0.4:
            self.customer(t + left / 2, self.line(phrases.CUSTOMER_STILL_THERE))
        cleaner = pick_agent(rng, self.ctx)
        if cleaner is None:
            return
        done = t + left + min(12 * 3600.0, max(60.0, lognormal(rng, 1800, 1.0)))
        self.activity(
            done,
            "u",
            {"type": "status_changed", "from": "open", "to": "resolved", "by": cleaner.name},
            cleaner,
        )
        story.status, story.resolved_at, story.queued_at = "resolved", done, None
        story.first_resolved_at = done

    def _leave_open(self, t: float) -> None:
        """Still open at the end: waiting for the customer (pending) or for the agent."""
        rng, story = self.rng, self.story
        agent = story.assignee
        if agent is not None and rng.random() < 0.5:
            self.activity(
                t + lognormal(rng, 60, 0.8),
                "u",
                {"type": "status_changed", "from": "open", "to": "pending", "by": agent.name},
                agent,
            )
            story.status = "pending"
        else:
            self.customer(t + lognormal(rng, 60, 0.9), self.line(story.topic.follow_up))
        raise _Ended

    def _resolve(self, t: float, agent: HistoryAgent) -> float:
        rng, story = self.rng, self.story
        t += min(3 * 86400.0, max(5.0, lognormal(rng, 150, 1.0)))
        if rng.random() < 0.05:
            t += rng.uniform(1800, 3 * 3600)  # left open until the customer confirmed
        t = self.activity(
            t,
            "u",
            {"type": "status_changed", "from": "open", "to": "resolved", "by": agent.name},
            agent,
        )
        story.status, story.resolved_at = "resolved", t
        if story.first_resolved_at is None:
            story.first_resolved_at = t
        self._survey(t, agent_id=agent.user_id)
        return t

    def _survey(self, resolved: float, *, agent_id: int | None) -> None:
        """CSAT (1-5, mostly 4-5; lower after a slow first answer) and NPS (0-10) answers,
        each with its activity line; answering after the end of the history is not answering."""
        rng, story = self.rng, self.story
        first = self._first_reply()
        slow = first is not None and first > 600
        after = resolved
        for kind, share in (("csat", self.ctx.csat_share), ("nps", self.ctx.nps_share)):
            if rng.random() >= share:
                continue
            if kind == "csat":
                weights = [10, 12, 20, 28, 30] if slow else [3, 4, 10, 28, 55]
                score, scale = rng.choices(range(1, 6), weights)[0], 5
            else:
                weights = [2, 1, 1, 2, 2, 4, 5, 12, 16, 25, 30]
                score, scale = rng.choices(range(11), weights)[0], 10
            comment = rng.choice(phrases.CSAT_COMMENTS[self.lang]) if rng.random() < 0.3 else ""
            at = after + min(86400.0, max(10.0, lognormal(rng, 120, 1.0)))
            after = at  # NPS is asked after CSAT
            try:
                self.activity(
                    at,
                    "c",
                    {
                        "type": "survey_answered",
                        "survey": kind,
                        "score": score,
                        "scale": scale,
                        "changed": False,
                        "note": comment or None,
                    },
                )
            except _Ended:
                return
            story.surveys.append(SurveyAnswer(kind, score, comment, resolved, at, agent_id))

    def _first_reply(self) -> float | None:
        return next(
            (e.at for e in self.story.events if e.kind == "outgoing" and e.sender == "u"), None
        )

    def _reopen(self, t: float) -> None:
        """The customer writes again within the reopen window: back through routing (to the
        same agent, usually), answered and resolved again."""
        rng, story = self.rng, self.story
        previous = story.assignee
        t = max(t, story.last_at) + min(20 * 3600.0, max(300.0, lognormal(rng, 3 * 3600, 1.0)))
        t = self.customer(t, self.line(phrases.CUSTOMER_REOPEN))
        self.activity(
            t + 0.01,
            "c",
            {"type": "status_changed", "from": "resolved", "to": "open", "by": "contact"},
        )
        story.status, story.resolved_at, story.assignee = "open", None, None
        story.routing_state = "reopened"
        t = self._route(t + rng.uniform(0.2, 1.5), greet=False)
        agent = self._assign(t, quiet=True, prefer=previous)  # (no queued reply then)
        if agent is None:
            return
        t = story.assigned_at or t
        t = self.agent_says(
            t + max(8.0, lognormal(rng, 60, 0.8)), agent, self.line(story.topic.answer)
        )
        if rng.random() < 0.5:
            t = self.customer(t + lognormal(rng, 40, 0.8), self.line(phrases.CUSTOMER_THANKS))
        self._resolve(t, agent)
