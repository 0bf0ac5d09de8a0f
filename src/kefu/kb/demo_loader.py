"""Loading the demo knowledge base (kb/demo/kb.json, parsed by kb/demo_content.py) into an
empty workspace, through the KB actions: categories, published articles in zh-TW and en, and
the bot's Q&A pairs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import Principal
from kefu.kb.actions import do_create_article, do_create_category, do_create_qa_pair
from kefu.kb.demo_content import DemoContent, load_demo_content
from kefu.kb.models import KbArticle, KbCategory


@dataclass(frozen=True)
class LoadedKb:
    categories: int
    articles: int
    qa_pairs: int


async def load_demo_kb(
    session: AsyncSession, *, actor: Principal, content: DemoContent | None = None
) -> LoadedKb | None:
    """Load the demo KB unless the workspace already has categories or articles."""
    for table in (KbCategory, KbArticle):
        if await session.scalar(select(func.count()).select_from(table)):
            return None
    content = content if content is not None else load_demo_content()
    category_ids: dict[str, int] = {}
    for category in content.categories:
        created = await do_create_category(
            session,
            actor=actor,
            slug=category.slug,
            names=dict(category.names),
            position=category.position,
        )
        category_ids[created.slug] = created.id
    article_ids: dict[str, int] = {}
    for article in content.articles:
        created_article = await do_create_article(
            session,
            actor=actor,
            slug=article.slug,
            category_id=category_ids.get(article.category),
            position=article.position,
            status="published",
            locales={loc: (v.title, v.body) for loc, v in article.locales.items()},
        )
        article_ids[created_article.slug] = created_article.id
    for qa in content.qa:
        await do_create_qa_pair(
            session,
            actor=actor,
            locale=qa.locale,
            questions=list(qa.questions),
            answer=qa.answer,
            article_id=article_ids.get(qa.article or ""),
        )
    return LoadedKb(len(category_ids), len(article_ids), len(content.qa))
