"""The knowledge-base API: every agent reads (they answer from it), admins and supervisors write
(the actions check)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdPath, IdQuery
from kefu.kb import actions, help_centre, public_search, queries
from kefu.kb.markdown import render_markdown, snippet
from kefu.kb.models import KbCategory, KbQaPair
from kefu.kb.public_search import article_path, clean_query
from kefu.kb.queries import ArticleWithLocales
from kefu.kb.schemas import (
    ArticleCreate,
    ArticleLocales,
    ArticleOut,
    ArticlePage,
    ArticleSummary,
    ArticleUpdate,
    CategoryCreate,
    CategoryNames,
    CategoryOut,
    CategoryUpdate,
    LocaleContentOut,
    PreviewIn,
    PreviewOut,
    QaCreate,
    QaOut,
    QaUpdate,
    SearchHit,
    Status,
)
from kefu.kb.schemas import Locale as LocaleParam

api = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])
QText = Annotated[str | None, Query(max_length=200)]


def category_out(category: KbCategory, articles: int) -> CategoryOut:
    return CategoryOut(
        id=category.id,
        slug=category.slug,
        names=dict(category.names),
        position=category.position,
        articles=articles,
        updated_at=category.updated_at,
    )


def _summary_fields(item: ArticleWithLocales) -> dict[str, object]:
    a = item.article
    return {
        "id": a.id,
        "slug": a.slug,
        "category_id": a.category_id,
        "status": a.status,
        "position": a.position,
        "titles": {loc: row.title for loc, row in sorted(item.locales.items())},
        "views": a.views,
        "helpful_yes": a.helpful_yes,
        "helpful_no": a.helpful_no,
        "updated_at": a.updated_at,
        "published_at": a.published_at,
    }


def article_out(item: ArticleWithLocales) -> ArticleOut:
    return ArticleOut.model_validate(
        {
            **_summary_fields(item),
            "locales": {
                loc: LocaleContentOut(title=row.title, body=row.body, updated_at=row.updated_at)
                for loc, row in sorted(item.locales.items())
            },
            "urls": {loc: article_path(loc, item.article.slug) for loc in sorted(item.locales)},
        }
    )


def qa_out(pair: KbQaPair) -> QaOut:
    return QaOut.model_validate(
        {
            "id": pair.id,
            "locale": pair.locale,
            "questions": list(pair.questions),
            "answer": pair.answer,
            "article_id": pair.article_id,
            "enabled": pair.enabled,
            "updated_at": pair.updated_at,
        }
    )


def _names(names: CategoryNames) -> dict[str, str | None]:
    return {k: v for k, v in names.model_dump(by_alias=True, exclude_unset=True).items()}


def _texts(locales: ArticleLocales, *, partial: bool) -> dict[str, tuple[str, str] | None]:
    """{"zh-TW": (title, body) | None}; on update only the languages the request names."""
    given = locales.model_fields_set if partial else {"zh_tw", "en"}
    out: dict[str, tuple[str, str] | None] = {}
    for field, locale in (("zh_tw", "zh-TW"), ("en", "en")):
        if field not in given:
            continue
        content = getattr(locales, field)
        out[locale] = None if content is None else (content.title, content.body)
    return out


# ---- categories ----


@api.get("/categories", response_model=list[CategoryOut])
async def list_categories(actor: Agent, runtime: RuntimeDep) -> list[CategoryOut]:
    async with runtime.db.read() as session:
        rows = await queries.list_categories(session=session)
    return [category_out(c, n) for c, n in rows]


@api.post("/categories", response_model=CategoryOut, status_code=201)
async def create_category(body: CategoryCreate, actor: Agent, runtime: RuntimeDep) -> CategoryOut:
    async with runtime.db.write() as session:
        category = await actions.do_create_category(
            session, actor=actor, slug=body.slug, names=_names(body.names), position=body.position
        )
    return category_out(category, 0)


@api.patch("/categories/{category_id}", response_model=CategoryOut)
async def update_category(
    category_id: IdPath, body: CategoryUpdate, actor: Agent, runtime: RuntimeDep
) -> CategoryOut:
    async with runtime.db.write() as session:
        category = await queries.access_category(session=session, category_id=category_id)
        category = await actions.do_update_category(
            session,
            actor=actor,
            category=category,
            slug=body.slug,
            names=_names(body.names) if body.names else None,
            position=body.position,
        )
        counts = dict((c.id, n) for c, n in await queries.list_categories(session=session))
    return category_out(category, counts.get(category.id, 0))


@api.delete("/categories/{category_id}", status_code=204)
async def delete_category(category_id: IdPath, actor: Agent, runtime: RuntimeDep) -> None:
    async with runtime.db.write() as session:
        category = await queries.access_category(session=session, category_id=category_id)
        await actions.do_delete_category(session, actor=actor, category=category)


# ---- articles ----


@api.get("/articles", response_model=ArticlePage)
async def list_articles(
    actor: Agent,
    runtime: RuntimeDep,
    status: Status | None = None,
    category_id: IdQuery = None,
    locale: LocaleParam | None = None,
    q: QText = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ArticlePage:
    q = clean_query(q) if q and q.strip() else None
    async with runtime.db.read() as session:
        items, total = await queries.list_articles(
            session=session,
            status=status,
            category_id=category_id,
            locale=locale,
            q=q,
            limit=limit,
            offset=offset,
        )
    return ArticlePage(
        items=[ArticleSummary.model_validate(_summary_fields(i)) for i in items], total=total
    )


@api.post("/articles", response_model=ArticleOut, status_code=201)
async def create_article(body: ArticleCreate, actor: Agent, runtime: RuntimeDep) -> ArticleOut:
    async with runtime.db.write() as session:
        article = await actions.do_create_article(
            session,
            actor=actor,
            slug=body.slug,
            locales=_texts(body.locales, partial=False),
            category_id=body.category_id,
            position=body.position,
            status=body.status,
        )
        item = await queries.article_with_locales(session=session, article_id=article.id)
    return article_out(item)


@api.get("/articles/{article_id}", response_model=ArticleOut)
async def get_article(article_id: IdPath, actor: Agent, runtime: RuntimeDep) -> ArticleOut:
    async with runtime.db.read() as session:
        item = await queries.article_with_locales(session=session, article_id=article_id)
    return article_out(item)


@api.patch("/articles/{article_id}", response_model=ArticleOut)
async def update_article(
    article_id: IdPath, body: ArticleUpdate, actor: Agent, runtime: RuntimeDep
) -> ArticleOut:
    """Only the fields given change; `locales` may name one language (or set it to null to
    remove it); `category_id: null` takes the article out of its category."""
    async with runtime.db.write() as session:
        article = await queries.access_article(session=session, article_id=article_id)
        await actions.do_update_article(
            session,
            actor=actor,
            article=article,
            slug=body.slug,
            category_id=body.category_id,
            clear_category="category_id" in body.model_fields_set and body.category_id is None,
            position=body.position,
            locales=_texts(body.locales, partial=True) if body.locales else None,
        )
        item = await queries.article_with_locales(session=session, article_id=article_id)
    return article_out(item)


async def _set_status(
    article_id: int, status: str, actor: Agent, runtime: RuntimeDep
) -> ArticleOut:
    async with runtime.db.write() as session:
        article = await queries.access_article(session=session, article_id=article_id)
        await actions.do_set_article_status(session, actor=actor, article=article, status=status)
        item = await queries.article_with_locales(session=session, article_id=article_id)
    return article_out(item)


@api.post("/articles/{article_id}/publish", response_model=ArticleOut)
async def publish_article(article_id: IdPath, actor: Agent, runtime: RuntimeDep) -> ArticleOut:
    return await _set_status(article_id, "published", actor, runtime)


@api.post("/articles/{article_id}/unpublish", response_model=ArticleOut)
async def unpublish_article(article_id: IdPath, actor: Agent, runtime: RuntimeDep) -> ArticleOut:
    """Back to draft: gone from the help centre, the widget and the bot."""
    return await _set_status(article_id, "draft", actor, runtime)


@api.delete("/articles/{article_id}", status_code=204)
async def delete_article(article_id: IdPath, actor: Agent, runtime: RuntimeDep) -> None:
    async with runtime.db.write() as session:
        article = await queries.access_article(session=session, article_id=article_id)
        await actions.do_delete_article(session, actor=actor, article=article)


@api.post("/preview", response_model=PreviewOut)
async def preview(body: PreviewIn, actor: Agent) -> PreviewOut:
    """The help centre's rendering of a Markdown body (sanitised HTML), for the editor."""
    return PreviewOut(html=render_markdown(body.body))


