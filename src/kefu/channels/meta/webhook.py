"""Meta's webhook rules, common to WhatsApp Cloud API and Messenger.

Meta checks a callback URL with a GET carrying hub.mode=subscribe, hub.verify_token (the token
the admin typed into the app dashboard) and hub.challenge (to be echoed back as the body). Every
POST is then signed: X-Hub-Signature-256 is "sha256=" + the hex HMAC-SHA256 of the exact raw
body, keyed with the app secret
(https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from kefu.channels.base import SignatureInvalid

SIGNATURE_HEADER = "x-hub-signature-256"
_PREFIX = "sha256="


def answer_handshake(query: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to answer with, or None (answered 403) unless the request is a subscribe
    handshake carrying our verify token. The token is compared in constant time: anyone can
    send this GET, and a confirmed subscription would let them point an app at this inbox."""
    if query.get("hub.mode") != "subscribe" or not verify_token:
        return None
    offered = query.get("hub.verify_token", "")
    if not hmac.compare_digest(offered.encode(), verify_token.encode()):
        return None
    challenge = query.get("hub.challenge")
    return challenge if challenge else None


def signature_of(body: bytes, app_secret: str) -> str:
    """The header value Meta sends for `body`."""
    return _PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def check_signature(body: bytes, headers: Mapping[str, str], app_secret: str) -> None:
    """Raise SignatureInvalid unless X-Hub-Signature-256 matches the raw body."""
    offered = headers.get(SIGNATURE_HEADER, "")
    if not offered.startswith(_PREFIX) or not app_secret:
        raise SignatureInvalid("missing or malformed X-Hub-Signature-256")
    # Meta writes lower-case hex; accept upper case too rather than fail on a proxy's rewrite.
    expected = signature_of(body, app_secret)
    if not hmac.compare_digest(offered.lower().encode(), expected.encode()):
        raise SignatureInvalid("X-Hub-Signature-256 does not match the body")
