"""A real (local) SMTP server for tests that send email: aiosmtpd, on a free port."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Mailbox:
    port: int
    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for _, rcpt, m in self.received if rcpt == [address]]


def serve_mailbox() -> Iterator[Mailbox]:
    """For a module's `mailbox` fixture: `yield from serve_mailbox()`."""
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


def part(message: EmailMessage, subtype: str) -> str:
    """The text of a message's plain or HTML part."""
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None
    content: str = body.get_content()  # type: ignore[attr-defined]
    return content
