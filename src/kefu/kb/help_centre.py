"""The public help centre: server-rendered pages of the published articles, in zh-TW and en.

No JavaScript (a strict CSP forbids any): search is a GET form, "was this helpful?" a POST form
that counts once per browser (a cookie listing the articles voted on) and redirects back.
Drafts and unknown articles are the same 404 page. Page views are counted in memory and added
to the database in batches (ViewCounter), so reading an article costs no write.
"""

from __future__ import annotations

import time
from collections import Counter
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from starlette.background import BackgroundTask

from kefu.auth.dependencies import RuntimeDep
from kefu.errors import KefuError, RateLimited
from kefu.i18n import pick_locale
from kefu.kb import actions, queries
from kefu.kb.help_texts import HELP_TEXTS
from kefu.kb.markdown import plain_text, render_markdown
from kefu.kb.models import KB_LOCALES, KbCategory
from kefu.kb.public_search import (
    MAX_QUERY_CHARS,
    article_path,
    clean_query,
    search_limiter,
    search_published,
)
from kefu.runtime import Runtime

router = APIRouter(include_in_schema=False)

HELP_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
VOTE_COOKIE = "kefu_kb_votes"
MAX_VOTES_REMEMBERED = 200
HOME_ARTICLES = 6


@lru_cache(maxsize=1)
def templates() -> Environment:
    return Environment(
        loader=PackageLoader("kefu.kb", "templates"), autoescape=True, trim_blocks=True
    )


class ViewCounter:
    """Article views of this node, written every `flush_seconds` (or every `flush_views`)."""

    def __init__(self, flush_seconds: float = 30.0, flush_views: int = 200) -> None:
        self.flush_seconds = flush_seconds
        self.flush_views = flush_views
        self.pending: Counter[int] = Counter()
        self._last = time.monotonic()

    def add(self, article_id: int) -> bool:
        """Count a view; True when a flush is due."""
        self.pending[article_id] += 1
        due = time.monotonic() - self._last >= self.flush_seconds
        return due or sum(self.pending.values()) >= self.flush_views

    async def flush(self, runtime: Runtime) -> None:
        views, self.pending = dict(self.pending), Counter()
        self._last = time.monotonic()
        if views:
            async with runtime.db.write() as session:
                await actions.do_count_views(session, views=views)


def view_counter(request: Request) -> ViewCounter:
    counter: ViewCounter | None = getattr(request.app.state, "kb_view_counter", None)
    if counter is None:
        counter = request.app.state.kb_view_counter = ViewCounter()
    return counter


def _base_url(request: Request, runtime: Runtime) -> str:
    return runtime.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")


def _other(locale: str) -> str:
    return "en" if locale == "zh-TW" else "zh-TW"


def _page(
    request: Request,
    runtime: Runtime,
    template: str,
    *,
    locale: str,
    path: str,
    title: str,
    description: str = "",
    status: int = 200,
    indexable: bool = True,
    **context: Any,
) -> HTMLResponse:
    """`path` is the page's address after /help/<locale>, the same in both languages."""
    texts = HELP_TEXTS[locale]
    base = _base_url(request, runtime)
    body = (
        templates()
        .get_template(template)
        .render(
            t=texts,
            locale=locale,
            other_locale=_other(locale),
            page_title=title,
            description=description or texts["description"],
            canonical=f"{base}/help/{locale}{path}",
            alternates={loc: f"{base}/help/{loc}{path}" for loc in KB_LOCALES},
            switch_url=f"/help/{_other(locale)}{path}",
            home_url=f"/help/{locale}/",
            search_url=f"/help/{locale}/search",
            max_query=MAX_QUERY_CHARS,
            indexable=indexable,
            **context,
        )
    )
    return HTMLResponse(
        body,
        status_code=status,
        headers={
            "content-security-policy": HELP_CSP,
            "x-frame-options": "DENY",
            "cache-control": "no-cache",
        },
    )


def not_found(request: Request, runtime: Runtime, locale: str) -> HTMLResponse:
    locale = locale if locale in KB_LOCALES else pick_locale(request.headers.get("accept-language"))
    texts = HELP_TEXTS[locale]
    return _page(
        request, runtime, "not_found.html", locale=locale, path="/", title=texts["not_found"],
        status=404, indexable=False,
    )  # fmt: skip


def _category_name(category: KbCategory, locale: str) -> str:
    return category.names.get(locale) or category.names.get(_other(locale)) or category.slug


def _category_link(category: KbCategory | None, locale: str) -> dict[str, str] | None:
    if category is None:
        return None
    return {
        "name": _category_name(category, locale),
        "url": f"/help/{locale}/categories/{category.slug}",
    }


def _cards(items: list[queries.ArticleWithLocales], locale: str) -> list[dict[str, str]]:
    cards = []
    for item in items:
        version = queries.pick_locale_version(item, locale)
        if version is not None:
            cards.append({"title": version.title, "url": article_path(locale, item.article.slug)})
    return cards


@router.get("/help")
@router.get("/help/")
async def help_root(request: Request) -> RedirectResponse:
    locale = pick_locale(request.headers.get("accept-language"))
    return RedirectResponse(
        f"/help/{locale}/", status_code=302, headers={"vary": "Accept-Language"}
    )


@router.get("/help/{locale}")
async def help_locale_redirect(locale: str, request: Request, runtime: RuntimeDep) -> Response:
    if locale not in KB_LOCALES:
        return not_found(request, runtime, locale)
    return RedirectResponse(f"/help/{locale}/", status_code=301)


