"""The email channel through the whole app: an inbox created by the admin API, mail sent with
smtplib to kefu's SMTP listener, conversations and messages seen in the API, the agent's reply
delivered by the outbox to a real SMTP server, bounces, loops, and IMAP polling."""

from __future__ import annotations

import asyncio
import smtplib
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kefu.auth.principals import SystemPrincipal
from kefu.config import Settings
from kefu.conversations.models import Conversation
from kefu.inboxes.models import Inbox
from kefu.messages.models import Attachment, Message
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.settings import RoutingSettings
from kefu.runtime import Runtime
from tests.channels.email.fake_imap import FakeImap, serve_imap
from tests.channels.email.smtp_server import Mailbox
from tests.conftest import Workspace, agent_client, free_port, login

FIXTURES = Path(__file__).parent / "fixtures"
ADDRESS = "support@shop.example.com"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"email_listen_host": "127.0.0.1", "email_listen_port": free_port()}
    )


async def create_inbox(
    client: httpx.AsyncClient, workspace: Workspace, smtp_port: int, **config: Any
) -> int:
    await login(client, workspace.admin.email)
    response = await client.post(
        "/api/v1/inboxes",
        json={
            "name": "Shop Support",
            "channel_type": "email",
            "member_ids": [workspace.agent.id],
            "channel_config": {
                "address": ADDRESS,
                "from_name": "Shop Support",
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_port,
                "smtp_tls": "none",
                **config,
            },
            "channel_secrets": {"smtp_password": "", "imap_password": "imap secret"},
        },
    )
    assert response.status_code in (200, 201), response.text
    inbox_id: int = response.json()["id"]
    return inbox_id


async def quiet(runtime: Runtime, inbox_id: int, **routing: Any) -> None:
    settings = RoutingSettings(
        greeting_enabled=False, queued_reply_enabled=False, outside_hours_reply_enabled=False
    )
    async with runtime.db.write() as session:
        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        await do_update_inbox_routing(
            session,
            actor=SystemPrincipal(),
            inbox=inbox,
            settings=settings.model_copy(update=routing),
        )


def smtp_send(port: int, raw: bytes, sender: str = "customer@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [ADDRESS], raw)


async def mail_in(settings: Settings, name_or_raw: str | bytes, sender: str = "c@x.com") -> None:
    raw = (FIXTURES / name_or_raw).read_bytes() if isinstance(name_or_raw, str) else name_or_raw
    await asyncio.to_thread(smtp_send, settings.email_listen_port, raw, sender)


async def messages(runtime: Runtime, inbox_id: int) -> list[Message]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.inbox_id == inbox_id)
            .order_by(Message.id)
        )
        return list(rows)


