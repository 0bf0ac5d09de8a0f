"""Signed links that let a customer's browser load a file without a header.

The widget runs on the customer's site, where an <img> or a download link cannot send the
visitor token. Messages rendered for the customer therefore carry links like
`/api/v1/files/<public_id>?t=<timestamp>.<signature>`: an HMAC (itsdangerous TimestampSigner)
of the attachment's public id, for the "contact" audience, keyed by a random secret kept in the
attachment's row (`access_key`, never sent anywhere). A link names one file, cannot be altered
to name another, and stops working `KEFU_ATTACHMENT_LINK_SECONDS` after it was made (24 hours
by default); the widget gets fresh links whenever it loads messages.

The key lives in the row, not in the node's configuration, so that links can be made wherever
a message is rendered (including inside actions, which have no access to the settings) and
checked on any node. Agents never get signed links: the console loads files with its session
cookie, and every fetch goes through the conversation's access check.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from kefu.errors import PermissionDenied
from kefu.messages.models import Attachment

CONTACT_SALT = "kefu.attachment.contact"
PUBLIC_PREFIX = "/api/v1/files/"


def _signer(attachment: Attachment) -> TimestampSigner:
    return TimestampSigner(attachment.access_key, salt=CONTACT_SALT)


def contact_link(attachment: Attachment) -> str:
    """A relative URL the customer's browser can load (the widget prefixes kefu's origin)."""
    signed = _signer(attachment).sign(attachment.public_id).decode("ascii")
    token = signed[len(attachment.public_id) + 1 :]
    return f"{PUBLIC_PREFIX}{attachment.public_id}?t={token}"


def check_contact_link(attachment: Attachment, token: str, *, max_age: int) -> None:
    """PermissionDenied unless `token` was made by contact_link for this attachment and is at
    most `max_age` seconds old."""
    try:
        _signer(attachment).unsign(f"{attachment.public_id}.{token}", max_age=max_age)
    except SignatureExpired as exc:
        raise PermissionDenied(
            "This link has expired; reload the chat.", code="attachment_link_expired"
        ) from exc
    except BadSignature as exc:
        raise PermissionDenied("This link is not valid.", code="attachment_link_invalid") from exc


def agent_link(attachment: Attachment) -> str:
    """The console's URL: authenticated by the session cookie (or an API token)."""
    return f"/api/v1/attachments/{attachment.id}"
