"""Messenger webhooks: the handshake, the X-Hub-Signature-256 check over the raw bytes, messages,
attachments, postbacks, echoes skipped, deliveries and read watermarks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kefu.channels.base import PayloadInvalid, SignatureInvalid, WebhookRequest, adapter_for
from kefu.channels.messenger.adapter import ADAPTER, HUMAN_AGENT_WINDOW
from kefu.channels.messenger.config import MessengerConfig, MessengerSecrets
from tests.channels.messenger.fake_api import APP_SECRET, PAGE_ID, VERIFY_TOKEN, meta_signature

FIXTURES = Path(__file__).parent / "fixtures"
CONFIG = MessengerConfig(page_id=PAGE_ID)
SECRETS = MessengerSecrets(page_access_token="t", app_secret=APP_SECRET, verify_token=VERIFY_TOKEN)
PSID = "6789012345678901"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def signed(body: bytes, secret: str = APP_SECRET) -> WebhookRequest:
    return WebhookRequest(body, {"x-hub-signature-256": meta_signature(body, secret)}, {})


def test_registered_with_a_24_hour_window() -> None:
    assert adapter_for("messenger") is ADAPTER
    assert ADAPTER.reply_window is not None and ADAPTER.reply_window.total_seconds() == 86400
    assert ADAPTER.reply_window_for(CONFIG) == ADAPTER.reply_window
    with_tag = CONFIG.model_copy(update={"human_agent_tag": True})
    assert ADAPTER.reply_window_for(with_tag) == HUMAN_AGENT_WINDOW


def test_handshake() -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "CHALLENGE",
    }
    assert ADAPTER.handshake(WebhookRequest(b"", {}, query), SECRETS) == "CHALLENGE"
    wrong = {**query, "hub.verify_token": VERIFY_TOKEN + "x"}
    assert ADAPTER.handshake(WebhookRequest(b"", {}, wrong), SECRETS) is None


def test_signature() -> None:
    body = fixture("text.json")
    assert b"\\u8acb" in body and b"\\/" in body  # escaped as Meta sends it
    ADAPTER.verify(signed(body), SECRETS)
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify(signed(body, "whatsapp-app-secret"), SECRETS)
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify(WebhookRequest(body, {}, {}), SECRETS)
    tampered = WebhookRequest(body.replace(b"42", b"43"), signed(body).headers, {})
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify(tampered, SECRETS)


def test_text_message() -> None:
    [event] = ADAPTER.parse(signed(fixture("text.json")), CONFIG)
    assert event.kind == "message"
    assert event.event_id == event.external_message_id
    assert event.event_id.startswith("m_AG5Hz2")
    assert event.external_user_id == PSID
    assert event.text == "請問還有貨嗎? https://shop.example/p/42"
    assert event.occurred_at == datetime(2025, 6, 8, 20, 59, 43, 123000, tzinfo=UTC)
    assert event.verified_phone is None and event.profile_name is None  # fetch_profile's job


def test_attachments_postbacks_and_reactions() -> None:
    events = {e.event_id: e for e in ADAPTER.parse(signed(fixture("kinds.json")), CONFIG)}
    assert len(events) == 8  # the optin is skipped
    photos = events["m_ATTACHMENTS1"]
    assert photos.text == "Photos of the damage"
    assert [m.ref for m in photos.media] == [
        "https://scontent.xx.fbcdn.net/v/t1.15752-9/damage1.jpg?_nc_cat=1&oh=abc",
        "https://cdn.fbsbx.com/v/t59.2708-21/receipt.pdf?_nc_cat=2",
    ]
    sticker = events["m_STICKER1"]
    assert sticker.text == "" and len(sticker.media) == 1
    quick = events["m_QUICKREPLY1"]
    assert quick.text == "Yes"
    assert quick.extra == {"reply_id": "HELPFUL_YES", "reply_to": "m_FAKE1"}
    template = events["m_TEMPLATE1"]
    assert "template" in template.text and template.extra["placeholder"] is True
    assert events["m_FALLBACK1"].text == "Our summer sale https://shop.example/sale"
    postback = events["m_POSTBACK1"]
    assert (postback.kind, postback.text) == ("message", "Talk to a person")
    assert postback.extra["postback_payload"] == "HUMAN_HANDOFF"
    started = events[f"postback:{PSID}:1749416400007"]  # no mid: sender + timestamp
    assert started.text == "Get Started"
    reaction = events[f"reaction:m_FAKE1:{PSID}:1749416400008"]
    assert reaction.text == "Reacted ❤ to a message"


def test_echoes_of_the_pages_own_messages_are_skipped() -> None:
    assert ADAPTER.parse(signed(fixture("echo.json")), CONFIG) == []


def test_other_pages_and_standby_are_skipped() -> None:
    assert ADAPTER.parse(signed(fixture("other_page.json")), CONFIG) == []


def test_deliveries_per_mid_and_watermarks() -> None:
    events = ADAPTER.parse(signed(fixture("statuses.json")), CONFIG)
    assert [(e.event_id, e.status, e.external_message_id) for e in events] == [
        ("m_FAKE1:delivered", "delivered", "m_FAKE1"),
        ("m_FAKE2:delivered", "delivered", "m_FAKE2"),
        (f"delivered:{PSID}:1749416601000", "delivered", None),
        (f"read:{PSID}:1749416650253", "read", None),
    ]
    read = events[-1]
    assert read.kind == "status" and read.external_user_id == PSID
    # The watermark is the time up to which every message we sent was read.
    assert read.occurred_at == datetime(2025, 6, 8, 21, 4, 10, 253000, tzinfo=UTC)
    assert read.extra == {"watermark": 1749416650253}


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"object": "whatsapp_business_account", "entry": []}',
        b'{"object": "instagram", "entry": []}',
        b'{"object": "page", "entry": {}}',
        b'{"object": "page", "entry": [{"id": "1234567890123456", "messaging": [{}]}]}',
        b'{"object": "page", "entry": [{"id": "1234567890123456", "messaging": [{"sender":'
        b' {"id": "1"}, "recipient": {"id": "1234567890123456"}, "timestamp": 1,'
        b' "message": {"text": "no mid"}}]}]}',
        b'{"object": "page", "entry": [{"id": "1234567890123456", "messaging": [{"sender":'
        b' {"id": "1"}, "recipient": {"id": "1234567890123456"}, "read": {}}]}]}',
    ],
)
def test_bodies_off_the_documented_shape_are_payload_invalid(body: bytes) -> None:
    with pytest.raises(PayloadInvalid):
        ADAPTER.parse(signed(body), CONFIG)
