"""The public help centre: language redirect and switch, pages of published articles only,
escaping, search, "was this helpful?" counted once per browser, page views."""

from __future__ import annotations

import html
import re

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.kb.actions import do_create_article, do_create_category
from kefu.kb.demo_content import load_demo_content
from kefu.kb.demo_loader import LoadedKb, load_demo_kb
from kefu.kb.help_centre import ViewCounter
from kefu.kb.models import KbArticle, KbQaPair
from kefu.kb.queries import category_by_slug
from kefu.runtime import Runtime
from tests.conftest import Workspace


async def _content(runtime: Runtime) -> dict[str, int]:
    system = SystemPrincipal()
    async with runtime.db.write() as session:
        store = await do_create_category(
            session, actor=system, slug="store", names={"zh-TW": "門市資訊", "en": "Our store"}
        )
        hours = await do_create_article(
            session,
            actor=system,
            slug="opening-hours",
            category_id=store.id,
            status="published",
            locales={
                "zh-TW": (
                    "營業時間",
                    "週一到週五 **9:00–18:00** 營業。\n\n<script>alert(1)</script>",
                ),
                "en": ("Opening hours", "Open Monday to Friday, **9:00-18:00**."),
            },
        )
        hostile = await do_create_article(
            session,
            actor=system,
            slug="hostile",
            status="published",
            locales={"en": ("<script>alert('t')</script> & co", "[x](javascript:alert(1))")},
        )
        draft = await do_create_article(
            session,
            actor=system,
            slug="secret-plans",
            category_id=store.id,
            locales={"zh-TW": ("內部草稿", "還沒公開的內容")},
        )
    return {"hours": hours.id, "hostile": hostile.id, "draft": draft.id}


