"""Messenger webhooks -> InboundEvents.

A body is {"object": "page", "entry": [{"id": PAGE_ID, "time": ms, "messaging": [...]}]}; each
messaging item has sender.id (the customer's page-scoped id, PSID), recipient.id (the Page),
timestamp (ms) and one of message, postback, delivery, read, reaction...
(https://developers.facebook.com/docs/messenger-platform/webhooks).

Skipped on purpose: echoes (message.is_echo: what the Page itself sent, kefu's replies included),
"standby" items (another app owns the thread), and event types kefu has no use for (optins,
referrals, account linking).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu.channels.base import DeliveryStatus, InboundEvent, MediaRef
from kefu.channels.meta.payload import (
    as_dict,
    as_list,
    as_str,
    from_timestamp,
    load_object,
    opt_str,
)

_FILE_TYPES = {"image", "video", "audio", "file"}


def parse_webhook(body: bytes, page_id: str) -> list[InboundEvent]:
    """The events of a verified body for `page_id` (other Pages' entries are skipped)."""
    data = load_object(body, "page")
    events: list[InboundEvent] = []
    for i, raw_entry in enumerate(as_list(data.get("entry"), "entry")):
        entry = as_dict(raw_entry, f"entry[{i}]")
        if str(entry.get("id", "")) != page_id:
            continue
        items = as_list(entry.get("messaging"), f"entry[{i}].messaging", optional=True)
        for j, raw in enumerate(items):
            events.extend(_item_events(as_dict(raw, f"entry[{i}].messaging[{j}]"), page_id))
    return events


def _item_events(item: dict[str, Any], page_id: str) -> list[InboundEvent]:
    message = item.get("message")
    if isinstance(message, dict) and message.get("is_echo"):
        return []  # the Page's own message (ours, or sent from the Page inbox)
    sender = as_str(as_dict(item.get("sender"), "sender").get("id"), "sender.id")
    recipient = as_str(as_dict(item.get("recipient"), "recipient").get("id"), "recipient.id")
    if recipient != page_id:
        return []
    if isinstance(item.get("delivery"), dict):
        return _delivery_events(item["delivery"], sender)
    if isinstance(item.get("read"), dict):
        return [_watermark_event(item["read"], sender, "read")]
    timestamp = item.get("timestamp")
    occurred_at = from_timestamp(timestamp, "timestamp", milliseconds=True)
    if isinstance(message, dict):
        return [_message_event(message, sender, occurred_at)]
    if isinstance(item.get("postback"), dict):
        return [_postback_event(item["postback"], sender, occurred_at, timestamp)]
    if isinstance(item.get("reaction"), dict):
        return [_reaction_event(item["reaction"], sender, occurred_at, timestamp)]
    return []


def _message_event(message: dict[str, Any], sender: str, occurred_at: datetime) -> InboundEvent:
    mid = as_str(message.get("mid"), "message.mid")
    texts = [str(message["text"])] if opt_str(message.get("text")) else []
    media: list[MediaRef] = []
    extra: dict[str, Any] = {}
    quick_reply = message.get("quick_reply")
    if isinstance(quick_reply, dict):
        extra["reply_id"] = quick_reply.get("payload")  # the text is the button's title
    reply_to = message.get("reply_to")
    if isinstance(reply_to, dict) and opt_str(reply_to.get("mid")):
        extra["reply_to"] = reply_to["mid"]
    attachments = as_list(message.get("attachments"), "message.attachments", optional=True)
    for raw in attachments:
        attachment = raw if isinstance(raw, dict) else {}
        kind = str(attachment.get("type") or "unknown")
        payload = attachment.get("payload")
        part = payload if isinstance(payload, dict) else {}
        url = opt_str(part.get("url")) or opt_str(attachment.get("url"))
        if kind in _FILE_TYPES and url:
            # A sticker is an image with a sticker_id; fetch_media downloads it like a photo.
            # Messenger does not say the exact type: the download's Content-Type will.
            media.append(MediaRef(ref=url))
        elif kind == "location" and isinstance(part.get("coordinates"), dict):
            point = part["coordinates"]
            texts.append(f"Location: {point.get('lat')}, {point.get('long')}")
        elif kind == "fallback" and (url or attachment.get("title")):
            # A shared link Messenger could not turn into anything richer.
            texts.append(" ".join(str(w) for w in (attachment.get("title"), url) if w))
        else:
            # Templates, products, reels, an attachment without URL...: never dropped silently.
            extra["placeholder"] = True
            texts.append(f"[Messenger attachment of type {kind!r} that kefu cannot show]")
    if not texts and not media:
        extra["placeholder"] = True
        texts.append("[Messenger message that kefu cannot show]")
    return InboundEvent(
        kind="message",
        event_id=mid,
        external_user_id=sender,
        occurred_at=occurred_at,
        text="\n".join(texts),
        media=tuple(media),
        external_message_id=mid,
        extra=extra,
    )


def _postback_event(
    postback: dict[str, Any], sender: str, occurred_at: datetime, timestamp: Any
) -> InboundEvent:
    """A tapped button (persistent menu, Get Started, a template's button): shown as a message
    with the button's title, its payload kept in extra."""
    mid = opt_str(postback.get("mid"))
    return InboundEvent(
        kind="message",
        # Older postbacks have no mid: the sender and millisecond timestamp identify them.
        event_id=mid or f"postback:{sender}:{timestamp}",
        external_user_id=sender,
        occurred_at=occurred_at,
        text=str(postback.get("title") or postback.get("payload") or ""),
        external_message_id=mid,
        extra={"postback_payload": postback.get("payload")},
    )


def _delivery_events(delivery: dict[str, Any], sender: str) -> list[InboundEvent]:
    """One status event per delivered mid; without mids (older Messenger clients) everything up
    to the watermark was delivered."""
    listed = as_list(delivery.get("mids"), "delivery.mids", optional=True)
    mids = [m for m in listed if isinstance(m, str) and m]
    if not mids:
        return [_watermark_event(delivery, sender, "delivered")]
    occurred_at = from_timestamp(delivery.get("watermark"), "delivery.watermark", milliseconds=True)
    return [
        InboundEvent(
            kind="status",
            event_id=f"{mid}:delivered",
            external_user_id=sender,
            occurred_at=occurred_at,
            external_message_id=mid,
            status="delivered",
        )
        for mid in mids
    ]


def _watermark_event(part: dict[str, Any], sender: str, status: DeliveryStatus) -> InboundEvent:
    """Messenger reports reads (and some deliveries) as a watermark: every message the Page sent
    to this person at or before that time. Contract: a status event without
    external_message_id applies to all our messages to external_user_id sent at or before
    occurred_at (the watermark); extra["watermark"] keeps the raw milliseconds."""
    watermark = part.get("watermark")
    return InboundEvent(
        kind="status",
        event_id=f"{status}:{sender}:{watermark}",
        external_user_id=sender,
        occurred_at=from_timestamp(watermark, "watermark", milliseconds=True),
        status=status,
        extra={"watermark": watermark},
    )


def _reaction_event(
    reaction: dict[str, Any], sender: str, occurred_at: datetime, timestamp: Any
) -> InboundEvent:
    """Decision (as for WhatsApp): a reaction is shown as a short message."""
    emoji = opt_str(reaction.get("emoji"))
    removed = reaction.get("action") == "unreact"
    return InboundEvent(
        kind="message",
        event_id=f"reaction:{reaction.get('mid')}:{sender}:{timestamp}",
        external_user_id=sender,
        occurred_at=occurred_at,
        text="Removed a reaction" if removed else f"Reacted {emoji or ''} to a message",
        extra={"reaction": "" if removed else emoji or "", "reaction_to": reaction.get("mid")},
    )
