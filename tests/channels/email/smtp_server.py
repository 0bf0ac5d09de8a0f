"""A real SMTP server (aiosmtpd, on the test's event loop) standing for the company's outgoing
mail server: it records what it accepted, or refuses as told."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from tests.conftest import free_port


@dataclass
class Mailbox:
    """An SMTP server that records what it accepted; `rcpt_answer` / `data_answer` make it
    refuse instead."""

    port: int = 0
    received: list[tuple[str, list[str], EmailMessage, bytes]] = field(default_factory=list)
    rcpt_answer: str | None = None
    data_answer: str | None = None
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_answer:
            return self.data_answer
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), parsed, envelope.content)
        )
        return "250 OK"


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    box = Mailbox(port=free_port())
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(box, hostname="mx.test"), "127.0.0.1", box.port
    )
    yield box
    server.close()
    await server.wait_closed()
