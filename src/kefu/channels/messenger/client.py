"""Messenger Send API and User Profile API calls.

Send: POST {api_base}/{version}/{page_id}/messages with {"recipient": {"id": PSID},
"messaging_type": "RESPONSE", "message": {...}}; the answer is {"recipient_id", "message_id"}
(https://developers.facebook.com/docs/messenger-platform/reference/send-api). Meta's examples pass
access_token in the query string; the Graph API takes the same token as an OAuth Bearer header,
which kefu uses so that the token never appears in a URL (and so in no access or client log).
"""

from __future__ import annotations

from typing import Any

import httpx

from kefu.channels.base import (
    ChannelContext,
    FetchedMedia,
    MediaRef,
    OutgoingAttachment,
    OutgoingMessage,
    Profile,
    SendFailed,
    SendRetryable,
)
from kefu.channels.messenger.config import MessengerConfig, MessengerSecrets
from kefu.channels.meta.graph import (
    GRAPH_RETRYABLE_CODES,
    GraphError,
    checked_json,
    graph_error,
    raise_retryable_or_failed,
)

# "(#10) This message is sent outside of allowed window": code 10 with subcode 2018278 (the one
# Meta's error table lists; older answers carried 2018065 or 2018108 for the same refusal).
WINDOW_CLOSED_SUBCODES = frozenset({2018278, 2018065, 2018108})
# 1200 is "Temporary send message failure. Please try again later".
RETRYABLE_CODES = GRAPH_RETRYABLE_CODES | {1200}
TEXT_LIMIT = 2000  # "UTF-8 and less than 2000 characters"
QUICK_REPLY_TITLE_LIMIT = 20
QUICK_REPLY_PAYLOAD_LIMIT = 1000
MAX_QUICK_REPLIES = 13


def _url(config: MessengerConfig, *parts: str) -> str:
    return "/".join([config.api_base, config.api_version, *parts])


def _auth(secrets: MessengerSecrets) -> dict[str, str]:
    return {"Authorization": f"Bearer {secrets.page_access_token}"}


def _window_closed(error: GraphError) -> bool:
    return error.code == 10 and (
        error.subcode in WINDOW_CLOSED_SUBCODES or "allowed window" in error.message
    )


async def _post(ctx: ChannelContext, body: dict[str, Any]) -> httpx.Response:
    try:
        return await ctx.http.post(
            _url(ctx.config, ctx.config.page_id, "messages"), json=body, headers=_auth(ctx.secrets)
        )
    except httpx.TransportError as exc:
        # Not reached, or no answer: retried (a lost answer may mean a duplicate, the lesser harm).
        raise SendRetryable(f"Messenger unreachable: {type(exc).__name__}") from exc


async def _send_one(ctx: ChannelContext, recipient: str, message: dict[str, Any]) -> str:
    """Send one Messenger message as a RESPONSE; outside the 24-hour window, again with the
    HUMAN_AGENT tag when the inbox is allowed to use it. Its message id."""
    body: dict[str, Any] = {
        "recipient": {"id": recipient},
        "messaging_type": "RESPONSE",
        "message": message,
    }
    response = await _post(ctx, body)
    if response.status_code >= 400:
        error = graph_error(response)
        if _window_closed(error) and ctx.config.human_agent_tag:
            body.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
            response = await _post(ctx, body)
    if response.status_code >= 400:
        error = graph_error(response)
        if _window_closed(error):
            raise SendFailed(error.reason(response.status_code), code="channel_window_closed")
        raise_retryable_or_failed(response, error, retryable_codes=RETRYABLE_CODES)
    message_id = checked_json(response, "Messenger send").get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise SendFailed("Messenger send: the answer has no message_id")
    return message_id


def _quick_replies(message: OutgoingMessage) -> list[dict[str, str]] | None:
    """Messenger's quick replies when they fit its limits (13, titles of 20 characters)."""
    choices = message.quick_replies
    if not choices or len(choices) > MAX_QUICK_REPLIES:
        return None
    if not all(
        0 < len(label) <= QUICK_REPLY_TITLE_LIMIT and 0 < len(value) <= QUICK_REPLY_PAYLOAD_LIMIT
        for label, value in choices
    ):
        return None
    return [{"content_type": "text", "title": label, "payload": value} for label, value in choices]


