"""Agent assist: for the customer's last message in a conversation, the most relevant published
KB articles (the bot's own index) and canned responses (the agent's visible ones, ranked by
shared words), for the console to insert with one click."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.bot.learning import word_set
from kefu.canned.models import CannedResponse
from kefu.conversations.models import Conversation
from kefu.kb.models import KbArticle, KbArticleLocale
from kefu.kb.retrieval import DocumentKind, KbIndex
from kefu.messages.models import Message

MAX_ARTICLES = 3
MAX_CANNED = 3
SNIPPET_CHARS = 240
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Markdown's link targets, emphasis, headings, quotes and list bullets: a snippet is plain text.
_MARKUP = re.compile(r"\]\([^)]*\)|[*_`>#\[\]]+|^\s*[-+]\s+", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ArticleSuggestion:
    article_id: int
    locale: str
    title: str
    snippet: str
    url: str  # the help-centre page, relative: /help/<locale>/articles/<slug>
    insert_text: str  # what the console puts in the reply box (snippet and absolute link)
    confidence: float


@dataclass(frozen=True, slots=True)
class CannedSuggestion:
    canned_id: int
    shortcut: str
    title: str
    content: str  # as stored: the console fills {{variables}} when inserting
    locale: str | None
    score: float


@dataclass(frozen=True, slots=True)
class Assist:
    message_id: int | None
    message_text: str
    locale: str
    articles: list[ArticleSuggestion]
    canned: list[CannedSuggestion]


def guess_locale(text: str) -> str:
    """Chinese characters: zh-TW; else en (the two languages kefu ships)."""
    return "zh-TW" if _CJK.search(text) else "en"


async def last_customer_message(
    *, session: AsyncSession, conversation: Conversation
) -> Message | None:
    """The customer's newest incoming message that has text."""
    return await session.scalar(
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.kind == "incoming",
            Message.text != "",
        )
        .order_by(Message.seq.desc())
        .limit(1)
    )


async def assist_for(
    *,
    session: AsyncSession,
    actor: AgentPrincipal,
    conversation: Conversation,
    index: KbIndex,
    base_url: str,
) -> Assist:
    """`conversation` must come from access_conversation (the agent may open it)."""
    message = await last_customer_message(session=session, conversation=conversation)
    if message is None:
        return Assist(None, "", "", [], [])
    text = message.text[:2000]  # enough to rank by; a 100 KB message costs no more
    locale = guess_locale(text)
    articles = await suggest_articles(
        session=session, index=index, text=text, locale=locale, base_url=base_url
    )
    canned = await suggest_canned(session=session, actor=actor, text=text, locale=locale)
    return Assist(message.id, message.text, locale, articles, canned)


async def suggest_articles(
    *, session: AsyncSession, index: KbIndex, text: str, locale: str, base_url: str
) -> list[ArticleSuggestion]:
    kinds: frozenset[DocumentKind] = frozenset({"article"})
    matches = index.search(text, locale=locale, limit=MAX_ARTICLES, kinds=kinds)
    if not matches:  # e.g. an English question in a Chinese-only KB
        matches = index.search(text, limit=MAX_ARTICLES, kinds=kinds)
    if not matches:
        return []
    wanted = [(m.document.ref_id, m.document.locale) for m in matches]
    rows = await session.execute(
        select(
            KbArticle.id,
            KbArticle.slug,
            KbArticleLocale.locale,
            KbArticleLocale.title,
            KbArticleLocale.body,
        )
        .join(KbArticleLocale, KbArticleLocale.article_id == KbArticle.id)
        .where(KbArticle.id.in_([ref for ref, _ in wanted]), KbArticle.status == "published")
    )
    found = {(row.id, row.locale): row for row in rows}
    query_words = word_set(text)
    out: list[ArticleSuggestion] = []
    for match in matches:
        row = found.get((match.document.ref_id, match.document.locale))
        if row is None:  # unpublished since the index was built
            continue
        url = f"/help/{row.locale}/articles/{row.slug}"
        snippet = best_passage(row.body, query_words)
        out.append(
            ArticleSuggestion(
                article_id=row.id,
                locale=row.locale,
                title=row.title,
                snippet=snippet,
                url=url,
                insert_text=f"{snippet}\n{row.title}: {base_url.rstrip('/')}{url}".strip(),
                confidence=round(match.confidence, 3),
            )
        )
    return out


def best_passage(body: str, query_words: frozenset[str]) -> str:
    """The paragraph sharing the most words with the question (the first on a tie), as plain
    text, cut to SNIPPET_CHARS."""
    paragraphs = [p for p in (_plain(part) for part in body.split("\n\n")) if p]
    if not paragraphs:
        return ""
    best = max(paragraphs, key=lambda p: len(word_set(p) & query_words))
    if len(best) <= SNIPPET_CHARS:
        return best
    return best[: SNIPPET_CHARS - 1].rstrip() + "…"


def _plain(markdown: str) -> str:
    return " ".join(_MARKUP.sub(" ", markdown).split())


async def suggest_canned(
    *, session: AsyncSession, actor: AgentPrincipal, text: str, locale: str
) -> list[CannedSuggestion]:
    """Shared responses and the agent's own, in the message's language (or any language),
    ranked by the share of the message's words they contain; none that share no word."""
    query_words = word_set(text)
    if not query_words:
        return []
    candidates = await session.scalars(
        select(CannedResponse).where(
            or_(CannedResponse.owner_id.is_(None), CannedResponse.owner_id == actor.user_id),
            CannedResponse.locale.in_(("", locale)),
        )
    )
    scored: list[tuple[float, int, CannedResponse]] = []
    for canned in candidates:
        words = word_set(f"{canned.shortcut} {canned.title} {canned.content}")
        shared = query_words & words
        if not shared:
            continue
        # One-character words (Chinese particles, mostly) count a third, as in learning.py.
        weight = sum(1 / 3 if len(w) == 1 else 1.0 for w in shared)
        total = sum(1 / 3 if len(w) == 1 else 1.0 for w in query_words)
        scored.append((weight / total, len(canned.content), canned))
    scored.sort(key=lambda item: (-item[0], item[1], item[2].shortcut, item[2].id))
    return [
        CannedSuggestion(
            canned_id=canned.id,
            shortcut=canned.shortcut,
            title=canned.title,
            content=canned.content,
            locale=canned.locale or None,
            score=round(score, 3),
        )
        for score, _, canned in scored[:MAX_CANNED]
    ]
