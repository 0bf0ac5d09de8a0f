"""The adapter contract every messaging channel implements (docs/channels.md).

An adapter is the only code that knows a provider's wire format. It is pure translation:
  * inbound: `verify` the webhook's signature over the raw body (SignatureInvalid -> 401, nothing
    stored), `parse` it into InboundEvents (PayloadInvalid -> 400, logged);
  * outbound: `send` one OutgoingMessage through the injected httpx.AsyncClient and say what the
    provider answered (SendResult, or SendRetryable / SendFailed);
  * optionally `fetch_profile` (a display name) and `fetch_media` (the bytes of an inbound file).
It never touches the database: kefu.channels.inbound turns InboundEvents into contacts,
conversations and messages through actions, and kefu.channels.outbound runs `send` from the
outbox with retries, rate-limit waits and dead-lettering.

Adapters register by channel type (`register_adapter`); `adapter_for("line")` finds one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict

InboundKind = Literal["message", "status", "follow", "unfollow"]
DeliveryStatus = Literal["queued", "sent", "delivered", "read", "failed"]


class ChannelConfig(BaseModel):
    """Non-secret settings of a channel inbox (ids, API base URL); shown to admins."""

    model_config = ConfigDict(extra="forbid")


class ChannelSecrets(BaseModel):
    """Secrets of a channel inbox (signing secrets, access tokens): encrypted at rest
    (kefu.channels.secrets), write-only in the API."""

    model_config = ConfigDict(extra="forbid")


class SignatureInvalid(Exception):
    """The webhook's signature is missing or wrong: answered 401, nothing stored."""


class PayloadInvalid(Exception):
    """The body does not match the provider's schema: answered 400 with this message, logged."""


