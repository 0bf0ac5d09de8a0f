"""Signed tokens: console session cookies, CSRF tokens, visitor tokens, API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

API_TOKEN_PREFIX = "kefu_"


@dataclass(frozen=True)
class SessionClaims:
    user_id: int
    epoch: int


@dataclass(frozen=True)
class VisitorClaims:
    contact_id: int
    inbox_id: int


class TokenSigner:
    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key.encode()
        self._sessions = URLSafeTimedSerializer(secret_key, salt="kefu.session")
        self._visitors = URLSafeSerializer(secret_key, salt="kefu.visitor")

    def sign_session(self, user_id: int, epoch: int) -> str:
        return self._sessions.dumps({"u": user_id, "e": epoch, "n": secrets.token_hex(8)})

    def read_session(self, value: str, *, max_age: int) -> SessionClaims | None:
        try:
            data = self._sessions.loads(value, max_age=max_age)
            return SessionClaims(user_id=int(data["u"]), epoch=int(data["e"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def csrf_for(self, session_value: str) -> str:
        """Bound to the session cookie: a page on another site cannot read or forge it."""
        return hmac.new(self._secret, b"csrf:" + session_value.encode(), hashlib.sha256).hexdigest()

    def sign_visitor(self, contact_id: int, inbox_id: int) -> str:
        return str(self._visitors.dumps({"c": contact_id, "i": inbox_id}))

    def read_visitor(self, value: str) -> VisitorClaims | None:
        try:
            data = self._visitors.loads(value)
            return VisitorClaims(contact_id=int(data["c"]), inbox_id=int(data["i"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