# ---- question/answer pairs ----


@api.get("/qa", response_model=list[QaOut])
async def list_qa(
    actor: Agent,
    runtime: RuntimeDep,
    locale: LocaleParam | None = None,
    article_id: IdQuery = None,
    q: QText = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[QaOut]:
    q = clean_query(q) if q and q.strip() else None
    async with runtime.db.read() as session:
        pairs = await queries.list_qa_pairs(
            session=session, locale=locale, article_id=article_id, q=q, limit=limit, offset=offset
        )
    return [qa_out(p) for p in pairs]


@api.post("/qa", response_model=QaOut, status_code=201)
async def create_qa(body: QaCreate, actor: Agent, runtime: RuntimeDep) -> QaOut:
    async with runtime.db.write() as session:
        pair = await actions.do_create_qa_pair(
            session,
            actor=actor,
            locale=body.locale,
            questions=body.questions,
            answer=body.answer,
            article_id=body.article_id,
            enabled=body.enabled,
        )
    return qa_out(pair)


@api.get("/qa/{pair_id}", response_model=QaOut)
async def get_qa(pair_id: IdPath, actor: Agent, runtime: RuntimeDep) -> QaOut:
    async with runtime.db.read() as session:
        pair = await queries.access_qa_pair(session=session, pair_id=pair_id)
    return qa_out(pair)


@api.patch("/qa/{pair_id}", response_model=QaOut)
async def update_qa(pair_id: IdPath, body: QaUpdate, actor: Agent, runtime: RuntimeDep) -> QaOut:
    async with runtime.db.write() as session:
        pair = await queries.access_qa_pair(session=session, pair_id=pair_id)
        pair = await actions.do_update_qa_pair(
            session,
            actor=actor,
            pair=pair,
            locale=body.locale,
            questions=body.questions,
            answer=body.answer,
            article_id=body.article_id,
            clear_article="article_id" in body.model_fields_set and body.article_id is None,
            enabled=body.enabled,
        )
    return qa_out(pair)


@api.delete("/qa/{pair_id}", status_code=204)
async def delete_qa(pair_id: IdPath, actor: Agent, runtime: RuntimeDep) -> None:
    async with runtime.db.write() as session:
        pair = await queries.access_qa_pair(session=session, pair_id=pair_id)
        await actions.do_delete_qa_pair(session, actor=actor, pair=pair)


# ---- search, for agents (assist) ----


@api.get("/search", response_model=list[SearchHit])
async def search(
    actor: Agent,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=400)],
    locale: LocaleParam | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[SearchHit]:
    """Published articles and enabled Q&A pairs, best first, with the index's confidence."""
    query = clean_query(q)
    index = await runtime.kb_index.current()
    matches = index.search(query, locale=locale, limit=limit, kinds=frozenset({"article", "qa"}))
    article_ids = [m.document.ref_id for m in matches if m.document.kind == "article"]
    pair_ids = [m.document.ref_id for m in matches if m.document.kind == "qa"]
    async with runtime.db.read() as session:
        articles = {
            i.article.id: i
            for i in await queries.published_articles(session=session, ids=article_ids)
        }
        pairs = {p.id: p for p in await queries.qa_pairs_by_id(session=session, ids=pair_ids)}
    hits: list[SearchHit] = []
    for match in matches:
        doc = match.document
        if doc.kind == "article" and doc.ref_id in articles:
            item = articles[doc.ref_id]
            version = item.locales.get(doc.locale)
            if version is None:
                continue
            hits.append(
                SearchHit(
                    kind="article",
                    id=doc.ref_id,
                    locale=doc.locale,
                    title=version.title,
                    snippet=snippet(version.body, query),
                    confidence=match.confidence,
                    url=article_path(doc.locale, item.article.slug),
                )
            )
        elif doc.kind == "qa" and doc.ref_id in pairs:
            pair = pairs[doc.ref_id]
            hits.append(
                SearchHit(
                    kind="qa",
                    id=pair.id,
                    locale=pair.locale,
                    title=pair.questions[0] if pair.questions else "",
                    snippet=pair.answer[:300],
                    confidence=match.confidence,
                    url=None,
                )
            )
    return hits


# What app.py mounts: the API above, the public search and the help centre's pages.
router = APIRouter()
router.include_router(api)
router.include_router(public_search.router)
router.include_router(help_centre.router)
