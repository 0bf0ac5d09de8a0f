"""LINE through the whole app: the admin creates the inbox through the API, LINE's signed
webhooks come in, agents answer, the outbox calls the fake LINE API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.channels.line.webhook import sign
from kefu.config import Settings
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.inboxes.models import Inbox
from kefu.outbox.models import OutboxJob
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.settings import RoutingSettings
from kefu.runtime import Runtime
from tests.attachments.samples import png
from tests.channels.line.conftest import fixture_body
from tests.channels.line.fake_api import SECRET, TOKEN, FakeLine, Scripted
from tests.channels.provider_server import serve_asgi
from tests.conftest import Workspace, agent_client

USER = "U4af4980629d3c0d0a0c1a7f3a5b4e6c1"
REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # LINE downloads images from kefu's public URL, which must be https.
    return settings.model_copy(update={"public_url": "https://kefu.example"})


@dataclass
class LineApp:
    fake: FakeLine
    inbox_id: int
    public_key: str
    client: httpx.AsyncClient
    agent: httpx.AsyncClient
    runtime: Runtime

    async def post(self, body: bytes, signature: str | None = None) -> httpx.Response:
        return await self.client.post(
            f"/webhooks/line/{self.public_key}",
            content=body,
            headers={
                "content-type": "application/json",
                "x-line-signature": signature if signature is not None else sign(body, SECRET),
            },
        )

    async def conversation(self) -> dict[str, Any]:
        page = (await self.agent.get("/api/v1/conversations", params={"status": "all"})).json()
        [conversation] = [c for c in page["items"] if c["inbox_id"] == self.inbox_id]
        return conversation  # type: ignore[no-any-return]

    async def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        page = await self.agent.get(f"/api/v1/conversations/{conversation_id}/messages")
        return page.json()["items"]  # type: ignore[no-any-return]

    async def answer(self, conversation_id: int, text: str) -> dict[str, Any]:
        response = await self.agent.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def run_outbox(self) -> None:
        await self.runtime.worker.outbox.run_due()


@pytest.fixture
async def line_app(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> AsyncIterator[LineApp]:
    fake = FakeLine()
    async with serve_asgi(fake.api_app()) as api, serve_asgi(fake.data_app()) as data:
        admin = await agent_client(app, workspace.admin.email)
        created = await admin.post(
            "/api/v1/inboxes",
            json={
                "name": "LINE 官方帳號",
                "channel_type": "line",
                "member_ids": [workspace.agent.id],
                "channel_config": {"api_base": api, "api_data_base": data},
                "channel_secrets": {"channel_secret": SECRET, "channel_access_token": TOKEN},
            },
        )
        assert created.status_code == 201, created.text
        inbox = created.json()
        assert inbox["webhook_url"] == f"https://kefu.example/webhooks/line/{inbox['public_key']}"
        assert inbox["channel_secrets_set"] == ["channel_access_token", "channel_secret"]
        assert SECRET not in created.text and TOKEN not in created.text
        await admin.aclose()
        async with runtime.db.write() as session:
            row = await session.get(Inbox, inbox["id"])
            assert row is not None
            quiet = RoutingSettings(
                greeting_enabled=False,
                queued_reply_enabled=False,
                outside_hours_reply_enabled=False,
            )
            await do_update_inbox_routing(
                session, actor=SystemPrincipal(), inbox=row, settings=quiet
            )
        agent = await agent_client(app, workspace.agent.email)
        yield LineApp(fake, inbox["id"], inbox["public_key"], client, agent, runtime)
        await agent.aclose()


async def test_message_reply_by_token_then_push(line_app: LineApp) -> None:
    line_app.fake.reply_tokens.add("38ef843bde154d9b91c21320ffd17a0f")
    line_app.fake.profiles[USER] = {"displayName": "王小明", "userId": USER}
    response = await line_app.post(fixture_body("text.json"))
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "messages": 1, "duplicates": 0}
    await line_app.run_outbox()  # the profile job
    conversation = await line_app.conversation()
    assert conversation["contact"]["name"] == "王小明"
    [incoming] = await line_app.messages(conversation["id"])
    assert (incoming["kind"], incoming["text"]) == ("incoming", "你好，我想問訂單 #1024 的進度")

    cid = conversation["id"]
    first = await line_app.agent.post(
        f"/api/v1/conversations/{cid}/messages", json={"text": "您好！"}
    )
    assert first.json()["delivery_status"] == "queued"
    await line_app.run_outbox()
    [reply] = line_app.fake.received[-1:]
    assert reply.path == REPLY
    assert reply.headers["authorization"] == f"Bearer {TOKEN}"
    assert reply.body == {
        "replyToken": "38ef843bde154d9b91c21320ffd17a0f",
        "messages": [{"type": "text", "text": "您好！"}],
    }
    # The reply token worked once: the next answer is a push, with its retry key.
    await line_app.answer(cid, "已出貨")
    await line_app.run_outbox()
    push = line_app.fake.received[-1]
    assert push.path == PUSH
    assert push.body == {"to": USER, "messages": [{"type": "text", "text": "已出貨"}]}
    assert push.headers["x-line-retry-key"]
    states = [(m["text"], m["delivery_status"]) for m in await line_app.messages(cid)]
    assert states == [
        ("你好，我想問訂單 #1024 的進度", None),
        ("您好！", "sent"),
        ("已出貨", "sent"),
    ]
    assert [(r.method, r.path) for r in line_app.fake.received] == [
        ("GET", f"/v2/bot/profile/{USER}"),
        ("POST", REPLY),
        ("POST", PUSH),
    ]


async def test_a_stale_reply_token_is_not_used(line_app: LineApp) -> None:
    line_app.fake.reply_tokens.add("38ef843bde154d9b91c21320ffd17a0f")
    await line_app.post(fixture_body("text.json"))
    async with line_app.runtime.db.write() as session:
        conversation = await session.scalar(select(Conversation))
        assert conversation is not None
        old = (utcnow() - timedelta(seconds=61)).isoformat()
        conversation.channel_context = {**conversation.channel_context, "reply_token_at": old}
        cid = conversation.id
    await line_app.answer(cid, "晚了")
    await line_app.run_outbox()
    assert [r.path for r in line_app.fake.received if r.method == "POST"] == [PUSH]


async def test_an_expired_token_falls_back_to_push_in_the_same_send(line_app: LineApp) -> None:
    # kefu thinks the token fresh, LINE says otherwise: one send, a reply refused, then a push.
    await line_app.post(fixture_body("text.json"))
    cid = (await line_app.conversation())["id"]
    await line_app.answer(cid, "您好")
    await line_app.run_outbox()
    assert [r.path for r in line_app.fake.received if r.method == "POST"] == [REPLY, PUSH]
    [*_, sent] = await line_app.messages(cid)
    assert sent["delivery_status"] == "sent"


async def test_redelivery_is_stored_once(line_app: LineApp) -> None:
    assert (await line_app.post(fixture_body("text.json"))).json()["messages"] == 1
    again = await line_app.post(fixture_body("redelivery.json"))
    assert again.json() == {"ok": True, "messages": 0, "duplicates": 1}
    cid = (await line_app.conversation())["id"]
    assert len(await line_app.messages(cid)) == 1


async def test_bad_signature_is_401_and_stores_nothing(line_app: LineApp) -> None:
    body = fixture_body("text.json")
    forged = await line_app.post(body, signature=sign(body, "not-the-secret"))
    unsigned = await line_app.post(body, signature="")
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    assert forged.json()["error"]["code"] == "invalid_signature"
    async with line_app.runtime.db.read() as session:
        assert await session.scalar(select(func.count(Contact.id))) == 0
        assert await session.scalar(select(func.count(Conversation.id))) == 0


async def test_malformed_payload_is_a_json_400(line_app: LineApp) -> None:
    response = await line_app.post(b'{"events": {"not": "a list"}}')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"


async def test_image_is_fetched_and_attached(line_app: LineApp) -> None:
    line_app.fake.contents["354718705033693859"] = (png(), "image/png")
    await line_app.post(fixture_body("image.json"))
    await line_app.run_outbox()
    fetches = line_app.fake.calls("/v2/bot/message/354718705033693859/content")
    assert len(fetches) == 1 and fetches[0].headers["authorization"] == f"Bearer {TOKEN}"
    cid = (await line_app.conversation())["id"]
    [message] = await line_app.messages(cid)
    [attachment] = message["attachments"]
    assert (attachment["content_type"], attachment["size"]) == ("image/png", len(png()))
    file = await line_app.agent.get(attachment["url"])
    assert file.content == png()


async def test_sticker_follow_and_unfollow(line_app: LineApp) -> None:
    await line_app.post(fixture_body("follow.json"))
    await line_app.post(fixture_body("sticker.json"))
    await line_app.post(fixture_body("unfollow.json"))
    cid = (await line_app.conversation())["id"]
    [sticker] = await line_app.messages(cid)
    assert sticker["text"] == "[sticker]"
    assert sticker["channel_payload"]["line_sticker"]["stickerId"] == "52002738"
    contact_id = (await line_app.conversation())["contact"]["id"]
    activity = (await line_app.agent.get(f"/api/v1/contacts/{contact_id}/activity")).json()
    actions = [a["action"] for a in activity]
    assert "channel_followed" in actions and "channel_unfollowed" in actions


async def test_a_push_accepted_before_a_500_is_not_sent_twice(line_app: LineApp) -> None:
    await line_app.post(fixture_body("unfollow.json"))  # no reply token anywhere
    await line_app.post(fixture_body("postback.json"))
    async with line_app.runtime.db.write() as session:
        conversation = await session.scalar(select(Conversation))
        assert conversation is not None
        context = dict(conversation.channel_context)
        context.pop("reply_token", None)
        conversation.channel_context = context
        cid = conversation.id
    line_app.fake.script(PUSH, Scripted(500, {"message": "Internal error"}, accept=True))
    await line_app.answer(cid, "好的")
    await line_app.run_outbox()
    [*_, queued] = await line_app.messages(cid)
    assert queued["delivery_status"] == "queued"
    assert "LINE 500" in queued["delivery_error"]
    async with line_app.runtime.db.write() as session:
        await session.execute(
            OutboxJob.__table__.update().values(next_attempt_at=utcnow())  # type: ignore[attr-defined]
        )
    await line_app.run_outbox()
    pushes = line_app.fake.calls(PUSH)
    assert len(pushes) == 2
    assert pushes[0].headers["x-line-retry-key"] == pushes[1].headers["x-line-retry-key"]
    assert len(line_app.fake.accepted_retry_keys) == 1  # LINE delivered it once
    [*_, sent] = await line_app.messages(cid)
    assert (sent["delivery_status"], sent["delivery_error"]) == ("sent", None)