async def test_language_redirect_home_and_category(
    client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    await _content(runtime)
    zh = await client.get("/help", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert (zh.status_code, zh.headers["location"]) == (302, "/help/zh-TW/")
    en = await client.get("/help/", headers={"accept-language": "en-GB,en;q=0.8"})
    assert en.headers["location"] == "/help/en/"
    assert (await client.get("/help/en")).headers["location"] == "/help/en/"

    home = await client.get("/help/zh-TW/")
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    csp = home.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script" not in csp
    page = home.text
    assert '<html lang="zh-TW">' in page
    assert "<title>幫助中心</title>" in page
    assert '<meta name="description" content="' in page
    assert '<link rel="canonical" href="http://testserver/help/zh-TW/">' in page
    assert '<link rel="alternate" hreflang="en" href="http://testserver/help/en/">' in page
    assert '<a href="/help/zh-TW/categories/store">門市資訊</a>' in page
    assert '<a href="/help/zh-TW/articles/opening-hours">營業時間</a>' in page
    assert "內部草稿" not in page and "secret-plans" not in page  # drafts never show
    assert '<a class="lang" href="/help/en/"' in page
    assert "<script" not in page.replace("&lt;script", "")

    # A category with more articles than the home page shows links to the rest; an empty
    # category is not shown.
    system = SystemPrincipal()
    async with runtime.db.write() as session:
        await do_create_category(session, actor=system, slug="empty", names={"en": "Void"})
        store = await category_by_slug(session=session, slug="store")
        assert store is not None
        for i in range(6):
            await do_create_article(
                session,
                actor=system,
                slug=f"more-{i}",
                category_id=store.id,
                status="published",
                locales={"en": (f"More {i}", "")},
            )
    home = await client.get("/help/en/")
    assert '<a href="/help/en/categories/store">All 7 articles</a>' in home.text
    assert "Void" not in home.text  # no published article in it
    assert "More 5" in home.text and "/help/en/articles/opening-hours" not in home.text  # 7th
    category = await client.get("/help/en/categories/store")
    assert category.status_code == 200
    assert "<h1>Our store</h1>" in category.text
    assert '<a href="/help/en/articles/opening-hours">Opening hours</a>' in category.text
    assert "secret-plans" not in category.text
    assert (await client.get("/help/en/categories/nope")).status_code == 404


async def test_article_pages_escape_and_hide_drafts(
    client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    await _content(runtime)
    zh = await client.get("/help/zh-TW/articles/opening-hours")
    assert zh.status_code == 200
    assert "<title>營業時間 · 幫助中心</title>" in zh.text
    assert "<strong>9:00–18:00</strong>" in zh.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in zh.text  # raw HTML in Markdown is text
    assert '<meta name="description" content="週一到週五 9:00–18:00 營業。' in zh.text
    assert '<a href="/help/zh-TW/categories/store">門市資訊</a>' in zh.text
    assert '<a class="lang" href="/help/en/articles/opening-hours"' in zh.text
    en = await client.get("/help/en/articles/opening-hours")
    assert '<html lang="en">' in en.text and "<h1>Opening hours</h1>" in en.text

    hostile = await client.get("/help/en/articles/hostile")
    assert "<h1>&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; &amp; co</h1>" in hostile.text
    assert "[x](javascript:alert(1))</p>" in hostile.text  # not a link: text
    assert 'href="javascript' not in hostile.text
    # Only an English version: the Chinese help centre shows it with a note.
    fallback = await client.get("/help/zh-TW/articles/hostile")
    assert fallback.status_code == 200 and "這篇文章目前只有英文版本。" in fallback.text

    for url in (
        "/help/zh-TW/articles/secret-plans",  # a draft
        "/help/zh-TW/articles/nope",
        "/help/fr/articles/opening-hours",
        "/help/zh-TW/whatever/else",
        "/help/fr/",
    ):
        missing = await client.get(url)
        assert missing.status_code == 404, url
        assert missing.headers["content-type"].startswith("text/html")
        assert "內部草稿" not in missing.text and "還沒公開" not in missing.text
    gone = (await client.get("/help/zh-TW/articles/secret-plans")).text
    assert "找不到這個頁面" in gone
    assert '<meta name="robots" content="noindex">' in gone and "canonical" not in gone


async def test_search_page(
    client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    await _content(runtime)
    found = await client.get("/help/zh-TW/search", params={"q": "营业时间"})
    assert found.status_code == 200
    assert '<a href="/help/zh-TW/articles/opening-hours">營業時間</a>' in found.text
    assert 'value="营业时间"' in found.text
    nothing = await client.get("/help/en/search", params={"q": "<b>zebra</b>"})
    assert "No articles match." in nothing.text
    assert "&lt;b&gt;zebra&lt;/b&gt;" in nothing.text and "<b>zebra" not in nothing.text
    assert "secret" not in (await client.get("/help/en/search", params={"q": "草稿"})).text
    empty = await client.get("/help/en/search")
    assert empty.status_code == 200 and "<h1>Search</h1>" in empty.text
    too_long = await client.get("/help/en/search", params={"q": "x" * 300})
    assert too_long.status_code == 200 and 'role="alert"' in too_long.text


async def _counts(runtime: Runtime, article_id: int) -> tuple[int, int, int]:
    async with runtime.db.read() as session:
        row = (
            await session.execute(
                select(KbArticle.views, KbArticle.helpful_yes, KbArticle.helpful_no).where(
                    KbArticle.id == article_id
                )
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def test_helpful_votes_count_once_per_browser_and_views_are_counted(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    ids = await _content(runtime)
    app.state.kb_view_counter = ViewCounter(flush_seconds=0)
    url = "/help/en/articles/opening-hours"
    page = await client.get(url)
    assert re.search(
        r'<form method="post" action="/help/en/articles/opening-hours/vote">', page.text
    )
    vote = await client.post(f"{url}/vote", data={"helpful": "yes"})
    assert (vote.status_code, vote.headers["location"]) == (303, f"{url}#helpful")
    assert "kefu_kb_votes" in vote.headers["set-cookie"]
    again = await client.post(f"{url}/vote", data={"helpful": "no"})  # same browser (cookie)
    assert again.status_code == 303
    thanked = await client.get(url)
    assert "Thanks for your feedback!" in thanked.text and "<form method" not in thanked.text
    # Another browser counts once more.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        cross = await other.post(
            f"{url}/vote", data={"helpful": "yes"}, headers={"origin": "https://evil.example"}
        )
        assert cross.status_code == 403
        # Behind a TLS-terminating proxy the page's origin is https, the request http: same host.
        proxied = await other.post(
            f"{url}/vote", data={"helpful": "no"}, headers={"origin": "https://testserver"}
        )
        assert proxied.status_code == 303
        assert (await other.post(f"{url}/vote", data={"helpful": "maybe"})).status_code == 404
        draft = await other.post("/help/en/articles/secret-plans/vote", data={"helpful": "yes"})
        assert draft.status_code == 404
    assert await _counts(runtime, ids["hours"]) == (2, 1, 1)  # two page views, one vote each
    assert await _counts(runtime, ids["draft"]) == (0, 0, 0)


async def test_views_are_batched(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    ids = await _content(runtime)
    counter = ViewCounter(flush_seconds=3600, flush_views=3)
    app.state.kb_view_counter = counter
    for _ in range(2):
        await client.get("/help/en/articles/opening-hours")
    assert (await _counts(runtime, ids["hours"]))[0] == 0  # held in memory
    await client.get("/help/zh-TW/articles/opening-hours")
    assert (await _counts(runtime, ids["hours"]))[0] == 3
    await client.get("/help/zh-TW/articles/secret-plans")  # a 404 is not a view
    await counter.flush(runtime)
    assert (await _counts(runtime, ids["hours"]))[0] == 3


async def test_the_demo_knowledge_base_loads_once_and_shows(
    client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    data = load_demo_content()
    async with runtime.db.write() as session:
        loaded = await load_demo_kb(session, actor=SystemPrincipal())
    assert loaded == LoadedKb(len(data.categories), len(data.articles), len(data.qa))
    async with runtime.db.write() as session:
        assert await load_demo_kb(session, actor=SystemPrincipal()) is None  # not twice
    for locale in ("zh-TW", "en"):
        home = (await client.get(f"/help/{locale}/")).text
        for category in data.categories:
            assert f'href="/help/{locale}/categories/{category.slug}"' in home
            page = (await client.get(f"/help/{locale}/categories/{category.slug}")).text
            for article in data.articles:
                if article.category == category.slug and locale in article.locales:
                    title = html.escape(article.locales[locale].title, quote=False)
                    assert f'<a href="/help/{locale}/articles/{article.slug}">{title}</a>' in page
    async with runtime.db.read() as session:
        published = await session.scalar(
            select(func.count()).select_from(KbArticle).where(KbArticle.status == "published")
        )
        linked = await session.scalar(
            select(func.count()).select_from(KbQaPair).where(KbQaPair.article_id.is_not(None))
        )
    assert published == len(data.articles)
    assert linked == sum(1 for qa in data.qa if qa.article)
