"""The exception hierarchy. Each maps once (in app.py) to `{"error": {"code", "message"}}`."""

from __future__ import annotations

from typing import Any


class KefuError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class InvalidInput(KefuError):
    status_code = 422
    code = "invalid_input"


class NotAuthenticated(KefuError):
    status_code = 401
    code = "not_authenticated"


class PermissionDenied(KefuError):
    status_code = 403
    code = "permission_denied"


class NotFound(KefuError):
    status_code = 404
    code = "not_found"


class Conflict(KefuError):
    status_code = 409
    code = "conflict"


class RateLimited(KefuError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(KefuError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(KefuError):
    status_code = 415
    code = "unsupported_media_type"


class ProviderUnavailable(KefuError):
    """A messaging provider's API failed while answering an agent's request."""

    status_code = 502
    code = "provider_error"
