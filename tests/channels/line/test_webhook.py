"""LINE webhook verification and parsing, on fixtures signed as LINE signs them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.channels.base import PayloadInvalid, SignatureInvalid, WebhookRequest
from kefu.channels.line.adapter import ADAPTER, LineConfig, LineSecrets
from kefu.channels.line.webhook import sign
from tests.channels.line.conftest import fixture_body, signed
from tests.channels.line.fake_api import SECRET, TOKEN

SECRETS = LineSecrets(channel_secret=SECRET, channel_access_token=TOKEN)
CONFIG = LineConfig()
USER = "U4af4980629d3c0d0a0c1a7f3a5b4e6c1"


def parse(name: str) -> list:  # type: ignore[type-arg]
    request = signed(fixture_body(name))
    ADAPTER.verify(request, SECRETS)
    return ADAPTER.parse(request, CONFIG)


def test_known_signature_vector() -> None:
    # Computed independently: printf '%s' '{"events":[]}' | openssl dgst -sha256 -hmac KEY -binary
    # | base64 with KEY = the secret below.
    assert sign(b'{"events":[]}', "testsecret") == "7/zjpxmsANrs8ptIk/KkFoHlDrLSXUZV+eHj+1N7Rdg="


def test_text_message() -> None:
    [event] = parse("text.json")
    assert event.kind == "message"
    assert event.event_id == "01HBV4EYG8MV4Y1K8JW2S2XQ9C"
    assert event.external_user_id == USER
    assert event.text == "你好，我想問訂單 #1024 的進度"
    assert event.external_message_id == "468789577898262530"
    assert event.reply_token == "38ef843bde154d9b91c21320ffd17a0f"
    assert event.occurred_at == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert event.profile_name is None  # LINE sends no name: fetch_profile
    assert event.extra == {}


def test_redelivery_keeps_the_event_id() -> None:
    [first] = parse("text.json")
    [again] = parse("redelivery.json")
    assert again.event_id == first.event_id
    assert again.extra == {"line_redelivery": True}


def test_image_is_fetched_later_by_message_id() -> None:
    [event] = parse("image.json")
    assert event.text == ""
    [media] = event.media
    assert media.ref == "354718705033693859"
    assert media.data is None
    assert media.content_type == "image/jpeg"


def test_external_image_is_a_url() -> None:
    [event] = parse("image_external.json")
    assert event.media[0].ref == "EXTERNAL_BASE/photos/receipt.jpg"


def test_sticker() -> None:
    [event] = parse("sticker.json")
    assert event.text == "[sticker]"
    assert event.extra["line_sticker"] == {
        "packageId": "11537",
        "stickerId": "52002738",
        "stickerResourceType": "ANIMATION",
        "keywords": ["cony", "Thanks", "ok"],
    }


def test_follow_and_unfollow() -> None:
    [follow] = parse("follow.json")
    assert (follow.kind, follow.external_user_id) == ("follow", USER)
    assert follow.reply_token == "85cbe770fa8b4f45bbe077b1d4be4a36"
    [unfollow] = parse("unfollow.json")
    assert (unfollow.kind, unfollow.reply_token) == ("unfollow", None)


def test_postback_is_a_message_with_its_data() -> None:
    [event] = parse("postback.json")
    assert event.kind == "message"
    assert event.text == "action=book 2026-12-01T10:00"
    assert event.extra["line_postback"]["data"] == "action=book"


def test_group_events_and_unknown_types_are_skipped() -> None:
    [event] = parse("group_and_join.json")  # join, a group message, then a 1:1 message
    assert event.external_user_id == "U9bb4980629d3c0d0a0c1a7f3a5b4e6c9"
    assert event.text == "second in the same request"


def test_console_verify_request_has_no_events() -> None:
    assert parse("verify.json") == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-line-signature": ""},
        {"x-line-signature": sign(fixture_body("text.json"), "another-secret")},
        {"x-line-signature": sign(fixture_body("text.json") + b" ", SECRET)},
        {"x-line-signature": "not base64 at all"},
    ],
)
def test_wrong_or_missing_signature(headers: dict[str, str]) -> None:
    request = WebhookRequest(body=fixture_body("text.json"), headers=headers, query={})
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify(request, SECRETS)


def test_one_changed_byte_breaks_the_signature() -> None:
    body = fixture_body("text.json")
    request = signed(body)
    changed = body.replace(b"1024", b"1025")
    tampered = WebhookRequest(body=changed, headers=request.headers, query={})
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify(tampered, SECRETS)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"destination": "U1"}',
        b'{"events": [1]}',
        b'{"events": [{"type": "message", "source": {"type": "user", "userId": "U1"}}]}',
        b'{"events": [{"type": "message", "webhookEventId": "E", "timestamp": 1,'
        b' "source": {"type": "user", "userId": "U1"}}]}',
        b'{"events": [{"type": "follow", "webhookEventId": "E", "timestamp": "soon",'
        b' "source": {"type": "user", "userId": "U1"}}]}',
    ],
)
def test_malformed_payloads(body: bytes) -> None:
    with pytest.raises(PayloadInvalid):
        ADAPTER.parse(signed(body), CONFIG)


@given(st.binary(max_size=300), st.text(min_size=1, max_size=40))
def test_signature_round_trip(body: bytes, secret: str) -> None:
    secrets = LineSecrets(channel_secret=secret, channel_access_token="t")
    ADAPTER.verify(signed(body, secret), secrets)
