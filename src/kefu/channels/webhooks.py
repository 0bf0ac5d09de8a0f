"""Provider webhooks: `POST /webhooks/{channel_type}/{inbox_key}` for events and `GET` for the
verification handshake of WhatsApp and Messenger. Public routes: the signature is the
authentication. Order matters: the signature is checked over the raw body before anything is
parsed or stored (401, nothing stored); a body of an unknown shape is a 400, logged; what the
body carried is committed before the 200, so a provider that gets no 200 redelivers and
nothing is lost (redeliveries are de-duplicated by event id)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from kefu.auth.dependencies import RuntimeDep
from kefu.auth.sealing import SecretBox
from kefu.channels.base import (
    ChannelContext,
    InboundEvent,
    PayloadInvalid,
    SignatureInvalid,
    WebhookRequest,
)
from kefu.channels.receive import receive_events
from kefu.channels.settings import ChannelSettings, adapter_of, load_channel
from kefu.config import Settings
from kefu.errors import KefuError, NotAuthenticated, NotFound, PermissionDenied
from kefu.inboxes.models import Inbox
from kefu.inboxes.queries import get_inbox_by_key
from kefu.runtime import Runtime

log = logging.getLogger(__name__)
ACKNOWLEDGE_SECONDS = 10.0

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def webhook_url(settings: Settings, inbox: Inbox) -> str:
    return f"{settings.base_url()}/webhooks/{inbox.channel_type}/{inbox.public_key}"


async def _load(
    runtime: Runtime, channel_type: str, inbox_key: str
) -> tuple[Inbox, ChannelSettings]:
    async with runtime.db.read() as session:
        inbox = await get_inbox_by_key(session=session, public_key=inbox_key[:100])
    adapter = adapter_of(inbox) if inbox is not None else None
    if inbox is None or adapter is None or not adapter.has_webhook:
        raise NotFound("No such channel inbox.", code="inbox_not_found")
    if inbox.channel_type != channel_type:
        raise NotFound("No such channel inbox.", code="inbox_not_found")
    return inbox, load_channel(inbox, SecretBox(runtime.settings.effective_secret_key))


def _request(request: Request, body: bytes) -> WebhookRequest:
    return WebhookRequest(
        body=body,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
    )


@router.get("/{channel_type}/{inbox_key}", response_class=PlainTextResponse)
async def webhook_handshake(
    channel_type: str, inbox_key: str, request: Request, runtime: RuntimeDep
) -> PlainTextResponse:
    inbox, channel = await _load(runtime, channel_type, inbox_key)
    answer = channel.adapter.handshake(_request(request, b""), channel.secrets)
    if answer is None:
        log.warning("webhook handshake refused for inbox %s", inbox.id)
        raise PermissionDenied("Verification failed.", code="webhook_verification_failed")
    return PlainTextResponse(answer)


@router.post("/{channel_type}/{inbox_key}")
async def receive_webhook(
    channel_type: str, inbox_key: str, request: Request, runtime: RuntimeDep
) -> dict[str, int | bool]:
    inbox, channel = await _load(runtime, channel_type, inbox_key)
    webhook = _request(request, await request.body())
    try:
        channel.adapter.verify(webhook, channel.secrets)
    except SignatureInvalid as exc:
        log.warning("webhook for inbox %s: bad signature (%s)", inbox.id, exc)
        raise NotAuthenticated(
            "The webhook's signature is not valid.", code="invalid_signature"
        ) from exc
    try:
        events = channel.adapter.parse(webhook, channel.config)
    except PayloadInvalid as exc:
        log.warning("webhook for inbox %s: payload refused: %s", inbox.id, exc)
        raise KefuError(f"The webhook's body is not valid: {exc}", code="invalid_payload") from exc
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        # An adapter that missed a shape: still the provider's malformed body, not a 500.
        log.warning("webhook for inbox %s: unparsable payload", inbox.id, exc_info=True)
        raise KefuError("The webhook's body is not valid.", code="invalid_payload") from exc
    result = await receive_events(
        db=runtime.db,
        storage=runtime.storage,
        inbox_id=inbox.id,
        events=events,
        max_file_bytes=runtime.settings.max_upload_bytes,
    )
    fresh = [e for i, e in enumerate(events) if i not in result.duplicate_indexes]
    if fresh:  # after the commit, without holding up the provider's 200
        context = channel.context(runtime.worker.http, inbox.id, inbox.name)
        task = asyncio.create_task(_acknowledge(channel, context, fresh))
        _ACKNOWLEDGING.add(task)
        task.add_done_callback(_ACKNOWLEDGING.discard)
    return {"ok": True, "messages": result.messages, "duplicates": result.duplicates}


_ACKNOWLEDGING: set[asyncio.Task[None]] = set()  # strong references until they finish


async def _acknowledge(
    channel: ChannelSettings, context: ChannelContext, events: list[InboundEvent]
) -> None:
    try:
        await asyncio.wait_for(channel.adapter.acknowledge(context, events), ACKNOWLEDGE_SECONDS)
    except Exception:
        log.warning("acknowledging webhook events failed", exc_info=True)