@router.get("/help/{locale}/")
async def help_home(locale: str, request: Request, runtime: RuntimeDep) -> Response:
    if locale not in KB_LOCALES:
        return not_found(request, runtime, locale)
    async with runtime.db.read() as session:
        categories = [c for c, _ in await queries.list_categories(session=session)]
        articles = await queries.published_articles(session=session)
    sections = []
    for category in [*categories, None]:
        items = [
            i for i in articles if i.article.category_id == (category.id if category else None)
        ]
        if not items:  # the public sees no empty categories
            continue
        # A category shows its first articles and links to the rest; the uncategorised all.
        shown = items[:HOME_ARTICLES] if category else items
        sections.append(
            {
                **(_category_link(category, locale) or {"name": HELP_TEXTS[locale]["other"]}),
                "articles": _cards(shown, locale),
                "more": HELP_TEXTS[locale]["all_articles"].format(n=len(items))
                if len(shown) < len(items)
                else "",
            }
        )
    return _page(
        request, runtime, "home.html", locale=locale, path="/",
        title=HELP_TEXTS[locale]["site"], sections=sections,
    )  # fmt: skip


@router.get("/help/{locale}/categories/{slug}")
async def help_category(locale: str, slug: str, request: Request, runtime: RuntimeDep) -> Response:
    if locale not in KB_LOCALES:
        return not_found(request, runtime, locale)
    async with runtime.db.read() as session:
        category = await queries.category_by_slug(session=session, slug=slug)
        items = (
            await queries.published_articles(session=session, category_id=category.id)
            if category
            else []
        )
    if category is None:
        return not_found(request, runtime, locale)
    name = _category_name(category, locale)
    return _page(
        request, runtime, "category.html", locale=locale, path=f"/categories/{category.slug}",
        title=f"{name} · {HELP_TEXTS[locale]['site']}", name=name, articles=_cards(items, locale),
    )  # fmt: skip


def _voted(request: Request) -> set[str]:
    return set(filter(None, request.cookies.get(VOTE_COOKIE, "").split(".")))


@router.get("/help/{locale}/articles/{slug}")
async def help_article(locale: str, slug: str, request: Request, runtime: RuntimeDep) -> Response:
    if locale not in KB_LOCALES:
        return not_found(request, runtime, locale)
    async with runtime.db.read() as session:
        item = await queries.published_article_by_slug(session=session, slug=slug)
        category = (
            await session.get(KbCategory, item.article.category_id)
            if item and item.article.category_id
            else None
        )
    version = queries.pick_locale_version(item, locale) if item else None
    if item is None or version is None:
        return not_found(request, runtime, locale)
    texts = HELP_TEXTS[locale]
    response = _page(
        request,
        runtime,
        "article.html",
        locale=locale,
        path=f"/articles/{item.article.slug}",
        title=f"{version.title} · {texts['site']}",
        description=plain_text(version.body)[:160],
        article_title=version.title,
        body=Markup(render_markdown(version.body)),  # sanitised by nh3
        fallback=version.locale != locale,
        category=_category_link(category, locale),
        updated=version.updated_at.date().isoformat(),
        vote_url=f"/help/{locale}/articles/{item.article.slug}/vote",
        voted=str(item.article.id) in _voted(request),
    )
    counter = view_counter(request)
    if counter.add(item.article.id):
        response.background = BackgroundTask(counter.flush, runtime)
    return response


@router.post("/help/{locale}/articles/{slug}/vote")
async def help_vote(
    locale: str,
    slug: str,
    request: Request,
    runtime: RuntimeDep,
    helpful: Annotated[str, Form(max_length=5)],
) -> Response:
    if locale not in KB_LOCALES or helpful not in ("yes", "no"):
        return not_found(request, runtime, locale)
    # A form posted from another site (the host, not the scheme: TLS may end at a proxy).
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        return Response("Cross-site form refused.", status_code=403)
    async with runtime.db.read() as session:
        item = await queries.published_article_by_slug(session=session, slug=slug)
    if item is None:
        return not_found(request, runtime, locale)
    back = RedirectResponse(article_path(locale, slug) + "#helpful", status_code=303)
    voted = _voted(request)
    key = str(item.article.id)
    if key in voted:
        return back
    async with runtime.db.write() as session:
        await actions.do_vote_article(session, article_id=item.article.id, helpful=helpful == "yes")
    remembered = [*sorted(voted, key=int)[-(MAX_VOTES_REMEMBERED - 1) :], key]
    back.set_cookie(
        VOTE_COOKIE,
        ".".join(remembered),
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.cookie_secure,
        path="/help/",
    )
    return back


@router.get("/help/{locale}/search")
async def help_search(
    locale: str,
    request: Request,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS * 2)] = "",
) -> Response:
    if locale not in KB_LOCALES:
        return not_found(request, runtime, locale)
    texts = HELP_TEXTS[locale]
    query = " ".join(q.split())
    hits = []
    error = ""
    if query:
        try:
            query = clean_query(query)
            search_limiter(request).hit(request.client.host if request.client else "?")
            hits = await search_published(runtime, query, locale=locale, limit=20)
        except RateLimited:
            error = texts["too_many"]
        except KefuError as exc:
            error = exc.message
    return _page(
        request, runtime, "search.html", locale=locale, path="/search", indexable=False,
        title=f"{texts['search_title']} · {texts['site']}", query=query, hits=hits, error=error,
        heading=texts["results_for"].replace("{q}", query) if query else texts["search_title"],
    )  # fmt: skip


@router.get("/help/{locale}/{rest:path}")
async def help_unknown(locale: str, rest: str, request: Request, runtime: RuntimeDep) -> Response:
    return not_found(request, runtime, locale)
