"""WhatsApp webhooks: the handshake, the X-Hub-Signature-256 check over the raw bytes, and every
documented message and status shape turned into InboundEvents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kefu.channels.base import PayloadInvalid, SignatureInvalid, WebhookRequest, adapter_for
from kefu.channels.whatsapp.adapter import ADAPTER
from kefu.channels.whatsapp.config import WhatsAppConfig, WhatsAppSecrets
from tests.channels.whatsapp.fake_api import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    WABA_ID,
    meta_signature,
)

FIXTURES = Path(__file__).parent / "fixtures"
CONFIG = WhatsAppConfig(phone_number_id=PHONE_NUMBER_ID, waba_id=WABA_ID)
SECRETS = WhatsAppSecrets(access_token="t", app_secret=APP_SECRET, verify_token=VERIFY_TOKEN)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def signed(body: bytes, secret: str = APP_SECRET) -> WebhookRequest:
    return WebhookRequest(
        body=body,
        headers={"x-hub-signature-256": meta_signature(body, secret)},
        query={},
    )


def test_registered() -> None:
    assert adapter_for("whatsapp") is ADAPTER


def test_handshake_echoes_the_challenge_only_for_our_verify_token() -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    assert ADAPTER.handshake(WebhookRequest(b"", {}, query), SECRETS) == "1158201444"
    for wrong in (
        {**query, "hub.verify_token": "guess"},
        {**query, "hub.mode": "unsubscribe"},
        {k: v for k, v in query.items() if k != "hub.challenge"},
        {},
    ):
        assert ADAPTER.handshake(WebhookRequest(b"", {}, wrong), SECRETS) is None


def test_signature_is_checked_over_the_exact_raw_bytes() -> None:
    # The fixture escapes non-ASCII and "/" as Meta does (\u4f60, https:\/\/): re-serialising
    # the JSON before checking would change the bytes and fail.
    body = fixture("text.json")
    assert b"\\u4f60" in body and b"\\/" in body
    ADAPTER.verify(signed(body), SECRETS)
    uppercase = signed(body).headers["x-hub-signature-256"].replace("sha256=", "").upper()
    ADAPTER.verify(
        WebhookRequest(body, {"x-hub-signature-256": "sha256=" + uppercase}, {}), SECRETS
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-hub-signature-256": ""},
        {"x-hub-signature-256": "sha1=abc"},
        {"x-hub-signature": meta_signature(b"{}")},  # the legacy SHA-1 header name is not enough
        {"x-hub-signature-256": meta_signature(fixture("text.json"), "another app's secret")},
        {"x-hub-signature-256": meta_signature(fixture("text.json") + b" ")},
    ],
)
def test_wrong_or_missing_signature_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify(WebhookRequest(fixture("text.json"), headers, {}), SECRETS)


def test_text_message() -> None:
    [event] = ADAPTER.parse(signed(fixture("text.json")), CONFIG)
    assert event.kind == "message"
    assert event.event_id == event.external_message_id
    assert event.event_id.startswith("wamid.")
    assert event.external_user_id == "886912345678"
    assert event.verified_phone == "+886912345678"
    assert event.profile_name == "陳小明 Sheena"
    assert event.text == "你好, my order https://shop.example/o/123 has not arrived"
    assert event.occurred_at == datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC)


def test_media_messages_carry_a_media_id_to_fetch_later() -> None:
    events = ADAPTER.parse(signed(fixture("media.json")), CONFIG)
    kinds = [e.extra["whatsapp_type"] for e in events]
    assert kinds == ["image", "document", "audio", "video", "sticker"]
    image, document, audio, _video, sticker = events
    assert image.text == "The broken part"
    assert image.media[0].ref == "1003383421387256"
    assert image.media[0].content_type == "image/jpeg"
    assert image.media[0].data is None
    assert document.media[0].file_name == "invoice-2025-06.pdf"
    assert document.text == "Invoice"
    assert audio.text == "" and audio.media[0].content_type == "audio/ogg; codecs=opus"
    assert sticker.media[0].content_type == "image/webp"


def test_choices_locations_contacts_reactions_and_unsupported_become_text() -> None:
    events = {e.event_id: e for e in ADAPTER.parse(signed(fixture("choices.json")), CONFIG)}
    assert len(events) == 8
    button = events["wamid.BUTTONREPLY1"]
    assert button.text == "Refund please"
    assert button.extra["reply_id"] == "refund"
    assert button.extra["reply_to"] == "wamid.FAKE1"
    assert events["wamid.LISTREPLY1"].text == "Tuesday 10:00"
    assert events["wamid.TEMPLATEBUTTON1"].text == "Stop promotions"
    assert events["wamid.TEMPLATEBUTTON1"].extra["reply_id"] == "STOP_PROMOS"
    location = events["wamid.LOCATION1"].text
    assert "Taipei 101" in location and "25.033976, 121.564472" in location
    assert events["wamid.CONTACTS1"].text == "Shared contact: Barbara Johnson +1 (940) 555-1234"
    reaction = events["wamid.REACTION1"]
    assert reaction.text == "Reacted 👍 to a message"
    assert reaction.extra["reaction"] == "👍" and reaction.extra["reaction_to"] == "wamid.FAKE1"
    assert events["wamid.UNREACTION1"].text == "Removed a reaction"
    unsupported = events["wamid.UNSUPPORTED1"]
    assert unsupported.kind == "message"  # never dropped
    assert "unsupported" in unsupported.text and "Message type unknown" in unsupported.text
    assert unsupported.extra["placeholder"] is True


def test_statuses_are_one_event_per_state_with_the_error_of_a_failure() -> None:
    events = ADAPTER.parse(signed(fixture("statuses.json")), CONFIG)
    assert [(e.kind, e.event_id, e.status) for e in events] == [
        ("status", "wamid.FAKE1:sent", "sent"),
        ("status", "wamid.FAKE1:delivered", "delivered"),
        ("status", "wamid.FAKE1:read", "read"),
        ("status", "wamid.FAKE2:failed", "failed"),
    ]
    assert all(e.external_user_id == "16505551234" for e in events)
    assert events[0].external_message_id == "wamid.FAKE1"
    assert events[0].status_error is None
    assert events[3].status_error == "Message undeliverable: Message Undeliverable. (code 131026)"


def test_changes_for_another_phone_number_and_other_fields_are_skipped() -> None:
    assert ADAPTER.parse(signed(fixture("other_number.json")), CONFIG) == []
    other = CONFIG.model_copy(update={"phone_number_id": "999999999999999"})
    [event] = ADAPTER.parse(signed(fixture("other_number.json")), other)
    assert event.text == "for the other number"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account"}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": "x"}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",'
        b' "value": {"metadata": {"phone_number_id": "106540352242922"},'
        b' "messages": [{"id": "wamid.X", "timestamp": "1", "type": "text"}]}}]}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",'
        b' "value": {"metadata": {"phone_number_id": "106540352242922"},'
        b' "messages": [{"from": "1", "id": "wamid.X", "timestamp": "soon", "type": "text"}]}}]}]}',
    ],
)
def test_bodies_off_the_documented_shape_are_payload_invalid(body: bytes) -> None:
    with pytest.raises(PayloadInvalid):
        ADAPTER.parse(signed(body), CONFIG)


def test_config_rejects_a_bad_api_base_and_trims_its_slash() -> None:
    assert WhatsAppConfig(
        api_base="http://127.0.0.1:9/", phone_number_id="1", waba_id="2"
    ).api_base == ("http://127.0.0.1:9")
    with pytest.raises(ValueError):
        WhatsAppConfig(api_base="ftp://x", phone_number_id="1", waba_id="2")
    with pytest.raises(ValueError):
        WhatsAppConfig(phone_number_id="+1 555", waba_id="2")
