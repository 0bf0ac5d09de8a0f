"""Searching published articles for the public: the widget's search box (the JSON endpoint
below, readable from any site since the content is public) and the help centre's search page.

Both go through the node's search index (`runtime.kb_index`), then read the matched articles
again so that only what is published *now* is shown, in the reader's language if it exists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from kefu.auth.dependencies import RuntimeDep
from kefu.auth.ratelimit import SlidingWindowLimiter
from kefu.errors import InvalidInput
from kefu.kb import queries
from kefu.kb.actions import encodable
from kefu.kb.markdown import snippet
from kefu.kb.retrieval import DocumentKind
from kefu.kb.schemas import Locale, PublicHit, PublicSearchOut
from kefu.runtime import Runtime

router = APIRouter(prefix="/api/v1/public/kb", tags=["knowledge base"])

MAX_QUERY_CHARS = 200
# Per client address and node: typing with a debounce sends about one query a second.
SEARCHES_PER_MINUTE = 120
ARTICLES_KINDS: frozenset[DocumentKind] = frozenset({"article"})


def article_path(locale: str, slug: str) -> str:
    return f"/help/{locale}/articles/{slug}"


def clean_query(q: str) -> str:
    query = " ".join(q.split())
    if not query:
        raise InvalidInput("Type something to search for.", code="search_query_empty")
    if not encodable(query):
        raise InvalidInput("The search contains an invalid character.", code="bad_text")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(
            f"A search is at most {MAX_QUERY_CHARS} characters.",
            code="search_query_too_long",
            max=MAX_QUERY_CHARS,
        )
    return query


async def search_published(
    runtime: Runtime, query: str, *, locale: str, limit: int = 8
) -> list[PublicHit]:
    index = await runtime.kb_index.current()
    ids: list[int] = []
    for match in index.search(query, limit=limit * 3, kinds=ARTICLES_KINDS):
        if match.document.ref_id not in ids:
            ids.append(match.document.ref_id)
    ids = ids[:limit]
    async with runtime.db.read() as session:
        found = await queries.published_articles(session=session, ids=ids)
    by_id = {item.article.id: item for item in found}
    hits: list[PublicHit] = []
    for article_id in ids:
        item = by_id.get(article_id)
        version = queries.pick_locale_version(item, locale) if item else None
        if item is None or version is None:
            continue  # unpublished since the index was built
        hits.append(
            PublicHit(
                title=version.title,
                snippet=snippet(version.body, query),
                url=article_path(locale, item.article.slug),
            )
        )
    return hits


def search_limiter(request: Request) -> SlidingWindowLimiter:
    limiter: SlidingWindowLimiter | None = getattr(request.app.state, "kb_search_limiter", None)
    if limiter is None:
        limiter = SlidingWindowLimiter(SEARCHES_PER_MINUTE, 60)
        request.app.state.kb_search_limiter = limiter
    return limiter


@router.get("/search", response_model=PublicSearchOut)
async def public_search(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS * 2)],
    locale: Locale = "zh-TW",
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> PublicSearchOut:
    """Published articles only; no login. Each hit links to the help centre."""
    response.headers["access-control-allow-origin"] = "*"
    query = clean_query(q)
    search_limiter(request).hit(request.client.host if request.client else "?")
    return PublicSearchOut(
        results=await search_published(runtime, query, locale=locale, limit=limit)
    )
