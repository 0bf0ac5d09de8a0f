"""The knowledge-base API: who may read and write, validation, slug conflicts, publishing (what
the public search and the help centre show), the search index following every write, audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kefu.audit.models import AuditEntry
from kefu.auth.principals import AgentPrincipal, SystemPrincipal
from kefu.errors import InvalidInput, PermissionDenied
from kefu.kb.actions import do_create_qa_pair
from kefu.kb.models import KbArticle, KbState
from kefu.runtime import Runtime
from kefu.users.actions import do_create_user
from tests.conftest import PASSWORD, Workspace, agent_client

PERMISSION_TESTED = {
    "GET /api/v1/kb/categories",
    "POST /api/v1/kb/categories",
    "PATCH /api/v1/kb/categories/{category_id}",
    "DELETE /api/v1/kb/categories/{category_id}",
    "GET /api/v1/kb/articles",
    "POST /api/v1/kb/articles",
    "GET /api/v1/kb/articles/{article_id}",
    "PATCH /api/v1/kb/articles/{article_id}",
    "DELETE /api/v1/kb/articles/{article_id}",
    "POST /api/v1/kb/articles/{article_id}/publish",
    "POST /api/v1/kb/articles/{article_id}/unpublish",
    "POST /api/v1/kb/preview",
    "GET /api/v1/kb/qa",
    "POST /api/v1/kb/qa",
    "GET /api/v1/kb/qa/{pair_id}",
    "PATCH /api/v1/kb/qa/{pair_id}",
    "DELETE /api/v1/kb/qa/{pair_id}",
    "GET /api/v1/kb/search",
}
KB = "/api/v1/kb"

HOURS = {
    "slug": "opening-hours",
    "locales": {
        "zh-TW": {"title": "營業時間", "body": "我們的營業時間是週一到週五 **9:00–18:00**。"},
        "en": {"title": "Opening hours", "body": "We are open Monday to Friday, 9:00-18:00."},
    },
}
ACCOUNT = {
    "slug": "reset-password",
    "locales": {
        "zh-TW": {
            "title": "如何更改帳號的密碼",
            "body": "忘記帳號的密碼時，請在登入頁按「忘記密碼」。",
        }
    },
}


async def _supervisor(app: FastAPI, runtime: Runtime) -> httpx.AsyncClient:
    async with runtime.db.write() as session:
        await do_create_user(
            session,
            actor=SystemPrincipal(),
            email="lead@example.com",
            name="Lead",
            password=PASSWORD,
            role="supervisor",
        )
    return await agent_client(app, "lead@example.com")


def _code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    return str(body["error"]["code"])


async def test_agents_read_leads_write_anonymous_nothing(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    lead = await _supervisor(app, runtime)
    admin = await agent_client(app, workspace.admin.email)
    mei = await agent_client(app, workspace.agent.email)

    cat = await lead.post(
        f"{KB}/categories", json={"slug": "store", "names": {"zh-TW": "門市", "en": "Store"}}
    )
    assert cat.status_code == 201, cat.text
    cat_id = cat.json()["id"]
    art = await admin.post(f"{KB}/articles", json={**HOURS, "category_id": cat_id})
    assert art.status_code == 201, art.text
    art_id = art.json()["id"]
    assert art.json()["status"] == "draft"
    qa = await lead.post(
        f"{KB}/qa",
        json={"locale": "zh-TW", "questions": ["幾點開門?", "營業時間"], "answer": "9 點。"},
    )
    assert qa.status_code == 201, qa.text
    qa_id = qa.json()["id"]
    assert (await admin.post(f"{KB}/articles/{art_id}/publish")).json()["status"] == "published"

    # Agents read everything, drafts included (they answer from it)...
    reads = [
        f"{KB}/categories",
        f"{KB}/articles",
        f"{KB}/articles/{art_id}",
        f"{KB}/qa",
        f"{KB}/qa/{qa_id}",
        f"{KB}/search?q=營業時間",
    ]
    for url in reads:
        response = await mei.get(url)
        assert response.status_code == 200, (url, response.text)
    assert (await mei.post(f"{KB}/preview", json={"body": "*hi*"})).json() == {
        "html": "<p><em>hi</em></p>\n"
    }
    # ... and write nothing.
    writes = [
        ("POST", f"{KB}/categories", {"slug": "x", "names": {"en": "X"}}),
        ("PATCH", f"{KB}/categories/{cat_id}", {"position": 3}),
        ("DELETE", f"{KB}/categories/{cat_id}", None),
        ("POST", f"{KB}/articles", {**HOURS, "slug": "other"}),
        ("PATCH", f"{KB}/articles/{art_id}", {"position": 2}),
        ("POST", f"{KB}/articles/{art_id}/unpublish", None),
        ("POST", f"{KB}/articles/{art_id}/publish", None),
        ("DELETE", f"{KB}/articles/{art_id}", None),
        ("POST", f"{KB}/qa", {"locale": "en", "questions": ["q"], "answer": "a"}),
        ("PATCH", f"{KB}/qa/{qa_id}", {"answer": "b"}),
        ("DELETE", f"{KB}/qa/{qa_id}", None),
    ]
    for method, url, body in writes:
        response = await mei.request(method, url, json=body)
        assert response.status_code == 403, (method, url, response.text)
        assert _code(response) == "kb_editors_only"
    # Nobody anonymous reads the admin API.
    for url in reads:
        assert (await client.get(url)).status_code == 401
    for method, url, body in writes:
        assert (await client.request(method, url, json=body)).status_code == 401
    # Nothing changed through the refused writes.
    got = (await admin.get(f"{KB}/articles/{art_id}")).json()
    assert (got["status"], got["position"], got["slug"]) == ("published", 0, "opening-hours")
    # The supervisor may do all of it.
    assert (await lead.patch(f"{KB}/qa/{qa_id}", json={"answer": "十點。"})).status_code == 200
    assert (await lead.delete(f"{KB}/qa/{qa_id}")).status_code == 204
    assert (await lead.delete(f"{KB}/articles/{art_id}")).status_code == 204
    assert (await lead.delete(f"{KB}/categories/{cat_id}")).status_code == 204
    assert (await lead.get(f"{KB}/articles/{art_id}")).status_code == 404
    for c in (lead, admin, mei):
        await c.aclose()


async def test_validation_and_slug_conflicts(
    app: FastAPI, workspace: Workspace, runtime: Runtime
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    ok = await admin.post(f"{KB}/articles", json=HOURS)
    assert ok.status_code == 201
    taken = await admin.post(f"{KB}/articles", json=HOURS)
    assert taken.status_code == 409 and _code(taken) == "kb_slug_taken"
    bad: list[tuple[dict[str, Any], str]] = [
        ({**HOURS, "slug": "Opening Hours"}, "kb_bad_slug"),
        ({**HOURS, "slug": "營業時間"}, "kb_bad_slug"),
        ({**HOURS, "slug": "a--b"}, "kb_bad_slug"),
        ({**HOURS, "slug": "x", "locales": {}}, "kb_no_locale"),
        ({**HOURS, "slug": "x", "locales": {"fr": {"title": "t"}}}, "invalid_input"),
        ({**HOURS, "slug": "x", "locales": {"en": {"title": "  "}}}, "kb_empty_text"),
        ({**HOURS, "slug": "x", "locales": {"en": {"title": "t", "body": "x" * 50_001}}}, ""),
        ({**HOURS, "slug": "x", "category_id": 999}, "kb_unknown_category"),
        ({**HOURS, "slug": "x", "locales": {"en": {"title": "t", "body": "a\x00b"}}}, "bad_text"),
    ]
    for body, code in bad:
        response = await admin.post(f"{KB}/articles", json=body)
        assert response.status_code == 422, (body, response.text)
        assert _code(response) == (code or "invalid_input")
    # A lone surrogate (valid JSON, not storable text) is refused, not a server error.
    for raw in (
        b'{"slug": "s", "locales": {"en": {"title": "\\ud800"}}}',
        b'{"slug": "s", "locales": {"en": {"title": "t", "body": "a\\udfffb"}}}',
    ):
        response = await admin.post(
            f"{KB}/articles", content=raw, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
    for url in (f"{KB}/articles", f"{KB}/qa", f"{KB}/search", "/api/v1/public/kb/search"):
        response = await admin.get(f"{url}?q=%ED%A0%80x%00")
        assert response.status_code == 422, (url, response.text)
    # A 50,000-character body is allowed.
    big = {"slug": "big", "locales": {"en": {"title": "Big", "body": "x" * 50_000}}}
    assert (await admin.post(f"{KB}/articles", json=big)).status_code == 201
    # Renaming onto a taken slug is a conflict too, and leaves the article as it was.
    other = (await admin.post(f"{KB}/articles", json={**ACCOUNT})).json()
    clash = await admin.patch(f"{KB}/articles/{other['id']}", json={"slug": "opening-hours"})
    assert clash.status_code == 409 and _code(clash) == "kb_slug_taken"
    # ... also together with changes that read the database first.
    clash = await admin.patch(
        f"{KB}/articles/{other['id']}",
        json={"slug": "opening-hours", "locales": {"en": {"title": "x"}}, "category_id": None},
    )
    assert clash.status_code == 409 and _code(clash) == "kb_slug_taken"
    assert (await admin.get(f"{KB}/articles/{other['id']}")).json()["slug"] == "reset-password"

    cat = {"slug": "store", "names": {"en": "Store"}}
    assert (await admin.post(f"{KB}/categories", json=cat)).status_code == 201
    assert _code(await admin.post(f"{KB}/categories", json=cat)) == "kb_slug_taken"
    nameless = await admin.post(f"{KB}/categories", json={"slug": "n", "names": {"en": " "}})
    assert nameless.status_code == 422 and _code(nameless) == "kb_category_needs_name"

    qa_bad: list[dict[str, Any]] = [
        {"locale": "en", "questions": [], "answer": "a"},
        {"locale": "en", "questions": ["q"] * 21, "answer": "a"},
        {"locale": "en", "questions": ["q" * 301], "answer": "a"},
        {"locale": "en", "questions": ["q"], "answer": "a" * 4001},
        {"locale": "en", "questions": ["q"], "answer": "   "},
        {"locale": "en", "questions": ["  "], "answer": "a"},
        {"locale": "ja", "questions": ["q"], "answer": "a"},
        {"locale": "en", "questions": ["q"], "answer": "a", "article_id": 99999},
    ]
    for body in qa_bad:
        response = await admin.post(f"{KB}/qa", json=body)
        assert response.status_code == 422, (body, response.text)
    twenty = {"locale": "en", "questions": [f"q{i}" for i in range(20)], "answer": "a" * 4000}
    assert (await admin.post(f"{KB}/qa", json=twenty)).status_code == 201
    assert (await admin.get(f"{KB}/articles?limit=0")).status_code == 422
    await admin.aclose()


async def test_articles_update_one_language_filter_and_page(
    app: FastAPI, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    art = (await admin.post(f"{KB}/articles", json=HOURS)).json()
    # One language changes; the other stays.
    changed = await admin.patch(
        f"{KB}/articles/{art['id']}",
        json={"locales": {"en": {"title": "Hours", "body": "Open 9-18."}}},
    )
    assert changed.status_code == 200, changed.text
    locales = changed.json()["locales"]
    assert locales["en"]["title"] == "Hours" and locales["zh-TW"]["title"] == "營業時間"
    assert changed.json()["urls"] == {
        "en": "/help/en/articles/opening-hours",
        "zh-TW": "/help/zh-TW/articles/opening-hours",
    }
    # null removes a language; the last one cannot go.
    gone = await admin.patch(f"{KB}/articles/{art['id']}", json={"locales": {"en": None}})
    assert list(gone.json()["locales"]) == ["zh-TW"]
    last = await admin.patch(f"{KB}/articles/{art['id']}", json={"locales": {"zh-TW": None}})
    assert last.status_code == 422 and _code(last) == "kb_no_locale"
    assert list((await admin.get(f"{KB}/articles/{art['id']}")).json()["locales"]) == ["zh-TW"]

    cat = (await admin.post(f"{KB}/categories", json={"slug": "c", "names": {"en": "C"}})).json()
    for i in range(5):
        body = {"slug": f"a{i}", "position": i, "locales": {"en": {"title": f"Article {i}"}}}
        await admin.post(f"{KB}/articles", json={**body, "category_id": cat["id"]})
    await admin.post(f"{KB}/articles/{art['id']}/publish")
    page = (await admin.get(f"{KB}/articles?category_id={cat['id']}&limit=2&offset=2")).json()
    assert page["total"] == 5 and [a["slug"] for a in page["items"]] == ["a2", "a3"]
    published = (await admin.get(f"{KB}/articles?status=published")).json()
    assert [a["slug"] for a in published["items"]] == ["opening-hours"]
    zh = (await admin.get(f"{KB}/articles?locale=zh-TW")).json()
    assert [a["slug"] for a in zh["items"]] == ["opening-hours"]
    found = (await admin.get(f"{KB}/articles", params={"q": "營業"})).json()
    assert [a["slug"] for a in found["items"]] == ["opening-hours"]
    assert (await admin.get(f"{KB}/articles", params={"q": "100%_"})).json()["total"] == 0
    # Taking an article out of its category; deleting a category keeps its articles.
    moved = await admin.patch(f"{KB}/articles/{page['items'][0]['id']}", json={"category_id": None})
    assert moved.json()["category_id"] is None
    assert (await admin.delete(f"{KB}/categories/{cat['id']}")).status_code == 204
    assert (await admin.get(f"{KB}/articles")).json()["total"] == 6
    await admin.aclose()


async def test_publishing_decides_what_the_public_sees_and_the_index_follows(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    art = (await admin.post(f"{KB}/articles", json=ACCOUNT)).json()
    revision_before = await _revision(runtime)

    async def public(q: str) -> list[dict[str, str]]:
        response = await client.get("/api/v1/public/kb/search", params={"q": q, "locale": "en"})
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == "*"
        hits: list[dict[str, str]] = response.json()["results"]
        return hits

    assert await public("帳號") == []  # a draft
    assert (await client.get("/help/zh-TW/articles/reset-password")).status_code == 404
    await admin.post(f"{KB}/articles/{art['id']}/publish")
    assert await _revision(runtime) > revision_before
    # Simplified spelling finds the Traditional article; the English reader gets the
    # only version there is, under the English help centre's address.
    hits = await public("账号")
    assert [(h["title"], h["url"]) for h in hits] == [
        ("如何更改帳號的密碼", "/help/en/articles/reset-password")
    ]
    assert "忘記密碼" in hits[0]["snippet"]
    assert (await client.get("/help/zh-TW/articles/reset-password")).status_code == 200
    agent_hits = (await admin.get(f"{KB}/search", params={"q": "帳號"})).json()
    assert [(h["kind"], h["id"]) for h in agent_hits] == [("article", art["id"])]

    # Editing the text: the index is rebuilt (the revision moved), the new words are found.
    await admin.patch(
        f"{KB}/articles/{art['id']}",
        json={"locales": {"en": {"title": "Resetting your password", "body": "Use the link."}}},
    )
    assert [h["title"] for h in await public("password")] == ["Resetting your password"]

    await admin.post(f"{KB}/articles/{art['id']}/unpublish")
    assert await public("账号") == []
    assert await public("password") == []
    assert (await client.get("/help/zh-TW/articles/reset-password")).status_code == 404
    assert (await admin.get(f"{KB}/search", params={"q": "帳號"})).json() == []
    # Q&A pairs are found by the agents' search, never by the public one.
    pair = {"locale": "zh-TW", "questions": ["帳號被鎖住了"], "answer": "請聯絡我們。"}
    await admin.post(f"{KB}/qa", json=pair)
    agent_hits = (await admin.get(f"{KB}/search", params={"q": "账号 锁住"})).json()
    assert [h["kind"] for h in agent_hits] == ["qa"]
    assert agent_hits[0]["snippet"] == "請聯絡我們。"
    assert await public("鎖住") == []
    await admin.aclose()


async def _revision(runtime: Runtime) -> int:
    async with runtime.db.read() as session:
        return int(await session.scalar(select(KbState.revision).where(KbState.id == 1)) or 0)


async def test_public_search_refuses_empty_and_long_queries_and_limits_each_address(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    url = "/api/v1/public/kb/search"
    for q in ("", "   "):
        response = await client.get(url, params={"q": q})
        assert response.status_code == 422 and _code(response) == "search_query_empty"
    long = await client.get(url, params={"q": "字" * 201})
    assert long.status_code == 422 and _code(long) == "search_query_too_long"
    assert (await client.get(url, params={"q": "x", "locale": "fr"})).status_code == 422
    statuses = [(await client.get(url, params={"q": "hello"})).status_code for _ in range(121)]
    assert statuses[:120] == [200] * 120 and statuses[120] == 429


async def test_writes_are_audited_and_the_action_is_callable_directly(
    app: FastAPI, workspace: Workspace, runtime: Runtime
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    art = (await admin.post(f"{KB}/articles", json=HOURS)).json()
    await admin.post(f"{KB}/articles/{art['id']}/publish")
    await admin.delete(f"{KB}/articles/{art['id']}")
    # The bot's learning loop creates a pair in one step with the action.
    async with runtime.db.write() as session:
        pair = await do_create_qa_pair(
            session,
            actor=AgentPrincipal(user=workspace.admin, via="session"),
            locale="en",
            questions=["Where are you?", "Where are you?", " address "],
            answer="Taipei.",
            article_id=None,
        )
        assert pair.questions == ["Where are you?", "address"]
        with pytest.raises(PermissionDenied):
            await do_create_qa_pair(
                session,
                actor=AgentPrincipal(user=workspace.agent, via="session"),
                locale="en",
                questions=["q"],
                answer="a",
                article_id=None,
            )
        with pytest.raises(InvalidInput):
            await do_create_qa_pair(
                session, actor=SystemPrincipal(), locale="en", questions=[], answer="a",
                article_id=None,
            )  # fmt: skip
        for questions, answer in ((["\ud800?"], "a"), (["q"], "a\x00"), (["q"], "x" * 4001)):
            with pytest.raises(InvalidInput):
                await do_create_qa_pair(
                    session, actor=SystemPrincipal(), locale="en", questions=questions,
                    answer=answer, article_id=None,
                )  # fmt: skip
    async with runtime.db.read() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("kb.%")).order_by(AuditEntry.id)
            )
        ).all()
        assert await session.scalar(select(KbArticle.id)) is None
    assert [(e.action, e.actor_user_id) for e in entries] == [
        ("kb.article_created", workspace.admin.id),
        ("kb.article_published", workspace.admin.id),
        ("kb.article_deleted", workspace.admin.id),
        ("kb.qa_created", workspace.admin.id),
    ]
    assert entries[0].details == {"slug": "opening-hours"}
    await admin.aclose()
