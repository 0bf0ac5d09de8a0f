"""Mail that must never get an automatic reply, and bounces of the mail we sent.

Two auto-responders answering each other forever is the classic mail loop. RFC 3834 section 2
says an automatic responder should not answer mail that is itself automatic, from a list, or a
bounce; this module recognises those by the signs senders actually leave:
  * `Auto-Submitted` other than "no" (RFC 3834 section 5: auto-generated, auto-replied...);
  * `Precedence: bulk | junk | list` (the older convention, still sent by vacation programs);
  * list headers `List-Id` / `List-Unsubscribe` (RFC 2919, RFC 2369);
  * Microsoft's and others' auto-reply flags `X-Autoreply`, `X-Autorespond`,
    `X-Auto-Response-Suppress`;
  * an empty envelope sender, `Return-Path: <>` (RFC 5321 section 4.5.5: bounces have one);
  * MAILER-DAEMON / postmaster senders, and `multipart/report; report-type=delivery-status`
    delivery status notifications (RFC 3464).
A DSN that says delivery `failed` also yields which of our messages it was about (the Message-ID
in its returned message or headers) and the server's diagnostic, so the agent sees that message
as failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_string
from email.message import Message

from kefu.channels.email.headers import address, header_raw, message_ids


def _is_dsn(message: Message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type") or "").lower() == "delivery-status"
    )


def auto_generated(message: Message) -> bool:
    """Whether this mail must never be answered automatically (see the module docstring)."""
    auto_submitted = (header_raw(message, "Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    precedence = (header_raw(message, "Precedence") or "").strip().lower()
    if precedence in {"bulk", "junk", "list"}:
        return True
    for name in (
        "List-Id",
        "List-Unsubscribe",
        "X-Autoreply",
        "X-Autorespond",
        "X-Auto-Response-Suppress",
    ):
        if header_raw(message, name) is not None:
            return True
    return_path = header_raw(message, "Return-Path")
    if return_path is not None and return_path.strip() in {"<>", ""}:
        return True
    _, sender = address(message, "From")
    local = sender.partition("@")[0]
    if local in {"mailer-daemon", "postmaster"}:
        return True
    return _is_dsn(message)


@dataclass(frozen=True, slots=True)
class Bounce:
    original_message_id: str  # "<id@host>" of the message that could not be delivered
    recipient: str  # the address it failed for ("" when the report does not say)
    diagnostic: str  # the remote server's words, else the status code


def _fields(block: Message) -> dict[str, str]:
    return {key.lower(): re.sub(r"\s+", " ", str(value)).strip() for key, value in block.items()}


def _status_blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status part: compat32 parses them as a list of
    messages; some generators send it as text, which is parsed here the same way."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = part.get_payload(decode=True)
    if not isinstance(text, bytes):
        return []
    blocks = re.split(r"\r?\n\s*\r?\n", text.decode("utf-8", "replace"))
    return [message_from_string(block) for block in blocks if block.strip()]


def _original_id(part: Message) -> str | None:
    """The Message-ID in a returned message (message/rfc822) or its headers
    (text/rfc822-headers)."""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            found = message_ids(header_raw(inner[0], "Message-ID"))
            return found[0] if found else None
        return None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    headers = message_from_string(data.decode("utf-8", "replace"))
    found = message_ids(header_raw(headers, "Message-ID"))
    return found[0] if found else None


def bounce(message: Message) -> Bounce | None:
    """A failed-delivery report about one of our messages, or None (not a DSN, a delay or
    success notice, or the original Message-ID cannot be read)."""
    if not _is_dsn(message):
        return None
    failed: dict[str, str] | None = None
    original: str | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind in {"message/delivery-status", "message/global-delivery-status"}:
            for block in _status_blocks(part):
                fields = _fields(block)
                if fields.get("action", "").lower() == "failed" and failed is None:
                    failed = fields
        elif kind in {"message/rfc822", "text/rfc822-headers", "message/global-headers"}:
            original = original or _original_id(part)
    if failed is None or original is None:
        return None
    recipient = failed.get("final-recipient") or failed.get("original-recipient") or ""
    recipient = recipient.partition(";")[2].strip().lower() or recipient.lower()
    diagnostic = failed.get("diagnostic-code", "")
    diagnostic = diagnostic.partition(";")[2].strip() or diagnostic
    if not diagnostic:
        diagnostic = f"Delivery failed (status {failed.get('status', 'unknown')})"
    return Bounce(original, recipient, diagnostic)
