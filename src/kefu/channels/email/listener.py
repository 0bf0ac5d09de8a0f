"""kefu's own SMTP listener (aiosmtpd): the company points MX at it, or forwards mail to it.

Nothing is lost: the sending server keeps a mail until we answer DATA with 250, so we answer
250 only after `deliver` returned (the mail is committed to the database), and 451 ("try again
later", RFC 5321 4.2.1) when it raised; the sender retries and the retry is de-duplicated by
Message-ID. A mail that can never be read (PayloadInvalid: no sender address) gets 554.
Recipients that are not an email inbox's address are refused at RCPT with 550 (we are no open
relay), and a mail over the size limit with 552 (advertised with SIZE, RFC 1870).

The server runs on the application's own event loop (`start_listener`), not aiosmtpd's
Controller thread, so `deliver` can use the app's database engine directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from kefu.channels.base import PayloadInvalid

log = logging.getLogger(__name__)

# address (lower-cased) -> the email inbox that receives it, or None.
Resolve = Callable[[str], Awaitable[int | None]]
Deliver = Callable[[int, bytes], Awaitable[None]]

DEFAULT_MAX_BYTES = 25 * 1024 * 1024


class _LenientSMTP(SMTP):
    # RFC 5321 caps lines at 1,000 octets, but some senders write longer HTML lines; refusing
    # them with a permanent 500 would bounce a customer's mail, so accept up to 64 KiB.
    line_length_limit = 65_536


class InboxHandler:
    """aiosmtpd handler: RCPT checks the address, DATA delivers once per inbox."""

    def __init__(self, resolve: Resolve, deliver: Deliver) -> None:
        self.resolve = resolve
        self.deliver = deliver

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            inbox_id = await self.resolve(address.strip().lower())
        except Exception:
            log.exception("email listener: looking up %s failed", address)
            return "451 4.3.0 Temporary lookup failure, try again later"
        if inbox_id is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        # A str only with decode_data=True, which start_listener never sets.
        raw = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else content
        # The final delivery hop records the envelope sender (RFC 5321 4.4): an empty one is a
        # bounce, which loops.py must see to never answer it.
        mail_from = (envelope.mail_from or "").encode("utf-8", "replace")
        raw = b"Return-Path: <" + mail_from + b">\r\n" + raw
        try:
            # Each inbox once, even when the mail names several of its addresses.
            found = [await self.resolve(rcpt.strip().lower()) for rcpt in envelope.rcpt_tos]
            for inbox_id in dict.fromkeys(found):
                if inbox_id is not None:
                    await self.deliver(inbox_id, raw)
        except PayloadInvalid as error:
            # Unreadable for good (no sender address): retrying would not help.
            log.warning("email listener: refused a mail: %s", error)
            return f"554 5.6.0 {str(error)[:200]}"
        except Exception:
            log.exception("email listener: delivering a mail failed; the sender will retry")
            return "451 4.3.0 Temporary failure, try again later"
        return "250 OK: queued"


async def start_listener(
    handler: InboxHandler,
    *,
    host: str,
    port: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
    hostname: str = "kefu",
) -> asyncio.Server:
    """Listen on host:port in the running loop; `server.close()` stops it."""

    def factory() -> Any:
        return _LenientSMTP(
            handler,
            data_size_limit=max_bytes,
            enable_SMTPUTF8=True,
            hostname=hostname,
            ident="kefu ESMTP",
        )

    loop = asyncio.get_running_loop()
    return await loop.create_server(factory, host=host, port=port)
