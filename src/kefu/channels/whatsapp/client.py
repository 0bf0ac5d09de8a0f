"""WhatsApp Cloud API calls: send a message, download an inbound file.

Send: POST {api_base}/{version}/{phone_number_id}/messages with a Bearer token and
{"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id, "type": ...};
the answer's messages[0].id (a "wamid.") is what statuses later refer to
(https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages).
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from kefu.channels.base import (
    ChannelContext,
    FetchedMedia,
    MediaRef,
    OutgoingAttachment,
    OutgoingMessage,
    SendFailed,
    SendRetryable,
    Template,
)
from kefu.channels.meta.graph import (
    GRAPH_RETRYABLE_CODES,
    checked_json,
    graph_error,
    raise_retryable_or_failed,
)
from kefu.channels.whatsapp.config import WhatsAppConfig, WhatsAppSecrets

# "Re-engagement message": more than 24 hours since the customer last wrote; only a template
# may be sent (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
WINDOW_CLOSED_CODE = 131047
# 130429 throughput, 131056 pair rate limit (too many messages to one customer), 80007 account
# rate limit; 131000 "something went wrong", 131016 and 133004 "service unavailable": retry.
RETRYABLE_CODES = GRAPH_RETRYABLE_CODES | {130429, 131056, 131000, 131016, 133004}
TEXT_LIMIT = 4096
BUTTON_BODY_LIMIT = 1024
BUTTON_TITLE_LIMIT = 20  # reply buttons: at most 3, titles at most 20 characters
BUTTON_ID_LIMIT = 256
MAX_BUTTONS = 3
# What WhatsApp accepts as each media type; any other file goes as a document.
_IMAGE_TYPES = {"image/jpeg", "image/png"}
_VIDEO_TYPES = {"video/mp4", "video/3gpp"}
_AUDIO_TYPES = {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}
_CAPTIONED = {"image", "video", "document"}


def _url(config: WhatsAppConfig, *parts: str) -> str:
    return "/".join([config.api_base, config.api_version, *parts])


def _auth(secrets: WhatsAppSecrets) -> dict[str, str]:
    return {"Authorization": f"Bearer {secrets.access_token}"}


async def _post_message(ctx: ChannelContext, to: str, content: dict[str, Any]) -> str:
    """POST one message; its wamid."""
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    payload.update(content)
    try:
        response = await ctx.http.post(
            _url(ctx.config, ctx.config.phone_number_id, "messages"),
            json=payload,
            headers=_auth(ctx.secrets),
        )
    except httpx.TransportError as exc:
        raise SendRetryable(f"WhatsApp unreachable: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        error = graph_error(response)
        if error.code == WINDOW_CLOSED_CODE:
            raise SendFailed(error.reason(response.status_code), code="channel_window_closed")
        raise_retryable_or_failed(response, error, retryable_codes=RETRYABLE_CODES)
    body = checked_json(response, "WhatsApp send")
    messages = body.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        wamid = messages[0].get("id")
        if isinstance(wamid, str) and wamid:
            return wamid
    raise SendFailed("WhatsApp send: the answer has no message id")


def template_content(template: Template) -> dict[str, Any]:
    """A template message; parameters fill the body's {{1}}, {{2}}... in order."""
    content: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if template.parameters:
        content["components"] = [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": value} for value in template.parameters],
            }
        ]
    return {"type": "template", "template": content}


def _text_with_choices(text: str, choices: tuple[tuple[str, str], ...]) -> str:
    """Quick replies WhatsApp cannot show as buttons are listed under the text instead."""
    if not choices:
        return text
    lines = [f"{n}. {label}" for n, (label, _value) in enumerate(choices, start=1)]
    return "\n".join([text, "", *lines]) if text else "\n".join(lines)


def _fits_buttons(message: OutgoingMessage) -> bool:
    return (
        0 < len(message.quick_replies) <= MAX_BUTTONS
        and 0 < len(message.text) <= BUTTON_BODY_LIMIT
        and all(
            0 < len(label) <= BUTTON_TITLE_LIMIT and 0 < len(value) <= BUTTON_ID_LIMIT
            for label, value in message.quick_replies
        )
    )


def text_content(message: OutgoingMessage) -> dict[str, Any]:
    """Text, as interactive reply buttons when the quick replies fit WhatsApp's limits."""
    if _fits_buttons(message):
        buttons = [
            {"type": "reply", "reply": {"id": value, "title": label}}
            for label, value in message.quick_replies
        ]
        return {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": message.text},
                "action": {"buttons": buttons},
            },
        }
    body = _text_with_choices(message.text, message.quick_replies)
    if len(body) > TEXT_LIMIT:
        raise SendFailed(
            f"The message is longer than WhatsApp's {TEXT_LIMIT} characters.",
            code="message_too_long",
        )
    # preview_url false: a customer's link must not be fetched and previewed on our behalf.
    return {"type": "text", "text": {"preview_url": False, "body": body}}


