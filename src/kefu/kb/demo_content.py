"""The demo knowledge base the repository ships: 「森日生活 Mori Days」, a fictional Taiwanese
online home-goods shop (kefu/kb/demo/kb.json). The demo workspace inserts it into the database;
bench/faq_eval.py scores the bot's answer selection against it.

`demo_documents` builds the same search documents that `kefu.kb.index_cache.load_documents`
builds from the database once the content is inserted in file order (articles get ids 1..n,
Q&A pairs 1..m), so the eval measures exactly what the bot searches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kefu.kb.retrieval import Document

DEMO_PATH = Path(__file__).with_name("demo") / "kb.json"
LOCALES = ("zh-TW", "en")


@dataclass(frozen=True, slots=True)
class DemoCategory:
    slug: str
    names: dict[str, str]  # locale -> name
    position: int


@dataclass(frozen=True, slots=True)
class DemoArticleLocale:
    title: str
    body: str  # Markdown


@dataclass(frozen=True, slots=True)
class DemoArticle:
    slug: str
    category: str  # a DemoCategory's slug
    position: int
    locales: dict[str, DemoArticleLocale]


@dataclass(frozen=True, slots=True)
class DemoQaPair:
    key: str  # stable name (the eval's labels use it); not stored in the database
    locale: str
    questions: tuple[str, ...]
    answer: str
    article: str | None  # a DemoArticle's slug


@dataclass(frozen=True, slots=True)
class DemoContent:
    categories: tuple[DemoCategory, ...]
    articles: tuple[DemoArticle, ...]
    qa: tuple[DemoQaPair, ...]


def _parse(raw: dict[str, Any]) -> DemoContent:
    categories = tuple(
        DemoCategory(c["slug"], dict(c["names"]), int(c["position"])) for c in raw["categories"]
    )
    articles = tuple(
        DemoArticle(
            a["slug"],
            a["category"],
            int(a["position"]),
            {
                locale: DemoArticleLocale(v["title"], v["body"])
                for locale, v in a["locales"].items()
            },
        )
        for a in raw["articles"]
    )
    qa = tuple(
        DemoQaPair(q["key"], q["locale"], tuple(q["questions"]), q["answer"], q.get("article"))
        for q in raw["qa"]
    )
    return DemoContent(categories, articles, qa)


@cache
def load_demo_content() -> DemoContent:
    """The packaged demo knowledge base (parsed once)."""
    return _parse(json.loads(DEMO_PATH.read_text(encoding="utf-8")))


def demo_documents(content: DemoContent) -> list[Document]:
    """The search documents of `content` as if inserted in file order (see the module
    docstring): what `index_cache.load_documents` returns for it, in the same order."""
    docs: list[Document] = []
    for article_id, article in enumerate(content.articles, start=1):
        for locale in sorted(article.locales):  # load_documents orders by (article, locale)
            loc = article.locales[locale]
            docs.append(
                Document(
                    key=f"article:{article_id}:{locale}",
                    kind="article",
                    ref_id=article_id,
                    locale=locale,
                    title=loc.title,
                    texts=(loc.title, loc.body),
                )
            )
    article_ids = {a.slug: i for i, a in enumerate(content.articles, start=1)}
    for qa_id, qa in enumerate(content.qa, start=1):
        if qa.questions:
            docs.append(
                Document(
                    f"qa:{qa_id}",
                    "qa",
                    qa_id,
                    qa.locale,
                    qa.questions[0],
                    qa.questions,
                    article_ids.get(qa.article) if qa.article else None,
                )
            )
    return docs