def new_mail(subject: str, message_id: str, *, in_reply_to: str = "", body: str = "") -> bytes:
    headers = [
        "From: =?UTF-8?B?5byg5b+X5piO?= <cm.chang@example.com.tw>",
        f"To: {ADDRESS}",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


async def test_mail_in_reply_out_threaded_and_a_reply_lands_in_its_conversation(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    settings: Settings,
    mailbox: Mailbox,
) -> None:
    inbox_id = await create_inbox(client, workspace, mailbox.port)
    await quiet(runtime, inbox_id)

    # A customer writes; Gmail's mail has a quoted history and an attached photo.
    await mail_in(settings, "gmail_reply.eml")
    await mail_in(settings, "gmail_reply.eml")  # the sending server retried: stored once
    [first] = await messages(runtime, inbox_id)
    assert first.kind == "incoming"
    assert first.text == "好的，謝謝！我再附上收據照片。\n\n王小明"
    assert first.external_id == "<CAOk4Xb1kZ+qW5sd0oA8qjB3nKx5=Yc9wFh0Ld+Ag@mail.gmail.com>"
    assert first.channel_payload is not None
    assert "wrote:" in first.channel_payload["full_text"]
    assert "<script" not in first.channel_payload["html"]
    async with runtime.db.read() as session:
        files = list(
            await session.scalars(select(Attachment).where(Attachment.message_id == first.id))
        )
        conversation = await session.get(Conversation, first.conversation_id)
    assert sorted(f.file_name for f in files) == ["original.eml", "收據.png"]
    assert conversation is not None and conversation.subject == "Re: 訂單 #1234 什麼時候到？"

    # The agent answers; the outbox sends it through the inbox's SMTP server, threaded.
    agent = await agent_client(app, workspace.agent.email)
    listed = (await agent.get(f"/api/v1/conversations/{first.conversation_id}/messages")).json()
    assert "好的，謝謝！" in str(listed)
    reply = await agent.post(
        f"/api/v1/conversations/{first.conversation_id}/messages", json={"text": "已為您處理。"}
    )
    assert reply.status_code in (200, 201), reply.text
    assert reply.json()["delivery_status"] == "queued"
    await runtime.worker.outbox.run_due()
    [(sender, recipients, sent, _)] = mailbox.received
    assert (sender, recipients) == (ADDRESS, ["xiaoming.wang@gmail.com"])
    assert sent["From"].addresses[0].display_name == "王小美 via Shop Support"
    assert sent["Subject"] == "Re: 訂單 #1234 什麼時候到？"
    assert sent["In-Reply-To"] == first.external_id
    assert first.external_id in sent["References"]
    assert sent["Auto-Submitted"] is None
    ours = (await messages(runtime, inbox_id))[-1]
    assert (ours.delivery_status, ours.external_id) == ("sent", sent["Message-ID"])

    # The customer answers our mail: same conversation, even with a new Subject line.
    reply_to = str(sent["Message-ID"])
    answer_mail = new_mail("換個主旨", "<a-1@example.tw>", in_reply_to=reply_to, body="好")
    await mail_in(settings, answer_mail)
    # A new subject without references: a new conversation, for the same customer.
    await mail_in(settings, new_mail("另一個問題", "<new-1@example.com.tw>", body="請問"))
    *_, answer, fresh = await messages(runtime, inbox_id)
    assert answer.conversation_id == first.conversation_id and answer.text == "好"
    assert fresh.conversation_id != first.conversation_id
    await agent.aclose()


async def test_a_bounce_marks_our_message_failed(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    settings: Settings,
    mailbox: Mailbox,
) -> None:
    inbox_id = await create_inbox(client, workspace, mailbox.port)
    await quiet(runtime, inbox_id)
    await mail_in(settings, new_mail("question", "<q-1@example.org>", body="hi"))
    [incoming] = await messages(runtime, inbox_id)
    agent = await agent_client(app, workspace.agent.email)
    await agent.post(
        f"/api/v1/conversations/{incoming.conversation_id}/messages", json={"text": "answer"}
    )
    await runtime.worker.outbox.run_due()
    [(_, _, sent, _)] = mailbox.received
    bounce = (FIXTURES / "bounce.eml").read_bytes()
    bounce = bounce.replace(
        b"<170485920200.6666.4444444444.kefu.123@shop.example.com>",
        str(sent["Message-ID"]).encode(),
    )
    await mail_in(settings, bounce, sender="")
    ours = next(m for m in await messages(runtime, inbox_id) if m.kind == "outgoing")
    assert ours.delivery_status == "failed"
    assert ours.delivery_error is not None and "User unknown" in ours.delivery_error
    await agent.aclose()


async def test_an_auto_reply_is_never_answered_automatically(
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    settings: Settings,
    mailbox: Mailbox,
) -> None:
    inbox_id = await create_inbox(client, workspace, mailbox.port)
    await quiet(runtime, inbox_id, greeting_enabled=True)
    await mail_in(settings, "auto_reply.eml")
    await mail_in(settings, "list_mail.eml")
    await runtime.dispatcher.sweep()
    written = [m for m in await messages(runtime, inbox_id) if m.kind == "outgoing"]
    assert written, "the greetings were written"
    assert {m.delivery_status for m in written} == {"skipped"}
    await runtime.worker.outbox.run_due()
    assert mailbox.received == []
    # A person's mail gets its greeting by mail, marked automatic (RFC 3834).
    await mail_in(settings, "big5_new.eml")
    for _ in range(100):  # the greeting is written by the dispatcher's own task
        await runtime.dispatcher.sweep()
        await runtime.worker.outbox.run_due()
        if mailbox.received:
            break
        await asyncio.sleep(0.05)
    assert [recipients for _, recipients, _, _ in mailbox.received] == [["cm.chang@yahoo.com.tw"]]


async def test_unknown_addresses_are_refused_by_the_listener(
    client: httpx.AsyncClient, workspace: Workspace, settings: Settings, mailbox: Mailbox
) -> None:
    await create_inbox(client, workspace, mailbox.port)

    def send_elsewhere() -> None:
        with smtplib.SMTP("127.0.0.1", settings.email_listen_port, timeout=10) as smtp:
            smtp.sendmail("a@x.com", ["someone@else.example"], b"Subject: x\r\n\r\nx")

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await asyncio.to_thread(send_elsewhere)


async def test_imap_polling_imports_new_mail_once(
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    mailbox: Mailbox,
) -> None:
    async with serve_imap(FakeImap()) as imap:
        imap.add((FIXTURES / "outlook_reply.eml").read_bytes(), seen=True)  # read before
        imap.add((FIXTURES / "big5_new.eml").read_bytes())
        inbox_id = await create_inbox(
            client,
            workspace,
            mailbox.port,
            imap_host="127.0.0.1",
            imap_port=imap.port,
            imap_tls="none",
            poll_seconds=10,
            listener_enabled=False,
        )
        await quiet(runtime, inbox_id)
        poller = runtime.worker.mail
        assert await poller.run_due() == 1
        await poller.wait()
        [imported] = await messages(runtime, inbox_id)
        assert imported.text.startswith("您好：")
        assert imap.seen() == [1, 2]
        assert await poller.run_due() == 0  # not due again before poll_seconds

        imap.add((FIXTURES / "apple_mail_reply.eml").read_bytes())
        await poller.poll(inbox_id)
        await poller.poll(inbox_id)
        assert len(await messages(runtime, inbox_id)) == 2
        async with runtime.db.read() as session:
            inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        assert inbox.channel_state["imap"]["last_uid"] == 3
        assert inbox.channel_state["imap"]["uidvalidity"] == imap.uidvalidity

        # kefu stops in the middle of a poll: the next poll brings the rest, nothing twice.
        imap.add((FIXTURES / "qq_html_gb2312.eml").read_bytes())
        imap.add((FIXTURES / "gmail_reply.eml").read_bytes())
        imap.drop_at_fetch = imap.fetches + 2
        await poller.poll(inbox_id)
        assert len(await messages(runtime, inbox_id)) == 3
        imap.drop_at_fetch = None
        await poller.poll(inbox_id)
        texts = [m.text for m in await messages(runtime, inbox_id)]
        assert len(texts) == 4 and texts[-1].startswith("好的，謝謝！")
