"""The outgoing mail for one agent (or automatic) reply.

Threading (RFC 5322 section 3.6.4): our Message-ID is generated at the inbox's own domain and
returned as the SendResult's external id, so the customer's answer (In-Reply-To: that id) lands
in the same conversation; In-Reply-To is the newest message we answer and References the thread
(first one plus the newest, when long). Automatic messages carry `Auto-Submitted: auto-replied`
(RFC 3834 section 5) so other responders do not answer them.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from kefu.channels.base import OutgoingMessage, SendFailed
from kefu.channels.email.headers import message_ids

# A reply subject keeps the customer's subject and says it is a reply, once (English and the
# Chinese prefixes Outlook and Apple Mail write; "Re:" is what RFC 5322 3.6.5 suggests).
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|回覆|回复|答复|答覆)\s*[:：]", re.IGNORECASE)
_MAX_REFERENCES = 20


def header_safe(value: str) -> str:
    """No line breaks or NULs in a header: an agent's or customer's text cannot inject one."""
    return re.sub(r"[\r\n\x00]+", " ", value).strip()


def reply_subject(subject: str | None, fallback: str) -> str:
    subject = header_safe(subject or "")
    if not subject:
        return header_safe(fallback)
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def sender_display(agent: str | None, inbox: str) -> str:
    """ "Agent via Inbox" as customers' mail clients show it (Zendesk and Help Scout do the
    same): who answered, and for which company."""
    agent, inbox = header_safe(agent or ""), header_safe(inbox)
    if agent and inbox:
        return f"{agent} via {inbox}"
    return agent or inbox


def references(thread: tuple[str, ...]) -> list[str]:
    ids = [ref for item in thread for ref in message_ids(item)]
    ids = list(dict.fromkeys(ids))
    if len(ids) > _MAX_REFERENCES:  # RFC 5322 3.6.4: keep the first and the latest
        ids = [ids[0], *ids[-(_MAX_REFERENCES - 1) :]]
    return ids


def _mailbox(addr: str) -> Address:
    addr = header_safe(addr)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or any(char.isspace() for char in addr):
        raise SendFailed(f"Not an email address: {addr!r}", code="invalid_recipient")
    return Address(addr_spec=addr)


def build_mail(
    message: OutgoingMessage,
    *,
    from_address: str,
    inbox_name: str,
    attachments: list[tuple[str, str, bytes]],
    automatic: bool = False,
) -> tuple[EmailMessage, str]:
    """(the mail, its Message-ID). `attachments` are (file name, content type, bytes)."""
    sender = _mailbox(from_address)
    recipient = _mailbox(message.recipient)
    mail = EmailMessage()
    mail["From"] = Address(
        display_name=sender_display(message.sender_name, inbox_name), addr_spec=sender.addr_spec
    )
    mail["To"] = recipient
    mail["Subject"] = reply_subject(message.subject, f"Message from {inbox_name or sender}")
    mail["Date"] = formatdate(usegmt=True)
    mid = make_msgid(idstring=f"kefu.{message.message_id}", domain=sender.domain)
    mail["Message-ID"] = mid
    thread = references(message.thread_refs)
    if thread:
        mail["In-Reply-To"] = thread[-1]
        mail["References"] = " ".join(thread)
    if automatic:
        mail["Auto-Submitted"] = "auto-replied"
    mail.set_content(message.text, charset="utf-8")
    for file_name, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        if not subtype:
            maintype, subtype = "application", "octet-stream"
        mail.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=header_safe(file_name)
        )
    return mail, mid
