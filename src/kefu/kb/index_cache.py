"""Each node keeps the knowledge base's search index in memory and rebuilds it when
`kb_state.revision` has moved (every KB write bumps it, on any node): one indexed read per
search, and a rebuild only after a change."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.bot.models import BotAction
from kefu.db import Database
from kefu.kb.models import KbArticle, KbArticleLocale, KbQaPair, KbState
from kefu.kb.retrieval import Document, KbIndex


async def bump_revision(session: AsyncSession) -> None:
    """Call in every action that changes what the index holds (same transaction)."""
    result = await session.execute(
        update(KbState).where(KbState.id == 1).values(revision=KbState.revision + 1)
    )
    if getattr(result, "rowcount", 1) == 0:  # the row is gone (a restore, a truncate): recreate
        session.add(KbState(id=1, revision=1, extra={}))


async def load_documents(session: AsyncSession) -> list[Document]:
    """Published articles (one document per language), enabled Q&A pairs and bot actions."""
    docs: list[Document] = []
    rows = await session.execute(
        select(KbArticleLocale)
        .join(KbArticle, KbArticle.id == KbArticleLocale.article_id)
        .where(KbArticle.status == "published")
        .order_by(KbArticleLocale.article_id, KbArticleLocale.locale)
    )
    for loc in rows.scalars():
        docs.append(
            Document(
                key=f"article:{loc.article_id}:{loc.locale}",
                kind="article",
                ref_id=loc.article_id,
                locale=loc.locale,
                title=loc.title,
                texts=(loc.title, loc.body),
            )
        )
    published = {d.ref_id for d in docs}
    for qa in await session.scalars(select(KbQaPair).where(KbQaPair.enabled).order_by(KbQaPair.id)):
        if qa.questions:
            # The linked article makes the pair and the article one answer (the confidence's
            # margin is over the best *other* answer); a draft article is no answer.
            article_id = qa.article_id if qa.article_id in published else None
            docs.append(
                Document(
                    f"qa:{qa.id}",
                    "qa",
                    qa.id,
                    qa.locale,
                    qa.questions[0],
                    tuple(qa.questions),
                    article_id,
                )
            )
    for action in await session.scalars(
        select(BotAction).where(BotAction.enabled).order_by(BotAction.id)
    ):
        for locale, name in sorted(action.names.items()):
            texts = tuple([name, *action.triggers])
            docs.append(
                Document(f"action:{action.id}:{locale}", "action", action.id, locale, name, texts)
            )
    return docs


class IndexCache:
    """One per node (Runtime.kb_index)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._revision: int | None = -1  # never a real revision: the first call loads
        self._index = KbIndex.build([])
        self._lock = asyncio.Lock()

    async def current(self) -> KbIndex:
        async with self.db.read() as session:
            revision = await session.scalar(select(KbState.revision).where(KbState.id == 1))
            if revision == self._revision:
                return self._index
            async with self._lock:
                if revision == self._revision:
                    return self._index
                docs = await load_documents(session)
        # Tokenising (jieba) is CPU work: off the event loop.
        index = await asyncio.to_thread(KbIndex.build, docs)
        self._index, self._revision = index, revision
        return index