def _text_body(message: OutgoingMessage, quick_replies: list[dict[str, str]] | None) -> str:
    text = message.text
    if message.quick_replies and quick_replies is None:
        # Choices Messenger cannot show as quick replies are listed under the text instead.
        lines = [f"{n}. {label}" for n, (label, _v) in enumerate(message.quick_replies, start=1)]
        text = "\n".join([text, "", *lines]) if text else "\n".join(lines)
    if len(text) >= TEXT_LIMIT:
        raise SendFailed(
            f"The message is longer than Messenger's {TEXT_LIMIT} characters.",
            code="message_too_long",
        )
    return text


def attachment_type(content_type: str) -> str:
    base = content_type.split("/", 1)[0].lower()
    return base if base in {"image", "video", "audio"} else "file"


def _attachment(attachment: OutgoingAttachment) -> dict[str, Any]:
    """A file by URL: Messenger downloads it from the signed link (is_reusable false: it is
    one customer's file, not an asset for the Page)."""
    return {
        "attachment": {
            "type": attachment_type(attachment.content_type),
            "payload": {"url": attachment.public_url, "is_reusable": False},
        }
    }


async def send_message(ctx: ChannelContext, message: OutgoingMessage) -> str:
    """The text first (with its quick replies), then one Messenger message per file; the first
    message id is returned. Templates are a WhatsApp notion, refused here."""
    if message.template is not None:
        # Sending its text instead would slip a free-form message past the reply window.
        raise SendFailed("Messenger has no message templates.", code="template_unsupported")
    quick_replies = _quick_replies(message)
    first: str | None = None
    if message.text or message.quick_replies:
        content: dict[str, Any] = {"text": _text_body(message, quick_replies)}
        if quick_replies:
            content["quick_replies"] = quick_replies
        first = await _send_one(ctx, message.recipient, content)
    for attachment in message.attachments:
        message_id = await _send_one(ctx, message.recipient, _attachment(attachment))
        first = first or message_id
    if first is None:
        raise SendFailed("Nothing to send: the message has no text or file.")
    return first


async def fetch_profile(ctx: ChannelContext, psid: str) -> Profile | None:
    """GET /{PSID}?fields=first_name,last_name,profile_pic. A refusal (the person blocked the
    Page, missing permission) is no name rather than an error; throttling is retried."""
    try:
        response = await ctx.http.get(
            _url(ctx.config, psid),
            params={"fields": "first_name,last_name,profile_pic"},
            headers=_auth(ctx.secrets),
        )
    except httpx.TransportError as exc:
        raise SendRetryable(f"Messenger unreachable: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        error = graph_error(response)
        try:
            raise_retryable_or_failed(response, error, retryable_codes=RETRYABLE_CODES)
        except SendFailed:
            return None
    body = checked_json(response, "Messenger profile")
    names = [body.get("first_name"), body.get("last_name")]
    name = " ".join(n for n in names if isinstance(n, str) and n) or None
    picture = body.get("profile_pic")
    return Profile(name=name, avatar_url=picture if isinstance(picture, str) else None)


async def fetch_media(ctx: ChannelContext, media: MediaRef) -> FetchedMedia:
    """An inbound file is a CDN URL in the webhook (payload.url): downloaded without the Page
    token, which is not the CDN's business."""
    try:
        response = await ctx.http.get(media.ref)
    except httpx.TransportError as exc:
        raise SendRetryable(f"Messenger media unreachable: {type(exc).__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise SendRetryable(f"Messenger media download answered {response.status_code}")
    if response.status_code >= 400:
        # The CDN links expire; an expired one will not come back.
        raise SendFailed(
            f"Messenger media download answered {response.status_code}", code="media_unavailable"
        )
    content_type = response.headers.get("content-type")
    name = media.ref.split("?", 1)[0].rsplit("/", 1)[-1] or None
    return FetchedMedia(
        data=response.content,
        content_type=content_type.split(";", 1)[0] if content_type else media.content_type,
        file_name=media.file_name or name,
    )