class SendRetryable(Exception):
    """A temporary failure (5xx, timeout, 429): the outbox tries again, after `retry_after`
    seconds when the provider said so (Retry-After), else with exponential backoff."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class SendFailed(Exception):
    """A permanent failure (bad token, blocked user, window closed): no more tries; the agent
    sees `reason` (the provider's words where it gave some) and may retry by hand."""

    def __init__(self, reason: str, *, code: str = "provider_error") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A file that came with an inbound message. Either the bytes are here already (email) or
    the adapter's fetch_media gets them later from `ref` (a provider media id or URL)."""

    ref: str = ""
    content_type: str | None = None
    file_name: str | None = None
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One thing a provider told us, in kefu's terms.

    `event_id` is the provider's unique id for this event (LINE webhookEventId, a WhatsApp
    message id or status id + status, Telegram update_id, an email's Message-ID): the same
    event delivered twice is stored once.
    """

    kind: InboundKind
    event_id: str
    external_user_id: str  # the customer on this channel (LINE userId, wa_id, PSID, chat id...)
    occurred_at: datetime
    text: str = ""
    media: tuple[MediaRef, ...] = ()
    # The sender's name as the provider gave it (WhatsApp profile.name, Telegram first_name,
    # an email's display name); LINE needs fetch_profile.
    profile_name: str | None = None
    # Contact details the provider vouches for (WhatsApp: the phone number): used for
    # one-customer-one-history matching (kefu.channels.identities).
    verified_phone: str | None = None
    verified_email: str | None = None
    # Details given but not vouched for (an email's From address can be forged).
    email: str | None = None
    phone: str | None = None
    external_message_id: str | None = None  # for replies, statuses and threading
    reply_token: str | None = None  # LINE: free reply within a short time
    # kind == "status": which of our messages (external_message_id) reached which state. A
    # status without external_message_id is a watermark (Messenger's reads): every message we
    # sent this customer in this inbox up to `occurred_at` reached it.
    status: DeliveryStatus | None = None
    status_error: str | None = None
    # Email: the thread this message belongs to (In-Reply-To + References, oldest first) and
    # its subject; a message whose references match no conversation starts a new one.
    thread_refs: tuple[str, ...] = ()
    subject: str | None = None
    # Anything else the adapter wants kept on the message (e.g. an email's original HTML).
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutgoingAttachment:
    file_name: str
    content_type: str
    size: int
    # A signed URL the provider can download (LINE and WhatsApp fetch media by link).
    public_url: str
    read: Callable[[], Awaitable[bytes]]  # the bytes, for providers that take uploads


@dataclass(frozen=True, slots=True)
class Template:
    """A pre-approved message (WhatsApp), the only kind allowed outside the reply window."""

    name: str
    language: str
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    name: str
    language: str
    category: str = ""
    body_text: str = ""  # with {{1}}, {{2}}... where the parameters go
    parameter_count: int = 0


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    message_id: int  # kefu's id: an idempotency key where the provider takes one
    recipient: str  # the customer's external_user_id on this channel
    text: str
    attachments: tuple[OutgoingAttachment, ...] = ()
    quick_replies: tuple[tuple[str, str], ...] = ()  # (label, value) buttons
    template: Template | None = None
    reply_token: str | None = None  # LINE, when still valid
    # Email threading: the subject and the Message-IDs this answers (oldest first).
    subject: str | None = None
    thread_refs: tuple[str, ...] = ()
    sender_name: str | None = None  # the agent's name (email From display name)
    # Written by kefu, not by a person (greetings, queue replies, the bot): email marks it
    # Auto-Submitted: auto-replied (RFC 3834) so that the customer's software does not answer.
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class SendResult:
    external_message_id: str | None  # what the provider calls it (for statuses and threading)
    used_reply_token: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    name: str | None = None
    avatar_url: str | None = None


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    data: bytes
    content_type: str | None = None
    file_name: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """What the transport hands an adapter: the raw body (signatures are over the exact bytes),
    the headers (lower-cased names) and the query string."""

    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """An inbox's settings for one call: its validated config and decrypted secrets, and the
    HTTP client (injected: tests point it at local servers that speak the provider's API)."""

    config: Any
    secrets: Any
    http: httpx.AsyncClient
    inbox_id: int = 0
    inbox_name: str = ""  # email: "Agent via <inbox name>"


class ChannelAdapter(ABC):
    channel_type: ClassVar[str]
    config_model: ClassVar[type[ChannelConfig]] = ChannelConfig
    secrets_model: ClassVar[type[ChannelSecrets]] = ChannelSecrets
    # How long after the customer's last message free-form replies are allowed (WhatsApp and
    # Messenger: 24 hours); None: always. Outside it only templates may be sent.
    reply_window: ClassVar[timedelta | None] = None
    # Whether inbound arrives by HTTP webhook (email has its own listeners).
    has_webhook: ClassVar[bool] = True
    # Approved templates can be sent outside the reply window (WhatsApp; Messenger has none).
    supports_templates: ClassVar[bool] = False
    # Email: every new subject is a conversation of its own, found again by thread_refs;
    # elsewhere a customer has one open conversation per inbox.
    threaded_conversations: ClassVar[bool] = False

    def reply_window_for(self, config: Any) -> timedelta | None:
        """The window for one inbox's settings (Messenger's HUMAN_AGENT tag makes it 7 days)."""
        return self.reply_window

    def handshake(self, request: WebhookRequest, secrets: Any) -> str | None:
        """A GET verification challenge (WhatsApp, Messenger): the text to answer with, or None
        when this request is not a valid challenge (answered 403)."""
        return None

    @abstractmethod
    def verify(self, request: WebhookRequest, secrets: Any) -> None:
        """Raise SignatureInvalid unless the request is signed by the provider."""

    @abstractmethod
    def parse(self, request: WebhookRequest, config: Any) -> list[InboundEvent]:
        """The events in a verified request (PayloadInvalid when it matches no known shape;
        unknown event types inside a valid body are skipped, not errors)."""

    @abstractmethod
    async def send(self, ctx: ChannelContext, message: OutgoingMessage) -> SendResult:
        """Deliver one message, raising SendRetryable or SendFailed."""

    async def fetch_profile(self, ctx: ChannelContext, external_user_id: str) -> Profile | None:
        return None

    async def acknowledge(self, ctx: ChannelContext, events: list[InboundEvent]) -> None:
        """After the events are committed, best effort: tell the provider they were handled
        where it expects that (Telegram's button taps spin until answered)."""
        return None

    async def list_templates(self, ctx: ChannelContext) -> list[TemplateInfo]:
        """The approved templates an agent may send outside the reply window (WhatsApp)."""
        return []

    async def fetch_media(self, ctx: ChannelContext, media: MediaRef) -> FetchedMedia:
        if media.data is None:
            raise SendFailed("This channel cannot fetch media.", code="media_unavailable")
        return FetchedMedia(media.data, media.content_type, media.file_name)


_ADAPTERS: dict[str, ChannelAdapter] = {}


def register_adapter(adapter: ChannelAdapter) -> ChannelAdapter:
    existing = _ADAPTERS.get(adapter.channel_type)
    if existing is not None and type(existing) is not type(adapter):
        raise ValueError(f"an adapter for {adapter.channel_type!r} is already registered")
    _ADAPTERS[adapter.channel_type] = adapter
    return adapter


def adapter_for(channel_type: str) -> ChannelAdapter | None:
    return _ADAPTERS.get(channel_type)


def registered_channel_types() -> tuple[str, ...]:
    return tuple(sorted(_ADAPTERS))


def api_base_url(value: str) -> str:
    """A provider API base URL from an adapter's config: http(s), a host, no query or
    fragment, without the trailing slash (kefu.channels.settings then requires https to a
    public host unless private URLs are allowed)."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an http(s) URL with a host")
    if parts.query or parts.fragment:
        raise ValueError("a base URL without query or fragment")
    return value.strip().rstrip("/")


def retry_after_seconds(response: httpx.Response) -> float | None:
    """A 429/503's Retry-After in seconds (delta form; an HTTP date is treated as 60 s)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return 60.0


def raise_for_provider_status(response: httpx.Response, reason: str) -> None:
    """The common HTTP outcome rules: 429 and 5xx are retried (honouring Retry-After), other 4xx
    are permanent failures with the provider's `reason`."""
    if response.status_code == 429 or response.status_code >= 500:
        raise SendRetryable(
            f"{response.status_code}: {reason}", retry_after=retry_after_seconds(response)
        )
    if response.status_code >= 400:
        raise SendFailed(f"{response.status_code}: {reason}")