def media_type(content_type: str) -> str:
    base = content_type.split(";", 1)[0].strip().lower()
    if base in _IMAGE_TYPES:
        return "image"
    if base in _VIDEO_TYPES:
        return "video"
    if base in _AUDIO_TYPES:
        return "audio"
    return "document"


async def upload_media(ctx: ChannelContext, attachment: OutgoingAttachment) -> str:
    """Upload a file (POST /{phone_number_id}/media, multipart) and return its media id.

    Decision: kefu uploads rather than sending a link, so attachments work when kefu is not
    reachable from the internet (self-hosted behind a firewall), and no signed URL has to be
    handed to a third party."""
    data = await attachment.read()
    try:
        response = await ctx.http.post(
            _url(ctx.config, ctx.config.phone_number_id, "media"),
            data={"messaging_product": "whatsapp", "type": attachment.content_type},
            files={"file": (attachment.file_name, data, attachment.content_type)},
            headers=_auth(ctx.secrets),
        )
    except httpx.TransportError as exc:
        raise SendRetryable(f"WhatsApp unreachable: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        raise_retryable_or_failed(response, graph_error(response), retryable_codes=RETRYABLE_CODES)
    media_id = checked_json(response, "WhatsApp media upload").get("id")
    if not isinstance(media_id, str) or not media_id:
        raise SendFailed("WhatsApp media upload: the answer has no id")
    return media_id


async def send_message(ctx: ChannelContext, message: OutgoingMessage) -> str:
    """Send one kefu message (a template, text, or text and files); the wamid statuses will
    name. Each file is its own WhatsApp message; the text rides as the first file's caption
    where WhatsApp allows one, else goes first on its own. The first wamid is returned."""
    if message.template is not None:
        return await _post_message(ctx, message.recipient, template_content(message.template))
    first: str | None = None
    text_pending = bool(message.text or message.quick_replies)
    captionable = (
        bool(message.attachments)
        and not message.quick_replies
        and len(message.text) <= BUTTON_BODY_LIMIT
        and media_type(message.attachments[0].content_type) in _CAPTIONED
    )
    if text_pending and not captionable:
        first = await _post_message(ctx, message.recipient, text_content(message))
        text_pending = False
    for attachment in message.attachments:
        kind = media_type(attachment.content_type)
        media: dict[str, Any] = {"id": await upload_media(ctx, attachment)}
        if kind == "document":
            media["filename"] = attachment.file_name
        if text_pending and message.text:
            media["caption"] = message.text
            text_pending = False
        wamid = await _post_message(ctx, message.recipient, {"type": kind, kind: media})
        first = first or wamid
    if first is None:
        raise SendFailed("Nothing to send: the message has no text, file or template.")
    return first


async def fetch_media(ctx: ChannelContext, media: MediaRef) -> FetchedMedia:
    """An inbound file: GET /{media_id} gives a short-lived URL (about 5 minutes), which is then
    fetched with the same Bearer token
    (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media)."""
    try:
        response = await ctx.http.get(_url(ctx.config, media.ref), headers=_auth(ctx.secrets))
        if response.status_code >= 400:
            raise_retryable_or_failed(
                response, graph_error(response), retryable_codes=RETRYABLE_CODES
            )
        info = checked_json(response, "WhatsApp media")
        url = info.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise SendFailed("WhatsApp media: the answer has no download URL")
        download = await ctx.http.get(url, headers=_auth(ctx.secrets))
    except httpx.TransportError as exc:
        raise SendRetryable(f"WhatsApp unreachable: {type(exc).__name__}") from exc
    if download.status_code >= 400:
        # An expired URL (404) is fetched afresh on the retry, which asks for a new one.
        raise SendRetryable(f"WhatsApp media download answered {download.status_code}")
    data = download.content
    expected = info.get("sha256")
    if isinstance(expected, str) and expected and hashlib.sha256(data).hexdigest() != expected:
        raise SendRetryable("WhatsApp media download does not match its sha256")
    content_type = info.get("mime_type") if isinstance(info.get("mime_type"), str) else None
    return FetchedMedia(
        data=data,
        content_type=content_type or media.content_type or download.headers.get("content-type"),
        file_name=media.file_name,
    )
