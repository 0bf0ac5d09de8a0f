"""Reads of the knowledge base for the API (every agent reads; drafts included) and for the
public help centre (published articles only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.errors import NotFound
from kefu.kb.models import KbArticle, KbArticleLocale, KbCategory, KbQaPair


@dataclass(frozen=True, slots=True)
class ArticleWithLocales:
    article: KbArticle
    locales: dict[str, KbArticleLocale]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_categories(*, session: AsyncSession) -> list[tuple[KbCategory, int]]:
    """Each category with its number of articles, by position then slug."""
    grouped = await session.execute(
        select(KbArticle.category_id, func.count(KbArticle.id)).group_by(KbArticle.category_id)
    )
    counts = {category_id: count for category_id, count in grouped}
    rows = await session.scalars(select(KbCategory).order_by(KbCategory.position, KbCategory.slug))
    return [(c, int(counts.get(c.id, 0))) for c in rows]


async def access_category(*, session: AsyncSession, category_id: int) -> KbCategory:
    category = await session.get(KbCategory, category_id)
    if category is None:
        raise NotFound("Category not found.")
    return category


async def locales_for(
    *, session: AsyncSession, article_ids: Sequence[int]
) -> dict[int, dict[str, KbArticleLocale]]:
    out: dict[int, dict[str, KbArticleLocale]] = {i: {} for i in article_ids}
    if not article_ids:
        return out
    rows = await session.scalars(
        select(KbArticleLocale).where(KbArticleLocale.article_id.in_(list(article_ids)))
    )
    for row in rows:
        out[row.article_id][row.locale] = row
    return out


async def list_articles(
    *,
    session: AsyncSession,
    status: str | None = None,
    category_id: int | None = None,
    locale: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ArticleWithLocales], int]:
    """A page of articles (by category position, position, slug) and how many match."""
    query = select(KbArticle)
    if status:
        query = query.where(KbArticle.status == status)
    if category_id is not None:
        query = query.where(KbArticle.category_id == category_id)
    if locale:
        query = query.where(
            KbArticle.id.in_(
                select(KbArticleLocale.article_id).where(KbArticleLocale.locale == locale)
            )
        )
    if q and q.strip():
        pattern = _like(q.strip())
        query = query.where(
            or_(
                KbArticle.slug.ilike(pattern, escape="\\"),
                KbArticle.id.in_(
                    select(KbArticleLocale.article_id).where(
                        or_(
                            KbArticleLocale.title.ilike(pattern, escape="\\"),
                            KbArticleLocale.body.ilike(pattern, escape="\\"),
                        )
                    )
                ),
            )
        )
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    articles = list(
        await session.scalars(
            query.order_by(KbArticle.position, KbArticle.slug).limit(limit).offset(offset)
        )
    )
    locales = await locales_for(session=session, article_ids=[a.id for a in articles])
    return [ArticleWithLocales(a, locales[a.id]) for a in articles], total


async def access_article(*, session: AsyncSession, article_id: int) -> KbArticle:
    article = await session.get(KbArticle, article_id)
    if article is None:
        raise NotFound("Article not found.")
    return article


async def article_with_locales(*, session: AsyncSession, article_id: int) -> ArticleWithLocales:
    article = await access_article(session=session, article_id=article_id)
    locales = await locales_for(session=session, article_ids=[article.id])
    return ArticleWithLocales(article, locales[article.id])


async def list_qa_pairs(
    *,
    session: AsyncSession,
    locale: str | None = None,
    article_id: int | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[KbQaPair]:
    query = select(KbQaPair)
    if locale:
        query = query.where(KbQaPair.locale == locale)
    if article_id is not None:
        query = query.where(KbQaPair.article_id == article_id)
    rows = list(await session.scalars(query.order_by(KbQaPair.id.desc())))
    if q and q.strip():  # questions are a JSON list: filtered here (a few hundred pairs at most)
        needle = q.strip().casefold()
        rows = [
            p
            for p in rows
            if needle in p.answer.casefold() or any(needle in x.casefold() for x in p.questions)
        ]
    return rows[offset : offset + limit]


async def access_qa_pair(*, session: AsyncSession, pair_id: int) -> KbQaPair:
    pair = await session.get(KbQaPair, pair_id)
    if pair is None:
        raise NotFound("Q&A pair not found.")
    return pair


# ---- the public help centre: published articles only ----


async def published_article_by_slug(
    *, session: AsyncSession, slug: str
) -> ArticleWithLocales | None:
    article = await session.scalar(
        select(KbArticle).where(KbArticle.slug == slug, KbArticle.status == "published")
    )
    if article is None:
        return None
    locales = await locales_for(session=session, article_ids=[article.id])
    return ArticleWithLocales(article, locales[article.id])


async def published_articles(
    *,
    session: AsyncSession,
    category_id: int | None = None,
    ids: Sequence[int] | None = None,
    limit: int = 200,
) -> list[ArticleWithLocales]:
    query = select(KbArticle).where(KbArticle.status == "published")
    if category_id is not None:
        query = query.where(KbArticle.category_id == category_id)
    if ids is not None:
        query = query.where(KbArticle.id.in_(list(ids)))
    articles = list(
        await session.scalars(query.order_by(KbArticle.position, KbArticle.slug).limit(limit))
    )
    locales = await locales_for(session=session, article_ids=[a.id for a in articles])
    return [ArticleWithLocales(a, locales[a.id]) for a in articles]


async def category_by_slug(*, session: AsyncSession, slug: str) -> KbCategory | None:
    return await session.scalar(select(KbCategory).where(KbCategory.slug == slug))


def pick_locale_version(item: ArticleWithLocales, locale: str) -> KbArticleLocale | None:
    """The reader's language, else the other one (an article may exist in one language)."""
    if locale in item.locales:
        return item.locales[locale]
    return next(iter(sorted(item.locales.items())), (None, None))[1]


async def qa_pairs_by_id(*, session: AsyncSession, ids: Sequence[int]) -> Sequence[KbQaPair]:
    if not ids:
        return []
    return (
        await session.scalars(select(KbQaPair).where(KbQaPair.id.in_(list(ids)), KbQaPair.enabled))
    ).all()


async def has_published_articles(*, session: AsyncSession) -> bool:
    """Whether the help centre has anything to show (the widget hides its search box if not)."""
    found = await session.scalar(
        select(KbArticle.id).where(KbArticle.status == "published").limit(1)
    )
    return found is not None
