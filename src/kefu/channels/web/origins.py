"""Which web origins may embed an inbox's widget."""

from __future__ import annotations

from urllib.parse import urlsplit

from kefu.inboxes.models import Inbox


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def origin_allowed(inbox: Inbox, origin: str | None, *, own_origin: str) -> bool:
    """No Origin header (a server-side client) is allowed: the visitor token still guards data.
    kefu's own origin (its demo page) is always allowed."""
    if not origin:
        return True
    origin = origin.rstrip("/").lower()
    allowed = inbox.allowed_origins or []
    return "*" in allowed or origin == own_origin.lower() or origin in allowed
