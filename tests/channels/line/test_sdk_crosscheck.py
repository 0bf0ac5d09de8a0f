"""LINE's official Python SDK (line-bot-sdk, a test-only dependency) as an independent check of
kefu's signature check, webhook parsing and the request bodies kefu sends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest
from linebot.v3.webhook import SignatureValidator
from linebot.v3.webhooks import (
    FollowEvent,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
)

from kefu.channels.base import SignatureInvalid, WebhookRequest
from kefu.channels.line.adapter import ADAPTER, LineConfig, LineSecrets
from kefu.channels.line.webhook import sign
from tests.channels.line.conftest import FIXTURES, LineWorld, fixture_body, signed
from tests.channels.line.fake_api import SECRET, TOKEN
from tests.channels.line.test_client import attachment, outgoing

SECRETS = LineSecrets(channel_secret=SECRET, channel_access_token=TOKEN)
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_the_sdk_accepts_our_signature_and_agrees_on_the_events(name: str) -> None:
    request = signed(fixture_body(name))
    ADAPTER.verify(request, SECRETS)
    ours = ADAPTER.parse(request, LineConfig())
    payload = WebhookParser(SECRET).parse(
        request.body.decode(), request.headers["x-line-signature"], as_payload=True
    )
    theirs = [
        e
        for e in payload.events
        if isinstance(e, MessageEvent | FollowEvent | UnfollowEvent | PostbackEvent)
        and e.source is not None
        and e.source.type == "user"
    ]
    assert [e.webhook_event_id for e in theirs] == [e.event_id for e in ours]
    for sdk_event, event in zip(theirs, ours, strict=True):
        assert sdk_event.source.user_id == event.external_user_id
        assert sdk_event.timestamp == int(event.occurred_at.timestamp() * 1000)
        assert sdk_event.delivery_context.is_redelivery == bool(event.extra.get("line_redelivery"))
        assert getattr(sdk_event, "reply_token", None) == event.reply_token
        if isinstance(sdk_event, FollowEvent | UnfollowEvent):
            assert event.kind == sdk_event.type
        elif isinstance(sdk_event, PostbackEvent):
            assert event.extra["line_postback"]["data"] == sdk_event.postback.data
        else:
            content = sdk_event.message
            assert event.external_message_id == content.id
            if isinstance(content, TextMessageContent):
                assert event.text == content.text
            elif isinstance(content, ImageMessageContent):
                expected = content.content_provider.original_content_url or content.id
                assert event.media[0].ref == expected
            elif isinstance(content, StickerMessageContent):
                assert event.extra["line_sticker"]["stickerId"] == content.sticker_id


@given(st.binary(max_size=200), st.text(min_size=1, max_size=32), st.text(max_size=60))
def test_signature_decisions_match_the_sdk(body: bytes, secret: str, forged: str) -> None:
    for signature in (sign(body, secret), forged):
        theirs = SignatureValidator(secret).validate(body.decode("latin-1"), signature)
        # The SDK hashes the text as UTF-8: compare on the bytes it actually signs.
        sdk_bytes = body.decode("latin-1").encode()
        request = WebhookRequest(body=sdk_bytes, headers={"x-line-signature": signature}, query={})
        secrets = LineSecrets(channel_secret=secret, channel_access_token="t")
        try:
            ADAPTER.verify(request, secrets)
            ours = True
        except SignatureInvalid:
            ours = False
        assert ours == theirs


def test_the_sdk_refuses_a_wrong_signature_too() -> None:
    body = fixture_body("text.json").decode()
    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(body, sign(b"other", SECRET))


async def test_the_sdk_accepts_the_bodies_we_send(line: LineWorld) -> None:
    line.fake.reply_tokens.add("t")
    files = tuple(
        attachment(f"p{i}.jpg", "image/jpeg", f"https://kefu.example/p{i}") for i in range(5)
    )
    await ADAPTER.send(
        line.ctx,
        outgoing(reply_token="t", attachments=files, quick_replies=(("好", "好"), ("不要", "no"))),
    )
    reply, push = line.fake.received
    parsed_reply = ReplyMessageRequest.from_dict(reply.body)
    assert parsed_reply.reply_token == "t" and len(parsed_reply.messages) == 5
    parsed_push = PushMessageRequest.from_dict(push.body)
    assert parsed_push.to == "U4af4980629d3c0d0a0c1a7f3a5b4e6c1"
    quick = parsed_push.messages[-1].quick_reply
    assert [item.action.label for item in quick.items] == ["好", "不要"]
