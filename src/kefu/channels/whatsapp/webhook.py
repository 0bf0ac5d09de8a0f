"""WhatsApp Cloud API webhooks -> InboundEvents.

A body is {"object": "whatsapp_business_account", "entry": [{"id": WABA id, "changes":
[{"field": "messages", "value": {...}}]}]}; each value carries metadata.phone_number_id (which of
the business's numbers it is about), contacts[] (profile.name, wa_id), messages[] and statuses[]
(https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples).

Every inbound message becomes a kefu message, even the types kefu cannot show: those get a
placeholder text so the agent knows the customer wrote something (nothing is silently dropped).
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

_MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
_STATUSES: dict[str, DeliveryStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}


def parse_webhook(body: bytes, phone_number_id: str) -> list[InboundEvent]:
    """The events of a verified body that concern `phone_number_id`. Changes for another number
    of the same business account (one Meta app webhook serves all its numbers) are skipped."""
    data = load_object(body, "whatsapp_business_account")
    events: list[InboundEvent] = []
    for i, raw_entry in enumerate(as_list(data.get("entry"), "entry")):
        entry = as_dict(raw_entry, f"entry[{i}]")
        for j, raw_change in enumerate(as_list(entry.get("changes"), f"entry[{i}].changes")):
            where = f"entry[{i}].changes[{j}]"
            change = as_dict(raw_change, where)
            if change.get("field") != "messages":
                continue  # account_update, message_template_status_update...: not messages
            value = as_dict(change.get("value"), f"{where}.value")
            metadata = as_dict(value.get("metadata"), f"{where}.value.metadata")
            if str(metadata.get("phone_number_id", "")) != phone_number_id:
                continue
            events.extend(_value_events(value, where))
    return events


def _value_events(value: dict[str, Any], where: str) -> list[InboundEvent]:
    names: dict[str, str] = {}
    for k, raw in enumerate(as_list(value.get("contacts"), f"{where}.contacts", optional=True)):
        contact = as_dict(raw, f"{where}.contacts[{k}]")
        profile = contact.get("profile")
        name = opt_str(profile.get("name")) if isinstance(profile, dict) else None
        wa_id = opt_str(contact.get("wa_id"))
        if wa_id and name:
            names[wa_id] = name
    events: list[InboundEvent] = []
    for k, raw in enumerate(as_list(value.get("messages"), f"{where}.messages", optional=True)):
        events.append(_message_event(as_dict(raw, f"{where}.messages[{k}]"), names))
    for k, raw in enumerate(as_list(value.get("statuses"), f"{where}.statuses", optional=True)):
        event = _status_event(as_dict(raw, f"{where}.statuses[{k}]"), f"{where}.statuses[{k}]")
        if event is not None:
            events.append(event)
    return events


def _message_event(message: dict[str, Any], names: dict[str, str]) -> InboundEvent:
    wa_id = as_str(message.get("from"), "message.from")
    message_id = as_str(message.get("id"), "message.id")
    kind = opt_str(message.get("type")) or "unknown"
    text, media, extra = _content(kind, message)
    context = message.get("context")
    if isinstance(context, dict) and opt_str(context.get("id")):
        extra["reply_to"] = context["id"]  # the message of ours (or theirs) being answered
    if isinstance(message.get("referral"), dict):
        extra["referral"] = message["referral"]  # a click-to-WhatsApp ad: worth keeping
    return InboundEvent(
        kind="message",
        event_id=message_id,
        external_user_id=wa_id,
        occurred_at=from_timestamp(
            message.get("timestamp"), "message.timestamp", milliseconds=False
        ),
        text=text,
        media=media,
        profile_name=names.get(wa_id),
        # The number a WhatsApp account is registered with has been verified by WhatsApp (the
        # account receives an SMS or call), so kefu may match identities on it.
        verified_phone="+" + wa_id,
        external_message_id=message_id,
        extra=extra,
    )


def _content(
    kind: str, message: dict[str, Any]
) -> tuple[str, tuple[MediaRef, ...], dict[str, Any]]:
    """The text, files and extra details of one message, by type."""
    body = message.get(kind)
    part = body if isinstance(body, dict) else {}
    extra: dict[str, Any] = {"whatsapp_type": kind}
    if kind == "text":
        return str(part.get("body") or ""), (), extra
    if kind in _MEDIA_TYPES:
        media_id = as_str(part.get("id"), f"message.{kind}.id")
        ref = MediaRef(
            ref=media_id,
            content_type=opt_str(part.get("mime_type")),
            file_name=opt_str(part.get("filename")),
        )
        return str(part.get("caption") or ""), (ref,), extra
    if kind == "location":
        return _location_text(part), (), extra
    if kind == "contacts":
        return _contacts_text(message.get("contacts")), (), extra
    if kind == "interactive":
        # The customer tapped one of our reply buttons or list rows: show the choice's title.
        choice = part.get("button_reply") or part.get("list_reply")
        if isinstance(choice, dict):
            extra["reply_id"] = choice.get("id")
            return str(choice.get("title") or ""), (), extra
    if kind == "button":
        # A quick-reply button of a template message.
        extra["reply_id"] = part.get("payload")
        return str(part.get("text") or ""), (), extra
    if kind == "reaction":
        # Decision: a reaction is shown as a short message (agents asked "did they see it?"),
        # kept apart from real text by extra["reaction"]; removing a reaction is one too.
        emoji = opt_str(part.get("emoji"))
        extra["reaction"] = emoji or ""
        extra["reaction_to"] = part.get("message_id")
        return (f"Reacted {emoji} to a message" if emoji else "Removed a reaction"), (), extra
    # unsupported, unknown, order, system...: a placeholder, never dropped.
    errors = message.get("errors")
    detail = ""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        title = errors[0].get("title") or errors[0].get("message")
        detail = f" ({title})" if title else ""
    extra["placeholder"] = True
    return f"[WhatsApp message of type {kind!r} that kefu cannot show{detail}]", (), extra


def _location_text(part: dict[str, Any]) -> str:
    words = [w for w in (opt_str(part.get("name")), opt_str(part.get("address"))) if w]
    latitude, longitude = part.get("latitude"), part.get("longitude")
    where = f"{latitude}, {longitude}" if latitude is not None and longitude is not None else ""
    label = " — ".join(words)
    if label and where:
        return f"Location: {label} ({where})"
    return f"Location: {label or where}"


def _contacts_text(contacts: Any) -> str:
    lines = []
    for contact in contacts if isinstance(contacts, list) else []:
        if not isinstance(contact, dict):
            continue
        name = contact.get("name")
        formatted = name.get("formatted_name") if isinstance(name, dict) else None
        listed = contact.get("phones")
        phones = [
            str(p.get("phone"))
            for p in (listed if isinstance(listed, list) else [])
            if isinstance(p, dict) and p.get("phone")
        ]
        lines.append(" ".join([str(formatted or "")] + phones).strip())
    return "Shared contact: " + "; ".join(line for line in lines if line)


def _status_event(status: dict[str, Any], where: str) -> InboundEvent | None:
    state = _STATUSES.get(str(status.get("status")))
    if state is None:
        return None  # e.g. "deleted", "warning": nothing to show on the message
    message_id = as_str(status.get("id"), f"{where}.id")
    occurred_at: datetime = from_timestamp(
        status.get("timestamp"), f"{where}.timestamp", milliseconds=False
    )
    return InboundEvent(
        kind="status",
        # One message goes through sent, delivered, read: each is its own event.
        event_id=f"{message_id}:{state}",
        external_user_id=as_str(status.get("recipient_id"), f"{where}.recipient_id"),
        occurred_at=occurred_at,
        external_message_id=message_id,
        status=state,
        status_error=_status_error(status.get("errors")) if state == "failed" else None,
    )


def _status_error(errors: Any) -> str:
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return "WhatsApp could not deliver the message."
    error = errors[0]
    data = error.get("error_data")
    details = opt_str(data.get("details")) if isinstance(data, dict) else None
    title = opt_str(error.get("title"))
    words = details or opt_str(error.get("message")) or title or "delivery failed"
    if title and title not in words:
        words = f"{title}: {words}"
    code = error.get("code")
    return f"{words} (code {code})" if code is not None else str(words)
