"""Graph API answers, common to WhatsApp Cloud API and Messenger.

Errors come as {"error": {"message", "type", "code", "error_subcode", "error_user_title",
"error_user_msg", "error_data": {"details"}, "fbtrace_id"}}, usually with HTTP 400 even for rate
limits, so the outcome is decided by `code`, not by the status alone
(https://developers.facebook.com/docs/graph-api/guides/error-handling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from kefu.channels.base import SendFailed, SendRetryable, retry_after_seconds

# Graph API throttling codes shared by every Graph product: 4 (app), 17 (user), 32 (page),
# 613 (call rate), 80007 (WhatsApp business account); 1 and 2 are "unknown"/"service
# temporarily unavailable" and Meta says to retry them.
GRAPH_RETRYABLE_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007})


@dataclass(frozen=True, slots=True)
class GraphError:
    code: int | None
    subcode: int | None
    message: str
    title: str | None
    details: str | None

    def reason(self, status: int) -> str:
        """What the agent reads: the provider's own words, with its code for support tickets."""
        words = self.details or self.message or self.title or "unknown error"
        if self.title and self.title not in words:
            words = f"{self.title}: {words}"
        code = f" (code {self.code})" if self.code is not None else ""
        return f"{status}: {words}{code}"


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def graph_error(response: httpx.Response) -> GraphError:
    """The error in a failed Graph response (a non-JSON body, e.g. a proxy's page, included)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        text = response.text[:200] if response.text else response.reason_phrase
        return GraphError(None, None, text, None, None)
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    return GraphError(
        code=_as_int(error.get("code")),
        subcode=_as_int(error.get("error_subcode")),
        message=str(error.get("message") or ""),
        title=str(error.get("error_user_title") or error.get("title") or "") or None,
        details=str(details) if details else None,
    )


def raise_retryable_or_failed(
    response: httpx.Response,
    error: GraphError,
    *,
    retryable_codes: frozenset[int],
) -> None:
    """The common outcome of a failed Graph call: throttling and 5xx are retried (honouring
    Retry-After), everything else is a permanent failure with the provider's words."""
    status = response.status_code
    reason = error.reason(status)
    throttled = error.code is not None and error.code in retryable_codes
    if status == 429 or status >= 500 or throttled:
        # Without Retry-After (Graph rarely sends one) the outbox's backoff decides the wait.
        raise SendRetryable(reason, retry_after=retry_after_seconds(response))
    raise SendFailed(reason)


def checked_json(response: httpx.Response, what: str) -> dict[str, Any]:
    """A successful Graph answer as a dict; anything else is the provider not keeping its
    contract, which retrying will not fix."""
    try:
        body = response.json()
    except ValueError as exc:
        raise SendFailed(f"{what}: the provider's answer is not JSON") from exc
    if not isinstance(body, dict):
        raise SendFailed(f"{what}: unexpected answer from the provider")
    return body
