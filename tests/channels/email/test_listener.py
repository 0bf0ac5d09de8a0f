"""kefu's SMTP listener, spoken to with the standard library's smtplib as a mail server would."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kefu.channels.base import PayloadInvalid
from kefu.channels.email.listener import InboxHandler, start_listener
from kefu.channels.email.parse import parse_email
from tests.conftest import free_port

FIXTURES = Path(__file__).parent / "fixtures"
INBOXES = {"support@shop.example.com": 1, "help@shop.example.com": 1, "sales@shop.example.com": 2}


@dataclass
class Listener:
    port: int
    delivered: list[tuple[int, bytes]] = field(default_factory=list)
    fail: bool = False
    invalid: bool = False

    async def resolve(self, address: str) -> int | None:
        return INBOXES.get(address)

    async def deliver(self, inbox_id: int, raw: bytes) -> None:
        await asyncio.sleep(0)  # the commit
        if self.fail:
            raise RuntimeError("database unavailable")
        if self.invalid:
            raise PayloadInvalid("the mail has no From address")
        self.delivered.append((inbox_id, raw))


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    state = Listener(port=free_port())
    server = await start_listener(
        InboxHandler(state.resolve, state.deliver),
        host="127.0.0.1",
        port=state.port,
        max_bytes=200_000,
    )
    yield state
    server.close()
    await server.wait_closed()


def send(port: int, sender: str, recipients: list[str], raw: bytes) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(sender, recipients, raw)


async def test_mail_is_delivered_once_per_inbox_and_acknowledged_after(listener: Listener) -> None:
    raw = (FIXTURES / "gmail_reply.eml").read_bytes()
    refused = await asyncio.to_thread(
        send,
        listener.port,
        "xiaoming.wang@gmail.com",
        ["support@shop.example.com", "Help@Shop.Example.com", "sales@shop.example.com"],
        raw,
    )
    assert refused == {}
    assert [inbox for inbox, _ in listener.delivered] == [1, 2]
    delivered = listener.delivered[0][1]
    assert delivered.startswith(b"Return-Path: <xiaoming.wang@gmail.com>\r\n")
    [event] = parse_email(delivered)
    assert event.text == "好的，謝謝！我再附上收據照片。\n\n王小明"
    assert event.extra["auto_generated"] is False


async def test_unknown_recipients_are_refused_no_open_relay(listener: Listener) -> None:
    raw = (FIXTURES / "big5_new.eml").read_bytes()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await asyncio.to_thread(send, listener.port, "a@example.com", ["x@elsewhere.example"], raw)
    assert refused.value.recipients["x@elsewhere.example"][0] == 550
    # One good recipient among bad ones: accepted for it only.
    partial = await asyncio.to_thread(
        send, listener.port, "a@example.com", ["x@elsewhere.example", "sales@shop.example.com"], raw
    )
    assert partial["x@elsewhere.example"][0] == 550
    assert [inbox for inbox, _ in listener.delivered] == [2]


async def test_a_failed_commit_answers_451_so_the_sender_retries(listener: Listener) -> None:
    raw = (FIXTURES / "big5_new.eml").read_bytes()
    listener.fail = True
    with pytest.raises(smtplib.SMTPDataError) as error:
        await asyncio.to_thread(send, listener.port, "a@x.com", ["support@shop.example.com"], raw)
    assert error.value.smtp_code == 451
    listener.fail = False
    await asyncio.to_thread(send, listener.port, "a@x.com", ["support@shop.example.com"], raw)
    assert len(listener.delivered) == 1


async def test_a_bounce_keeps_its_empty_envelope_sender(listener: Listener) -> None:
    raw = (FIXTURES / "bounce.eml").read_bytes().replace(b"Return-Path: <>\r\n", b"")
    await asyncio.to_thread(send, listener.port, "", ["support@shop.example.com"], raw)
    [(_, delivered)] = listener.delivered
    message, status = parse_email(delivered)
    assert message.extra["auto_generated"] is True and status.status == "failed"


async def test_oversized_mail_is_refused_with_552(listener: Listener) -> None:
    big = b"From: a@x.com\r\nSubject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 300
    with pytest.raises(smtplib.SMTPException) as error:
        await asyncio.to_thread(send, listener.port, "a@x.com", ["support@shop.example.com"], big)
    assert "552" in str(error.value)
    assert listener.delivered == []


async def test_an_unreadable_mail_is_refused_for_good(listener: Listener) -> None:
    listener.invalid = True
    with pytest.raises(smtplib.SMTPDataError) as error:
        await asyncio.to_thread(
            send, listener.port, "a@x.com", ["support@shop.example.com"], b"Subject: x\r\n\r\nx"
        )
    assert error.value.smtp_code == 554
