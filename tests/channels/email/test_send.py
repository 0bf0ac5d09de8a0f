"""Outgoing mail through a real (local, aiosmtpd) SMTP server: headers, threading, attachments,
and what SMTP answers become (4xx and connection errors retried, 5xx failed)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kefu.channels.base import (
    ChannelContext,
    OutgoingAttachment,
    OutgoingMessage,
    PayloadInvalid,
    SendFailed,
    SendRetryable,
    WebhookRequest,
    adapter_for,
)
from kefu.channels.email.adapter import EmailAdapter, EmailConfig, EmailSecrets
from kefu.channels.email.compose import build_mail, reply_subject
from kefu.channels.email.parse import parse_email
from tests.channels.email.smtp_server import Mailbox
from tests.conftest import free_port


def context(port: int, **config: Any) -> ChannelContext:
    values: dict[str, Any] = {
        "address": "Support@Shop.example.com",
        "from_name": "Shop Support",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_tls": "none",
    }
    settings = EmailConfig(**{**values, **config})
    return ChannelContext(
        config=settings, secrets=EmailSecrets(), http=httpx.AsyncClient(), inbox_id=7
    )


def reply(**fields: Any) -> OutgoingMessage:
    values: dict[str, Any] = {
        "message_id": 42,
        "recipient": "xiaoming.wang@gmail.com",
        "text": "您好，已為您辦理退貨。\nMei",
        "subject": "訂單 #1234 什麼時候到？",
        "thread_refs": ("<first@gmail.com>", "<ours@shop.example.com>", "<last@gmail.com>"),
        "sender_name": "Mei",
    }
    values.update(fields)
    return OutgoingMessage(**values)


async def test_a_reply_goes_out_threaded_in_utf8(mailbox: Mailbox) -> None:
    adapter = EmailAdapter()

    async def read() -> bytes:
        return b"%PDF-1.4 receipt"

    receipt = OutgoingAttachment("退貨單.pdf", "application/pdf", 16, "https://x/y", read)
    result = await adapter.send(context(mailbox.port), reply(attachments=(receipt,)))

    [(sender, recipients, mail, raw)] = mailbox.received
    assert sender == "support@shop.example.com"
    assert recipients == ["xiaoming.wang@gmail.com"]
    assert mail["From"].addresses[0].display_name == "Mei via Shop Support"
    assert mail["From"].addresses[0].addr_spec == "support@shop.example.com"
    assert mail["To"] == "xiaoming.wang@gmail.com"
    assert mail["Subject"] == "Re: 訂單 #1234 什麼時候到？"
    assert mail["Message-ID"] == result.external_message_id
    assert result.external_message_id is not None
    assert result.external_message_id.endswith("@shop.example.com>")
    assert mail["In-Reply-To"] == "<last@gmail.com>"
    assert mail["References"] == "<first@gmail.com> <ours@shop.example.com> <last@gmail.com>"
    assert mail["Auto-Submitted"] is None  # an agent's reply is not automatic
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content_charset() == "utf-8"
    text = body.get_content()  # type: ignore[attr-defined]
    assert text.replace("\r\n", "\n") == "您好，已為您辦理退貨。\nMei\n"
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "退貨單.pdf"
    assert attachment.get_content() == b"%PDF-1.4 receipt"
    # Our own parser reads it back as a reply to the thread (what the customer's reply cites).
    [event] = parse_email(raw)
    assert event.thread_refs[-1] == "<last@gmail.com>"
    assert event.event_id == result.external_message_id


def test_an_automatic_message_says_so() -> None:
    mail, _ = build_mail(
        reply(),
        from_address="support@shop.example.com",
        inbox_name="Shop",
        attachments=[],
        automatic=True,
    )
    assert mail["Auto-Submitted"] == "auto-replied"
    [event] = parse_email(mail.as_bytes())
    assert event.extra["auto_generated"] is True


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("訂單查詢", "Re: 訂單查詢"),
        ("Re: 訂單查詢", "Re: 訂單查詢"),
        ("RE: hi", "RE: hi"),
        ("回覆: 訂單查詢", "回覆: 訂單查詢"),
        ("回复：发票", "回复：发票"),
        ("", "Message from Shop"),
        (None, "Message from Shop"),
        ("evil\r\nBcc: x@y", "Re: evil Bcc: x@y"),
    ],
)
def test_reply_subject(subject: str | None, expected: str) -> None:
    assert reply_subject(subject, "Message from Shop") == expected


async def test_header_injection_through_names_is_impossible(mailbox: Mailbox) -> None:
    await EmailAdapter().send(
        context(mailbox.port), reply(sender_name="Mei\r\nBcc: victim@example.org")
    )
    [(_, recipients, mail, raw)] = mailbox.received
    assert recipients == ["xiaoming.wang@gmail.com"]
    assert mail["Bcc"] is None and b"\r\nBcc:" not in raw


async def test_a_5xx_answer_is_a_permanent_failure_with_the_server_s_words(
    mailbox: Mailbox,
) -> None:
    mailbox.rcpt_answer = "550 5.1.1 <xiaoming.wang@gmail.com>: User unknown"
    with pytest.raises(SendFailed) as failed:
        await EmailAdapter().send(context(mailbox.port), reply())
    assert "550" in failed.value.reason and "User unknown" in failed.value.reason


async def test_a_4xx_answer_is_retried(mailbox: Mailbox) -> None:
    mailbox.data_answer = "451 4.7.1 Greylisted, try again in 5 minutes"
    with pytest.raises(SendRetryable) as retry:
        await EmailAdapter().send(context(mailbox.port), reply())
    assert "451" in retry.value.reason and "Greylisted" in retry.value.reason


async def test_a_connection_failure_is_retried() -> None:
    with pytest.raises(SendRetryable):
        await EmailAdapter().send(context(free_port()), reply())


async def test_a_bad_recipient_or_no_server_is_a_permanent_failure(mailbox: Mailbox) -> None:
    with pytest.raises(SendFailed):
        await EmailAdapter().send(context(mailbox.port), reply(recipient="not an address"))
    with pytest.raises(SendFailed):
        await EmailAdapter().send(context(mailbox.port, smtp_host=""), reply())
    assert mailbox.received == []


def test_the_adapter_is_registered_and_has_no_webhook() -> None:
    adapter = adapter_for("email")
    assert isinstance(adapter, EmailAdapter)
    assert adapter.has_webhook is False
    request = WebhookRequest(body=b"{}", headers={}, query={})
    with pytest.raises(PayloadInvalid):
        adapter.verify(request, EmailSecrets())
    with pytest.raises(PayloadInvalid):
        adapter.parse(request, None)


def test_the_config_checks_the_address() -> None:
    with pytest.raises(ValueError):
        EmailConfig(address="support")
    assert EmailConfig(address=" Support@Shop.Example.com ").domain == "shop.example.com"
