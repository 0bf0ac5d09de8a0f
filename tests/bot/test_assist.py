"""Agent assist: articles and canned responses for the customer's last message, in order of
relevance, only for agents who may open the conversation."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, select

from kefu.bot.assist import best_passage, guess_locale
from kefu.bot.learning import word_set
from kefu.canned.models import CannedResponse
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.kb.index_cache import bump_revision
from kefu.kb.models import KbArticle, KbArticleLocale
from kefu.messages.models import Message
from kefu.runtime import Runtime
from tests.bot.report_fixtures import new_conversation
from tests.conftest import Workspace, agent_client, visitor_send

PERMISSION_TESTED = {"GET /api/v1/conversations/{conversation_id}/assist"}

ARTICLES = [
    # slug, status, {locale: (title, body)}
    (
        "returns",
        "published",
        {
            "en": (
                "Returns and refunds",
                "# Returns\n\nYou can **return** an item within 14 days of delivery.\n\n"
                "Refunds reach your card in 5 working days.",
            ),
            "zh-TW": ("退換貨", "商品到貨 14 天內可以退貨。\n\n退款約 5 個工作天入帳。"),
        },
    ),
    (
        "opening-hours",
        "published",
        {
            "en": ("Opening hours", "We are open Monday to Friday, 9:00 to 18:00."),
            "zh-TW": ("營業時間", "週一至週五 9:00 到 18:00。"),
        },
    ),
    (
        "shipping",
        "published",
        {"en": ("Shipping", "We ship within 2 days. You can return an item by post.")},
    ),
    (
        "secret-draft",
        "draft",
        {"en": ("Return fraud handling", "Internal: how to return item fraud.")},
    ),
]


async def conversation_of(runtime: Runtime, public_id: str) -> int:
    async with runtime.db.read() as session:
        found = await session.scalar(
            select(Conversation.id).where(Conversation.public_id == public_id)
        )
    assert found is not None
    return found


async def seed(runtime: Runtime, workspace: Workspace) -> dict[str, int]:
    ids: dict[str, int] = {}
    async with runtime.db.write() as session:
        for slug, status, locales in ARTICLES:
            article = KbArticle(slug=slug, status=status, published_at=utcnow())
            session.add(article)
            await session.flush()
            ids[slug] = article.id
            for locale, (title, body) in locales.items():
                session.add(
                    KbArticleLocale(article_id=article.id, locale=locale, title=title, body=body)
                )
        canned = [
            (None, "refund", "Refund timing", "Your refund will reach your card in 5 days.", "en"),
            (
                None,
                "return",
                "How to return",
                "To return an item, reply with your order: we send a refund label.",
                "",
            ),
            (None, "hours", "Hours", "We are open 9 to 6.", "en"),
            (None, "zh-return", "退貨", "請提供訂單編號以辦理退貨。", "zh-TW"),
            (workspace.agent.id, "my-return", "My return note", "Return item: return label.", ""),
            (workspace.agent2.id, "alex-return", "Alex return", "return item return item", ""),
        ]
        for owner_id, shortcut, title, content, locale in canned:
            session.add(
                CannedResponse(
                    owner_id=owner_id,
                    shortcut=shortcut,
                    title=title,
                    content=content,
                    locale=locale,
                )
            )
        await bump_revision(session)
    return ids


async def test_suggestions_in_order_of_relevance(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    ids = await seed(runtime, workspace)
    agent = await agent_client(app, workspace.agent.email)
    # The customer's newest message is the one that counts.
    first = await visitor_send(client, workspace.inbox, "How do I return an item?")
    await visitor_send(client, workspace.inbox, "and your opening hours?", first["visitor_token"])
    conversation_id = await conversation_of(runtime, first["conversation"]["id"])
    body = (await agent.get(f"/api/v1/conversations/{conversation_id}/assist")).json()
    assert body["message_text"] == "and your opening hours?" and body["locale"] == "en"
    assert body["articles"][0]["article_id"] == ids["opening-hours"]
    assert body["canned"][0]["shortcut"] == "hours"

    returns = await new_conversation(
        client, runtime, workspace.inbox, "How do I return an item and get my refund?"
    )
    body = (await agent.get(f"/api/v1/conversations/{returns}/assist")).json()
    articles = body["articles"]
    assert [a["article_id"] for a in articles][:2] == [ids["returns"], ids["shipping"]]
    assert ids["secret-draft"] not in [a["article_id"] for a in articles]  # drafts never
    top = articles[0]
    assert top["url"] == "/help/en/articles/returns" and top["title"] == "Returns and refunds"
    assert top["snippet"] == "You can return an item within 14 days of delivery."
    assert top["insert_text"] == (
        "You can return an item within 14 days of delivery.\n"
        "Returns and refunds: " + runtime.settings.base_url() + "/help/en/articles/returns"
    )
    assert 0 < top["confidence"] <= 1
    canned = [c["shortcut"] for c in body["canned"]]
    # Mei's own and the shared ones, never Alex's personal one; no Chinese-only one.
    assert canned == ["return", "my-return", "refund"]
    assert "alex-return" not in canned and len(body["canned"]) <= 3

    zh = await new_conversation(client, runtime, workspace.inbox, "請問要怎麼退貨?")
    body = (await agent.get(f"/api/v1/conversations/{zh}/assist")).json()
    assert body["locale"] == "zh-TW"
    assert body["articles"][0]["url"] == "/help/zh-TW/articles/returns"
    assert body["canned"][0]["shortcut"] == "zh-return"


async def test_scope_and_empty(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    await seed(runtime, workspace)
    conversation_id = await new_conversation(client, runtime, workspace.inbox, "refund?")
    outsider = await agent_client(app, workspace.outsider.email)
    assert (
        await outsider.get(f"/api/v1/conversations/{conversation_id}/assist")
    ).status_code == 404
    admin = await agent_client(app, workspace.admin.email)
    assert (await admin.get(f"/api/v1/conversations/{conversation_id}/assist")).status_code == 200
    agent = await agent_client(app, workspace.agent.email)
    assert (await agent.get("/api/v1/conversations/999999/assist")).status_code == 404

    async with runtime.db.write() as session:
        await session.execute(delete(Message).where(Message.conversation_id == conversation_id))
    body = (await agent.get(f"/api/v1/conversations/{conversation_id}/assist")).json()
    assert body == {
        "message_id": None,
        "message_text": "",
        "locale": "",
        "articles": [],
        "canned": [],
    }


async def test_nothing_relevant(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    await seed(runtime, workspace)
    conversation_id = await new_conversation(client, runtime, workspace.inbox, "xyzzy plugh")
    agent = await agent_client(app, workspace.agent.email)
    body = (await agent.get(f"/api/v1/conversations/{conversation_id}/assist")).json()
    assert body["message_text"] == "xyzzy plugh"
    assert body["articles"] == [] and body["canned"] == []


async def test_hostile_message(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    await seed(runtime, workspace)
    text = ("Can I return an item within 14 days of delivery? " * 80)[
        :3900
    ] + "<script>alert(1)</script>"
    conversation_id = await new_conversation(client, runtime, workspace.inbox, text)
    agent = await agent_client(app, workspace.agent.email)
    response = await agent.get(f"/api/v1/conversations/{conversation_id}/assist")
    assert response.status_code == 200
    assert response.json()["articles"][0]["url"] == "/help/en/articles/returns"


def test_helpers() -> None:
    assert guess_locale("請問 order A12345") == "zh-TW" and guess_locale("refund?") == "en"
    body = "# Title\n\nFirst paragraph about hours.\n\n- **Return** an [item](/x) within 14 days"
    assert best_passage(body, word_set("return item")) == "Return an item within 14 days"
    assert best_passage(body, word_set("nothing")) == "Title"
    assert best_passage("", word_set("x")) == ""
    assert len(best_passage("word " * 200, word_set("word"))) == 240
