"""Loading the demo knowledge base (kb/demo/kb.json) into an empty workspace, through the KB
actions: categories, published articles in zh-TW and en, and the bot's Q&A pairs.

The file's format: {"categories": [{"slug", "names": {"zh-TW", "en"}, "position"}],
"articles": [{"slug", "category", "position", "locales": {"zh-TW": {"title", "body"}, ...}}],
"qa": [{"key", "locale", "questions": [...], "answer", "article": slug or null}]}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import Principal
from kefu.kb.actions import do_create_article, do_create_category, do_create_qa_pair
from kefu.kb.models import KbArticle, KbCategory


@dataclass(frozen=True)
class LoadedKb:
    categories: int
    articles: int
    qa_pairs: int


def read_demo_kb() -> dict[str, Any]:
    text = resources.files("kefu.kb").joinpath("demo/kb.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


async def load_demo_kb(
    session: AsyncSession, *, actor: Principal, data: dict[str, Any] | None = None
) -> LoadedKb | None:
    """Load the demo KB unless the workspace already has categories or articles."""
    for table in (KbCategory, KbArticle):
        if await session.scalar(select(func.count()).select_from(table)):
            return None
    data = data if data is not None else read_demo_kb()
    category_ids: dict[str, int] = {}
    for entry in data.get("categories", []):
        category = await do_create_category(
            session,
            actor=actor,
            slug=entry["slug"],
            names=entry["names"],
            position=int(entry.get("position", 0)),
        )
        category_ids[category.slug] = category.id
    article_ids: dict[str, int] = {}
    for entry in data.get("articles", []):
        article = await do_create_article(
            session,
            actor=actor,
            slug=entry["slug"],
            category_id=category_ids.get(entry.get("category") or ""),
            position=int(entry.get("position", 0)),
            status="published",
            locales={loc: (v["title"], v.get("body", "")) for loc, v in entry["locales"].items()},
        )
        article_ids[article.slug] = article.id
    pairs = 0
    for entry in data.get("qa", []):
        await do_create_qa_pair(
            session,
            actor=actor,
            locale=entry["locale"],
            questions=entry["questions"],
            answer=entry["answer"],
            article_id=article_ids.get(entry.get("article") or ""),
        )
        pairs += 1
    return LoadedKb(len(category_ids), len(article_ids), pairs)
