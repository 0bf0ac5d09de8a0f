"""Outgoing email over SMTP (aiosmtplib), configured by KEFU_SMTP_*."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from kefu.config import Settings

SMTP_TIMEOUT_SECONDS = 60


def header_safe(value: str) -> str:
    """No line breaks in a header (an admin's inbox name in the subject): no header injection."""
    return re.sub(r"[\r\n\x00]+", " ", value).strip()


def sender_address(settings: Settings) -> str:
    return settings.smtp_from or settings.smtp_user or f"kefu@{settings.smtp_host}"


def build_email(settings: Settings, *, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML as the richer alternative."""
    message = EmailMessage()
    message["From"] = header_safe(sender_address(settings))
    message["To"] = header_safe(to)
    message["Subject"] = header_safe(subject)
    message["Date"] = formatdate(usegmt=True)
    domain = sender_address(settings).rpartition("@")[2].strip(">") or "kefu.local"
    message["Message-ID"] = make_msgid(domain=header_safe(domain))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to it
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


async def send_email(settings: Settings, message: EmailMessage) -> None:
    """Deliver through the configured SMTP server; raises on failure (the outbox retries)."""
    if not settings.email_enabled:
        raise RuntimeError("no SMTP server is configured (KEFU_SMTP_HOST)")
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user or None,
        password=settings.smtp_password or None,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=SMTP_TIMEOUT_SECONDS,
    )
