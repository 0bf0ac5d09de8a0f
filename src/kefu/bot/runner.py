"""The node's BotRunner: after a customer's message commits in a conversation the bot has, a
turn runs here at once (kicked like the routing dispatcher). Turns of one conversation run one
after another, different conversations concurrently (at most CONCURRENCY at a time).

A turn has three phases, so that no outside call ever holds the database's writer (SQLite has
only one): read (the conversation, the customer's new messages, the inbox, the KB index);
outside I/O (an HTTP action, a generative draft); one write transaction (bot/actions.py), which
re-checks under the row lock that nobody answered meanwhile. A worker sweep takes the turns a
crash left behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload

from kefu.auth.sealing import SecretBox
from kefu.bot import engine, generative, http_actions
from kefu.bot.actions import (
    SECRETS_KEY,
    do_apply_bot_turn,
    do_resolve_idle_bot_conversations,
    idle_in_bot_phase,
)
from kefu.bot.engine import ActionCall, GenerativeCall, Plan, Source, TurnInput
from kefu.bot.intents import MATCH_CHARS, guess_locale
from kefu.bot.models import BotAction
from kefu.bot.phase import BOT_STATE
from kefu.bot.settings import bot_settings
from kefu.config import Settings
from kefu.conversations.models import Conversation
from kefu.db import Database, utcnow
from kefu.inboxes.models import Inbox
from kefu.kb.index_cache import IndexCache
from kefu.kb.models import KbArticle, KbArticleLocale, KbQaPair
from kefu.kb.retrieval import Match
from kefu.messages.models import Message
from kefu.routing.actions import inbox_clock
from kefu.routing.hours import is_open, next_open
from kefu.routing.waits import format_next_open

log = logging.getLogger(__name__)

CONCURRENCY = 8
MAX_NEW_MESSAGES = 20  # a burst beyond this is answered as its last 20
RETRIES = 3
SWEEP_HORIZON = timedelta(hours=1)  # a turn missed longer ago is not answered late
BOT_HTTP_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


class BotRunner:
    def __init__(self, settings: Settings, db: Database, kb_index: IndexCache) -> None:
        self.settings = settings
        self.db = db
        self.kb_index = kb_index
        self.box = SecretBox(settings.effective_secret_key)
        self.http = httpx.AsyncClient(timeout=BOT_HTTP_TIMEOUT, follow_redirects=False)
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopped = False
        self._warming: asyncio.Task[None] | None = None
        self.turns = 0  # turns this node wrote (tests, benchmarks)

    def kick(self, conversation_ids: set[int]) -> None:
        if self._stopped:
            return
        loop = asyncio.get_running_loop()
        for conversation_id in conversation_ids:
            if conversation_id in self._tasks:
                self._again.add(conversation_id)  # serialised: runs again after this turn
                continue
            self._idle.clear()
            self._tasks[conversation_id] = loop.create_task(self._serve(conversation_id))

    async def _serve(self, conversation_id: int) -> None:
        try:
            while True:
                self._again.discard(conversation_id)
                async with self._slots:
                    try:
                        await self.run_turn(conversation_id)
                    except Exception:
                        log.exception("bot turn for conversation %d failed", conversation_id)
                if conversation_id not in self._again or self._stopped:
                    break
        finally:
            self._tasks.pop(conversation_id, None)
            if not self._tasks:
                self._idle.set()

    def warm_up(self) -> None:
        async def build() -> None:
            try:
                # Only where a bot answers: jieba's dictionary costs ~60 MB and a second of CPU,
                # which nodes of a workspace without the bot never need to pay.
                async with self.db.read() as session:
                    inboxes = list(await session.scalars(select(Inbox)))
                if any(bot_settings(inbox).enabled for inbox in inboxes):
                    await self.kb_index.current()
            except Exception:
                log.exception("building the knowledge-base index failed; the first turn retries")

        if not self._stopped:
            self._warming = asyncio.get_running_loop().create_task(build())

    async def settle(self) -> None:
        """Wait until every kick so far has been handled (tests, benchmarks)."""
        while self._tasks:
            await self._idle.wait()

    async def stop(self) -> None:
        self._stopped = True
        for task in [*self._tasks.values(), *([self._warming] if self._warming else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.http.aclose()

    async def sweep(self, *, stuck_after: float = 10.0) -> None:
        """Turns a crash (or a lost kick) left behind: conversations in the bot phase whose
        customer wrote more than `stuck_after` seconds ago (within the last hour) after the
        last message the bot dealt with."""
        now = utcnow()
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(Conversation.id, Conversation.bot_state).where(
                        Conversation.routing_state == BOT_STATE,
                        Conversation.status == "open",
                        Conversation.last_activity_at < now - timedelta(seconds=stuck_after),
                        Conversation.last_activity_at > now - SWEEP_HORIZON,
                    )
                )
            ).all()
            if not rows:
                return
            grouped = await session.execute(
                select(Message.conversation_id, func.max(Message.seq))
                .where(
                    Message.conversation_id.in_([r.id for r in rows]),
                    Message.kind == "incoming",
                )
                .group_by(Message.conversation_id)
            )
            latest = {int(cid): int(seq) for cid, seq in grouped.all()}
        for row in rows:
            behind = latest.get(row.id, 0) > int((row.bot_state or {}).get("seq", 0))
            if behind and row.id not in self._tasks:
                await self.run_turn(row.id)

    async def resolve_idle(self) -> int:
        """Resolve conversations the customer left while with the bot (each inbox's
        `idle_resolve_hours`); a read first, so that quiet rounds take no writer."""
        now = utcnow()
        due: list[tuple[int, datetime]] = []
        async with self.db.read() as session:
            for inbox in await session.scalars(select(Inbox).order_by(Inbox.id)):
                hours = bot_settings(inbox).idle_resolve_hours
                # An inbox whose bot was never set up has no conversation in the bot phase.
                if not hours or "bot" not in (inbox.settings or {}):
                    continue
                quiet_since = now - timedelta(hours=hours)
                if await session.scalar(idle_in_bot_phase(inbox.id, quiet_since).limit(1)):
                    due.append((inbox.id, quiet_since))
        closed = 0
        for inbox_id, quiet_since in due:
            async with self.db.write() as session:
                current = await session.get(Inbox, inbox_id)
                if current is not None:
                    closed += await do_resolve_idle_bot_conversations(
                        session, inbox=current, quiet_since=quiet_since
                    )
        return closed

    async def run_turn(self, conversation_id: int) -> bool:
        """One turn; False if there was nothing to answer or someone else answered first."""
        async with self.db.read() as session:
            conversation = await session.scalar(
                select(Conversation)
                .where(Conversation.id == conversation_id)
                .options(joinedload(Conversation.contact))
            )
            if (
                conversation is None
                or conversation.routing_state != BOT_STATE
                or conversation.status != "open"
            ):
                return False
            state: dict[str, Any] = dict(conversation.bot_state or {})
            seen = int(state.get("seq", 0))
            # Only the head of each message: a 100 KB message costs what a short one does.
            rows = list(
                (
                    await session.execute(
                        select(Message.id, Message.seq, func.substr(Message.text, 1, MATCH_CHARS))
                        .where(
                            Message.conversation_id == conversation_id,
                            Message.kind == "incoming",
                            Message.seq > seen,
                        )
                        .order_by(Message.seq.desc())
                        .limit(MAX_NEW_MESSAGES)
                    )
                ).all()
            )
            if not rows:
                return False
            rows.reverse()
            inbox = await session.get(Inbox, conversation.inbox_id)
            assert inbox is not None
            contact = conversation.contact
            has_reach = bool(contact.email or contact.phone)
        texts = [str(r[2] or "") for r in rows]
        settings = bot_settings(inbox)
        locale = _locale(texts, state, inbox.locale)
        _, hours = inbox_clock(inbox)
        now = utcnow()
        opens = next_open(hours, now)
        turn = TurnInput(
            settings=settings,
            locale=locale,
            texts=texts,
            state=state,
            inside_hours=is_open(hours, now),
            contact_has_reach=has_reach,
            next_open=format_next_open(opens, hours, locale) if opens else "",
            summary_locale=inbox.locale,
        )
        if settings.enabled:
            plan = await self._decide(turn, inbox)
        else:  # switched off while this conversation was with the bot: to a person
            plan = engine.plan_handoff(turn, "low_confidence")
            plan.record_turn = False
        for attempt in range(RETRIES):
            try:
                async with self.db.write() as session:
                    done = await do_apply_bot_turn(
                        session,
                        conversation_id=conversation_id,
                        seen_seq=seen,
                        upto_seq=int(rows[-1][1]),
                        message_id=int(rows[-1][0]),
                        locale=locale,
                        plan=plan,
                    )
                if done:
                    self.turns += 1
                return done
            except DBAPIError as exc:  # deadlock / serialization failure: try again
                if attempt == RETRIES - 1:
                    log.warning("bot turn failed %d times: %s", RETRIES, exc)
                    return False
                await asyncio.sleep(0.01 * (attempt + 1))
        return False

    async def _decide(self, turn: TurnInput, inbox: Inbox) -> Plan:
        intent = engine.classify(turn)
        if intent.kind == "collect":
            return engine.plan_collect(turn, intent.text)
        if intent.kind == "handoff":
            assert intent.reason is not None
            return engine.plan_handoff(turn, intent.reason)
        if intent.kind == "helped":
            return engine.plan_helped(turn)
        if intent.kind == "empty":
            return engine.plan_unanswered(turn, "")
        if intent.kind == "action_value":
            return await self._action_value(turn, intent.text)
        if intent.kind == "menu" and intent.menu is not None:
            item = intent.menu
            source: Source | None = None
            if item.kind == "article":
                source = await self._article_by_slug(item.value, turn.locale)
            elif item.kind == "action":
                source = await self._action_source(turn.locale, key=item.value)
            if item.kind != "question":
                if source is None:
                    return engine.plan_handoff(turn, "low_confidence")
                return engine.plan_answer(turn, source, item.value)
            return await self._question(turn, inbox, item.value)
        return await self._question(turn, inbox, intent.text)

    async def _question(self, turn: TurnInput, inbox: Inbox, question: str) -> Plan:
        index = await self.kb_index.current()
        query = question[:MATCH_CHARS]
        matches = index.search(query, limit=10)
        best = engine.pick_match(matches, turn.locale, turn.settings.threshold)
        if best is not None:
            source = await self._load(best)
            if source is not None:
                return engine.plan_answer(turn, source, query)
        if turn.settings.generative.enabled:
            drafted = await self._generate(turn, inbox, query, matches)
            if drafted is not None:
                return drafted
        return engine.plan_unanswered(turn, query)

    async def _generate(
        self, turn: TurnInput, inbox: Inbox, question: str, matches: list[Match]
    ) -> Plan | None:
        """A drafted answer grounded in the best-matching articles; None when there are none
        or the model declines (the caller then does what it does without generation)."""
        ids: list[int] = []
        for m in matches:
            if m.document.kind == "article" and m.document.ref_id not in ids:
                ids.append(m.document.ref_id)
        call = GenerativeCall(question, tuple(ids[:3]))
        sources = [s for s in [await self._article(i, turn.locale) for i in call.article_ids] if s]
        if not sources:
            return None
        api_key = _open(self.box, (inbox.settings or {}).get(SECRETS_KEY))
        try:
            answer = await generative.draft_answer(
                self.http,
                turn.settings.generative,
                api_key=api_key,
                question=question,
                sources=[
                    generative.SourceArticle(s.ref_id, s.title, s.body, s.url) for s in sources
                ],
                locale=turn.locale,
                allow_private_urls=self.settings.channel_allow_private_urls,
            )
        except Exception:
            log.exception("generative answer failed")
            answer = None
        if answer is None:
            return None
        cited = [s for s in sources if s.ref_id in answer.cited_article_ids]
        return engine.finish_generative(turn, question, answer.text, cited)

    async def _action_value(self, turn: TurnInput, value: str) -> Plan:
        awaiting = turn.state.get("awaiting") or {}
        async with self.db.read() as session:
            action = await session.get(BotAction, int(awaiting.get("action_id", 0)))
        if action is None or not action.enabled:
            return engine.plan_handoff(turn, "action_failed")
        plan = engine.plan_action_value(turn, value, action.param_pattern)
        if not isinstance(plan.io, ActionCall):
            return plan
        try:
            result = await http_actions.run_action(
                self.http,
                action,
                plan.io.value,
                secret=http_actions.open_action_secret(self.box, action),
                locale=turn.locale,
                allow_private_urls=self.settings.channel_allow_private_urls,
            )
        except Exception:  # never shown to the customer: a polite handoff
            log.exception("bot action %s failed", action.key)
            return engine.plan_handoff(turn, "action_failed")
        if not result.ok and result.error:
            log.info("bot action %s: %s", action.key, result.error)
        return engine.finish_action(turn, plan, ok=result.ok, text=result.text)

    async def _load(self, match: Match) -> Source | None:
        doc = match.document
        if doc.kind == "article":
            source = await self._article(doc.ref_id, doc.locale, exact=True)
        elif doc.kind == "qa":
            async with self.db.read() as session:
                qa = await session.get(KbQaPair, doc.ref_id)
            source = None
            if qa is not None and qa.enabled:
                # A pair linked to a published article points to it for the details.
                linked = await self._article(qa.article_id, qa.locale) if qa.article_id else None
                url = linked.url if linked is not None else ""
                source = Source("qa", qa.id, qa.locale, doc.title, qa.answer, url)
        else:
            source = await self._action_source(doc.locale, action_id=doc.ref_id)
        if source is None:
            return None
        return Source(
            source.kind,
            source.ref_id,
            source.locale,
            source.title,
            source.body,
            source.url,
            match.confidence,
        )

    async def _article(self, article_id: int, locale: str, *, exact: bool = False) -> Source | None:
        """A published article in `locale`, else (unless `exact`) in the other language."""
        async with self.db.read() as session:
            article = await session.get(KbArticle, article_id)
            if article is None or article.status != "published":
                return None
            versions = {
                v.locale: v
                for v in await session.scalars(
                    select(KbArticleLocale).where(KbArticleLocale.article_id == article_id)
                )
            }
        version = versions.get(locale) or (None if exact else next(iter(versions.values()), None))
        if version is None:
            return None
        url = f"{self.settings.base_url}/help/{version.locale}/articles/{article.slug}"
        return Source("article", article.id, version.locale, version.title, version.body, url)

    async def _article_by_slug(self, slug: str, locale: str) -> Source | None:
        async with self.db.read() as session:
            article_id = await session.scalar(select(KbArticle.id).where(KbArticle.slug == slug))
        return await self._article(article_id, locale) if article_id is not None else None

    async def _action_source(
        self, locale: str, *, key: str | None = None, action_id: int | None = None
    ) -> Source | None:
        async with self.db.read() as session:
            if key is not None:
                action = await session.scalar(select(BotAction).where(BotAction.key == key))
            else:
                action = await session.get(BotAction, action_id)
        if action is None or not action.enabled:
            return None
        prompt = action.prompts.get(locale) or next(iter(action.prompts.values()), "")
        name = action.names.get(locale) or action.key
        if not prompt:
            return None
        return Source("action", action.id, locale, name, prompt, param_pattern=action.param_pattern)


def _locale(texts: list[str], state: dict[str, Any], inbox_locale: str) -> str:
    """The customer's language: from their latest words that show one, else what the bot used
    before, else the inbox's. An order number or an email address answering the bot's question
    shows no language: the conversation's stays."""
    remembered = state.get("locale")
    if remembered in ("zh-TW", "en") and (state.get("awaiting") or state.get("collect")):
        return str(remembered)
    for text in reversed(texts):
        if text.startswith(("bot:", "menu:")):
            continue  # a button's value (Telegram, LINE): no language of its own
        if found := guess_locale(text):
            return found
    return str(remembered) if remembered in ("zh-TW", "en") else inbox_locale


def _open(box: SecretBox, sealed: object) -> str | None:
    return box.open(sealed) if isinstance(sealed, str) and sealed else None
