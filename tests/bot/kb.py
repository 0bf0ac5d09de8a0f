"""A small knowledge base for the bot's tests (written the way KB actions will write it: rows
and a revision bump in one transaction), and switching an inbox's bot on."""

from __future__ import annotations

from typing import Any

from kefu.auth.principals import SystemPrincipal
from kefu.bot.actions import do_update_bot_settings
from kefu.bot.models import BotAction
from kefu.bot.settings import BotSettings
from kefu.db import Database
from kefu.inboxes.models import Inbox
from kefu.kb.index_cache import bump_revision
from kefu.kb.models import KbArticle, KbArticleLocale, KbQaPair

HOURS_ZH = """## 營業時間

門市與線上客服的營業時間為週一至週五 09:00–18:00，週六 10:00–16:00，週日及國定假日公休。

如需在營業時間外聯絡我們，請留言，我們會在下個營業日回覆。
"""
HOURS_EN = """## Opening hours

Our shop and online support are open Monday to Friday 09:00–18:00 and Saturday 10:00–16:00;
closed on Sundays and public holidays.
"""
RETURNS_ZH = "收到商品 7 天內可申請退換貨，請保持商品完整並附上發票。"
RETURNS_EN = (
    "You can return or exchange an item within 7 days of delivery, unused and with the receipt."
)


async def seed_kb(db: Database) -> dict[str, int]:
    async with db.write() as session:
        hours = KbArticle(slug="opening-hours", status="published")
        returns = KbArticle(slug="returns", status="published")
        draft = KbArticle(slug="secret-draft", status="draft")
        session.add_all([hours, returns, draft])
        await session.flush()
        session.add_all(
            [
                KbArticleLocale(
                    article_id=hours.id,
                    locale="zh-TW",
                    title="營業時間：你們幾點開門？",
                    body=HOURS_ZH,
                ),
                KbArticleLocale(
                    article_id=hours.id, locale="en", title="Opening hours", body=HOURS_EN
                ),
                KbArticleLocale(
                    article_id=returns.id, locale="zh-TW", title="退換貨規定", body=RETURNS_ZH
                ),
                KbArticleLocale(
                    article_id=returns.id,
                    locale="en",
                    title="Returns and exchanges",
                    body=RETURNS_EN,
                ),
                KbArticleLocale(
                    article_id=draft.id, locale="zh-TW", title="內部草稿 營業時間", body="不公開"
                ),
            ]
        )
        shipping = KbQaPair(
            locale="zh-TW",
            questions=["運費多少", "運費怎麼算", "要付運費嗎"],
            answer="單筆訂單滿 NT$1,000 免運費，未滿收 NT$80。",
        )
        shipping_en = KbQaPair(
            locale="en",
            questions=["How much is shipping?", "shipping cost", "delivery fee"],
            answer="Shipping is free over NT$1,000; otherwise NT$80.",
        )
        order = BotAction(
            key="order_status",
            names={"zh-TW": "查詢訂單", "en": "Order status"},
            triggers=["訂單狀態", "查訂單", "order status", "track my order"],
            prompts={"zh-TW": "請輸入您的訂單編號（例如 A1234）：", "en": "Your order number?"},
            param_pattern=r"[A-Z][0-9]{4}",
            url="http://127.0.0.1:9/orders/{value}",
            answer_templates={"zh-TW": "訂單 {{id}}：{{status}}", "en": "Order {{id}}: {{status}}"},
            not_found_templates={"zh-TW": "查無此訂單，請確認編號。", "en": "No such order."},
        )
        session.add_all([shipping, shipping_en, order])
        await session.flush()
        await bump_revision(session)
        return {
            "hours": hours.id,
            "returns": returns.id,
            "shipping": shipping.id,
            "order": order.id,
        }


async def enable_bot(db: Database, inbox_id: int, **changes: Any) -> BotSettings:
    settings = BotSettings.model_validate(
        {
            "enabled": True,
            "menu": [
                {
                    "label": {"zh-TW": "查詢訂單", "en": "Order status"},
                    "kind": "action",
                    "value": "order_status",
                },
                {
                    "label": {"zh-TW": "退換貨", "en": "Returns"},
                    "kind": "article",
                    "value": "returns",
                },
                {"label": {"zh-TW": "真人客服", "en": "Talk to a person"}, "kind": "handoff"},
            ],
            **changes,
        }
    )
    async with db.write() as session:
        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        await do_update_bot_settings(
            session,
            actor=SystemPrincipal(),
            inbox=inbox,
            settings=settings,
            sealed_api_key=None,
            replace_key=False,
        )
    return settings
