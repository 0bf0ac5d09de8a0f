"""A raw RFC 5322 message -> kefu InboundEvents.

One mail is one "message" event:
  * event_id and external_message_id: its Message-ID ("<id@host>"; derived from the bytes when
    missing), so the same mail received twice (listener and IMAP, a retried SMTP transaction)
    is stored once;
  * external_user_id: the lower-cased From address; profile_name its display name; `email` the
    address too, but never `verified_email`: anyone can write any From;
  * thread_refs: References then In-Reply-To, oldest first, without repeats: kefu puts the mail
    in the conversation that holds any of them (a reply lands in its conversation, a mail with a
    new subject and no references starts a new one);
  * text: what the customer wrote this time (text/plain preferred, else the HTML as text) with
    quoted history and signature trimmed (trim.py); extra["full_text"] keeps it untrimmed,
    extra["html"] the sanitised HTML (htmlmail.py), extra["auto_generated"] whether automatic
    replies must never answer it (loops.py);
  * media: every attachment with its bytes, and the whole original as "original.eml".
A bounce that says our message failed is also a "status" event: that message shows "failed" with
the remote server's diagnostic.
"""

from __future__ import annotations

import email
import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from kefu.channels.base import InboundEvent, MediaRef, PayloadInvalid
from kefu.channels.email.headers import (
    address,
    addresses,
    decode_bytes,
    decode_words,
    header_raw,
    header_text,
    message_id,
    message_ids,
)
from kefu.channels.email.htmlmail import html_to_text, sanitize_html
from kefu.channels.email.loops import auto_generated, bounce
from kefu.channels.email.trim import trim_reply

# Parts that are not content: signatures of signed mail, and the machine-readable half of a
# DSN (the human-readable half says the same; the original .eml keeps both).
_SKIPPED = {
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
    "message/delivery-status",
    "message/global-delivery-status",
}


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)


def _file_name(part: Message, index: int) -> str:
    name = part.get_filename()
    if name:
        # RFC 2231 names arrive decoded; RFC 2047 ones (Outlook, Chinese clients) do not.
        return decode_words(name).replace("/", "_").replace("\\", "_")[:200] or "attachment"
    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    return f"attachment-{index}{extension}"


def _visit(part: Message, body: _Body) -> None:
    kind = part.get_content_type()
    if kind in _SKIPPED:
        return
    if kind == "message/rfc822":  # a forwarded mail, kept whole
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            subject = header_text(inner[0], "Subject") or "message"
            name = part.get_filename()
            body.media.append(
                MediaRef(
                    data=inner[0].as_bytes(),
                    content_type="message/rfc822",
                    file_name=decode_words(name) if name else f"{subject[:80]}.eml",
                )
            )
        return
    if part.is_multipart():
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        if kind == "multipart/alternative":
            # The same content in several forms: one plain and one HTML version of it.
            alternatives = _Body()
            for child in children:
                _visit(child, alternatives)
            body.plain.extend(alternatives.plain[:1])
            body.html.extend(alternatives.html[:1])
            body.media.extend(alternatives.media)
        else:
            for child in children:
                _visit(child, body)
        return
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return
    inline_text = (
        kind in {"text/plain", "text/html"}
        and part.get_content_disposition() != "attachment"
        and not part.get_filename()
    )
    if inline_text:
        text = decode_bytes(data, part.get_content_charset()).replace("\r\n", "\n")
        (body.plain if kind == "text/plain" else body.html).append(text)
        return
    body.media.append(
        MediaRef(data=data, content_type=kind, file_name=_file_name(part, len(body.media) + 1))
    )


def _occurred_at(message: Message, received_at: datetime) -> datetime:
    """The Date header (senders' clocks and forgeries aside, it is when the mail was written),
    never later than its arrival; the arrival time when it is missing or unreadable."""
    try:
        written = parsedate_to_datetime(header_raw(message, "Date") or "")
    except (TypeError, ValueError, IndexError):
        return received_at
    if written.tzinfo is None:
        written = written.replace(tzinfo=UTC)
    return min(written.astimezone(UTC), received_at)


def thread_refs(message: Message) -> tuple[str, ...]:
    """References then In-Reply-To, oldest first, each once."""
    refs = message_ids(header_raw(message, "References"))
    refs += message_ids(header_raw(message, "In-Reply-To"))
    return tuple(dict.fromkeys(refs))


def parse_email(raw: bytes, *, received_at: datetime | None = None) -> list[InboundEvent]:
    """The events in one raw mail (see the module docstring); PayloadInvalid when it has no
    sender address."""
    now = received_at or datetime.now(UTC)
    message = email.message_from_bytes(raw)
    name, sender = address(message, "From")
    if "@" not in sender or any(char.isspace() for char in sender):
        raise PayloadInvalid("the mail has no From address")
    body = _Body()
    _visit(message, body)
    html = "\n".join(body.html)
    if body.plain:
        full_text = "\n".join(text.strip("\r\n") for text in body.plain).strip()
        shown = trim_reply(full_text)
    else:
        full_text = html_to_text(html)
        shown = trim_reply(html_to_text(html, trim_quotes=True)) if html else ""
    mid = message_id(message, raw)
    automatic = auto_generated(message)
    extra: dict[str, object] = {
        "full_text": full_text,
        "auto_generated": automatic,
        "to": addresses(message, "To"),
        "cc": addresses(message, "Cc"),
    }
    if html:
        extra["html"] = sanitize_html(html)
    original = MediaRef(data=raw, content_type="message/rfc822", file_name="original.eml")
    events = [
        InboundEvent(
            kind="message",
            event_id=mid,
            external_user_id=sender,
            occurred_at=_occurred_at(message, now),
            text=shown,
            media=(*body.media, original),
            profile_name=name or None,
            email=sender,
            external_message_id=mid,
            thread_refs=thread_refs(message),
            subject=header_text(message, "Subject") or "",
            extra=extra,
        )
    ]
    failure = bounce(message)
    if failure is not None:
        events.append(
            InboundEvent(
                kind="status",
                event_id=f"{mid}#failed",
                external_user_id=failure.recipient or sender,
                occurred_at=_occurred_at(message, now),
                external_message_id=failure.original_message_id,
                status="failed",
                status_error=failure.diagnostic,
            )
        )
    return events
