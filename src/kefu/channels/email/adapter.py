"""The email channel: inbound by kefu's SMTP listener (listener.py) or IMAP polling (imap.py),
both handing raw mail to parse.py; outbound through the inbox's own SMTP server (aiosmtplib).

There is no webhook, so `verify` and `parse` refuse every request; the listener and the poller
call `parse_email` directly.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

import aiosmtplib
from pydantic import Field, field_validator

from kefu.channels.base import (
    ChannelAdapter,
    ChannelConfig,
    ChannelContext,
    ChannelSecrets,
    InboundEvent,
    OutgoingMessage,
    PayloadInvalid,
    SendFailed,
    SendResult,
    SendRetryable,
    WebhookRequest,
    register_adapter,
)
from kefu.channels.email.compose import build_mail

SMTP_TIMEOUT_SECONDS = 60
TlsMode = Literal["starttls", "tls", "none"]
_ADDRESS = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


class EmailConfig(ChannelConfig):
    # The inbox's address (support@shop.example.com): mail to it arrives here, replies come
    # from it, and our Message-IDs are generated at its domain.
    address: str
    # The company name customers see: "Mei via <from_name>" (the inbox's name when empty).
    from_name: str = ""
    # Outgoing: the company's SMTP server (submission port 587 with STARTTLS, 465 implicit TLS).
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: TlsMode = "starttls"
    smtp_username: str = ""
    # Incoming by IMAP polling of an existing mailbox (empty host: not polled).
    imap_host: str = ""
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_tls: TlsMode = "tls"
    imap_username: str = ""
    imap_folder: str = "INBOX"
    imap_mark_seen: bool = True
    poll_seconds: int = Field(default=60, ge=10, le=86_400)
    # Incoming through kefu's own SMTP listener (KEFU_EMAIL_LISTEN_PORT): mail to `address`.
    listener_enabled: bool = True

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip().lower()
        if not _ADDRESS.match(value):
            raise ValueError("not an email address")
        return value

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


class EmailSecrets(ChannelSecrets):
    smtp_password: str = ""
    imap_password: str = ""


def _smtp_error(error: aiosmtplib.SMTPResponseException) -> Exception:
    """4xx is temporary (RFC 5321 4.2.1: try again later), 5xx permanent, with the server's
    words for the agent."""
    reason = f"{error.code} {error.message}".strip()
    if 400 <= error.code < 500:
        return SendRetryable(f"SMTP {reason}")
    return SendFailed(f"SMTP {reason}", code="smtp_rejected")


class EmailAdapter(ChannelAdapter):
    channel_type: ClassVar[str] = "email"
    config_model: ClassVar[type[ChannelConfig]] = EmailConfig
    secrets_model: ClassVar[type[ChannelSecrets]] = EmailSecrets
    has_webhook: ClassVar[bool] = False
    # Conversations follow mail threads (In-Reply-To / References), not "the open one".
    threaded_conversations: ClassVar[bool] = True

    def verify(self, request: WebhookRequest, secrets: Any) -> None:
        raise PayloadInvalid("the email channel has no webhook")

    def parse(self, request: WebhookRequest, config: Any) -> list[InboundEvent]:
        raise PayloadInvalid("the email channel has no webhook")

    async def send(self, ctx: ChannelContext, message: OutgoingMessage) -> SendResult:
        config: EmailConfig = ctx.config
        secrets: EmailSecrets = ctx.secrets
        if not config.smtp_host:
            raise SendFailed("No SMTP server is configured for this inbox.", code="not_configured")
        files = [
            (item.file_name, item.content_type, await item.read()) for item in message.attachments
        ]
        mail, mid = build_mail(
            message,
            from_address=config.address,
            inbox_name=config.from_name or ctx.inbox_name,
            attachments=files,
            automatic=message.automatic,  # Auto-Submitted: auto-replied (RFC 3834)
        )
        try:
            await aiosmtplib.send(
                mail,
                sender=config.address,
                recipients=[str(mail["To"])],
                hostname=config.smtp_host,
                port=config.smtp_port,
                username=config.smtp_username or None,
                password=secrets.smtp_password or None,
                use_tls=config.smtp_tls == "tls",
                start_tls=config.smtp_tls == "starttls",
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            refusal = error.recipients[0] if error.recipients else None
            if refusal is None:
                raise SendFailed("SMTP refused the recipient", code="smtp_rejected") from error
            raise _smtp_error(refusal) from error
        except aiosmtplib.SMTPResponseException as error:
            raise _smtp_error(error) from error
        except aiosmtplib.SMTPNotSupported as error:
            # e.g. STARTTLS or AUTH configured but not offered: a setting to fix, not to retry.
            raise SendFailed(f"SMTP: {error}", code="not_configured") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise SendRetryable(f"SMTP connection: {error}") from error
        return SendResult(external_message_id=mid)


email_adapter = register_adapter(EmailAdapter())
