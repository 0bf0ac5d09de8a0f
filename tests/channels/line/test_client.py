"""LINE sends, profiles and media over real HTTP to the fake LINE API."""

from __future__ import annotations

import uuid

import pytest

from kefu.channels.base import (
    MediaRef,
    OutgoingAttachment,
    OutgoingMessage,
    SendFailed,
    SendRetryable,
)
from kefu.channels.line.adapter import ADAPTER
from kefu.channels.line.client import external_url_allowed, retry_key
from tests.channels.line.conftest import LineWorld
from tests.channels.line.fake_api import Scripted

USER = "U4af4980629d3c0d0a0c1a7f3a5b4e6c1"
REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
LONG_LABEL = "一個很長很長很長很長很長很長很長很長的選項"  # 21 characters: LINE allows 20


def outgoing(**kwargs: object) -> OutgoingMessage:
    values: dict[str, object] = {"message_id": 41, "recipient": USER, "text": "您好，已為您查詢"}
    values.update(kwargs)
    return OutgoingMessage(**values)  # type: ignore[arg-type]


def attachment(name: str, content_type: str, url: str, size: int = 2048) -> OutgoingAttachment:
    async def read() -> bytes:
        return b"x" * size

    return OutgoingAttachment(name, content_type, size, url, read)


async def test_reply_with_a_fresh_token(line: LineWorld) -> None:
    line.fake.reply_tokens.add("fresh-token")
    result = await ADAPTER.send(line.ctx, outgoing(reply_token="fresh-token"))
    assert result.used_reply_token is True
    assert result.external_message_id is not None
    [call] = line.fake.received
    assert call.path == REPLY
    assert call.headers["authorization"] == "Bearer line-channel-access-token-for-tests"
    assert call.body == {
        "replyToken": "fresh-token",
        "messages": [{"type": "text", "text": "您好，已為您查詢"}],
    }
    assert "x-line-retry-key" not in call.headers  # LINE refuses retry keys on replies


async def test_push_without_a_token(line: LineWorld) -> None:
    result = await ADAPTER.send(line.ctx, outgoing())
    assert result.used_reply_token is False
    [call] = line.fake.received
    assert call.path == PUSH
    assert call.body == {"to": USER, "messages": [{"type": "text", "text": "您好，已為您查詢"}]}
    key = call.headers["x-line-retry-key"]
    assert uuid.UUID(key) and key == retry_key(outgoing(), 0)
    assert result.external_message_id == line.fake.accepted_retry_keys[key][0]["id"]


async def test_invalid_reply_token_falls_back_to_push_in_the_same_send(line: LineWorld) -> None:
    result = await ADAPTER.send(line.ctx, outgoing(reply_token="expired-token"))
    assert result.used_reply_token is False
    assert [c.path for c in line.fake.received] == [REPLY, PUSH]
    assert result.external_message_id is not None


async def test_retried_push_after_a_lost_answer_is_sent_once(line: LineWorld) -> None:
    # LINE accepted the push but the answer was a 500: the outbox retries with the same key.
    line.fake.script(PUSH, Scripted(500, {"message": "Internal server error"}, accept=True))
    with pytest.raises(SendRetryable, match="LINE 500"):
        await ADAPTER.send(line.ctx, outgoing())
    result = await ADAPTER.send(line.ctx, outgoing())
    assert [c.path for c in line.fake.received] == [PUSH, PUSH]
    first, second = line.fake.received
    assert first.headers["x-line-retry-key"] == second.headers["x-line-retry-key"]
    # 409 "already accepted" is a success, with the id of what was sent.
    key = first.headers["x-line-retry-key"]
    assert result.external_message_id == line.fake.accepted_retry_keys[key][0]["id"]


async def test_retry_keys_differ_per_message_and_recipient() -> None:
    keys = {
        retry_key(outgoing(), 0),
        retry_key(outgoing(message_id=42), 0),
        retry_key(outgoing(recipient="U" + "0" * 32), 0),
        retry_key(outgoing(), 1),
    }
    assert len(keys) == 4
    assert retry_key(outgoing(), 0) == retry_key(outgoing(text="other"), 0)


async def test_rate_limit_and_server_errors_are_retryable(line: LineWorld) -> None:
    line.fake.script(
        PUSH,
        Scripted(429, {"message": "Too Many Requests"}, headers={"retry-after": "7"}),
        Scripted(503, {"message": "Service Unavailable"}),
    )
    with pytest.raises(SendRetryable) as limited:
        await ADAPTER.send(line.ctx, outgoing())
    assert limited.value.retry_after == 7.0
    assert "Too Many Requests" in limited.value.reason
    with pytest.raises(SendRetryable):
        await ADAPTER.send(line.ctx, outgoing())
    assert (await ADAPTER.send(line.ctx, outgoing())).external_message_id


async def test_client_errors_are_permanent_with_lines_words(line: LineWorld) -> None:
    with pytest.raises(SendFailed) as bad:
        await ADAPTER.send(line.ctx, outgoing(recipient="not-a-user"))
    assert bad.value.reason == "LINE 400: Failed to send messages"
    line.fake.token = "rotated"
    with pytest.raises(SendFailed) as unauthorized:
        await ADAPTER.send(line.ctx, outgoing())
    assert "Authentication failed" in unauthorized.value.reason


async def test_unreachable_api_is_retryable(line: LineWorld) -> None:
    ctx = line.ctx
    ctx.config.api_base = "http://127.0.0.1:9"  # discard port: connection refused
    with pytest.raises(SendRetryable, match="unreachable"):
        await ADAPTER.send(ctx, outgoing())


async def test_images_quick_replies_and_links(line: LineWorld) -> None:
    line.fake.reply_tokens.add("t")
    message = outgoing(
        reply_token="t",
        attachments=(
            attachment("receipt.png", "image/png", "https://kefu.example/f/1?sig=a"),
            attachment("manual.pdf", "application/pdf", "https://kefu.example/f/2?sig=b"),
        ),
        quick_replies=(("是", "是"), (LONG_LABEL, "long"), ("否", "")),
    )
    await ADAPTER.send(line.ctx, message)
    [call] = line.fake.received
    messages = call.body["messages"]
    assert messages[0] == {"type": "text", "text": "您好，已為您查詢"}
    assert messages[1] == {
        "type": "image",
        "originalContentUrl": "https://kefu.example/f/1?sig=a",
        "previewImageUrl": "https://kefu.example/f/1?sig=a",
    }
    assert messages[2]["text"] == "manual.pdf\nhttps://kefu.example/f/2?sig=b"
    items = messages[2]["quickReply"]["items"]
    assert [i["action"]["label"] for i in items] == ["是", LONG_LABEL[:19] + "…", "否"]
    assert [i["action"]["text"] for i in items] == ["是", "long", "否"]
    assert all("quickReply" not in m for m in messages[:2])


async def test_at_most_13_quick_replies(line: LineWorld) -> None:
    buttons = tuple((f"b{i}", f"v{i}") for i in range(20))
    await ADAPTER.send(line.ctx, outgoing(quick_replies=buttons))
    assert len(line.fake.received[0].body["messages"][0]["quickReply"]["items"]) == 13


async def test_more_than_five_objects_are_split_and_only_the_first_part_replies(
    line: LineWorld,
) -> None:
    line.fake.reply_tokens.add("t")
    files = tuple(
        attachment(f"p{i}.jpg", "image/jpeg", f"https://kefu.example/p{i}") for i in range(6)
    )
    result = await ADAPTER.send(line.ctx, outgoing(reply_token="t", attachments=files))
    assert result.used_reply_token
    assert [c.path for c in line.fake.received] == [REPLY, PUSH]
    assert [len(c.body["messages"]) for c in line.fake.received] == [5, 2]
    assert line.fake.received[1].headers["x-line-retry-key"] == retry_key(outgoing(), 1)


async def test_long_text_is_split_at_5000_characters(line: LineWorld) -> None:
    await ADAPTER.send(line.ctx, outgoing(text="字" * 5001))
    texts = [m["text"] for m in line.fake.received[0].body["messages"]]
    assert [len(t) for t in texts] == [5000, 1]


async def test_an_image_needs_an_https_url(line: LineWorld) -> None:
    message = outgoing(attachments=(attachment("a.jpg", "image/jpeg", "http://kefu.local/f/1"),))
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(line.ctx, message)
    assert "HTTPS" in failed.value.reason
    assert line.fake.received == []


async def test_profile(line: LineWorld) -> None:
    line.fake.profiles[USER] = {
        "displayName": "王小明",
        "userId": USER,
        "language": "zh-TW",
        "pictureUrl": "https://profile.line-scdn.net/abc",
        "statusMessage": "Hello",
    }
    profile = await ADAPTER.fetch_profile(line.ctx, USER)
    assert profile is not None
    assert (profile.name, profile.avatar_url) == ("王小明", "https://profile.line-scdn.net/abc")
    assert line.fake.received[0].path == f"/v2/bot/profile/{USER}"
    # Blocked, or never a friend: LINE answers 404 and there is no name to show.
    assert await ADAPTER.fetch_profile(line.ctx, "U" + "1" * 32) is None
    line.fake.script(f"/v2/bot/profile/{USER}", Scripted(500, {"message": "error"}))
    with pytest.raises(SendRetryable):
        await ADAPTER.fetch_profile(line.ctx, USER)


async def test_media_from_the_data_host(line: LineWorld) -> None:
    line.fake.contents["354718705033693859"] = (b"\xff\xd8\xff\xe0jpeg", "image/jpeg")
    fetched = await ADAPTER.fetch_media(line.ctx, MediaRef(ref="354718705033693859"))
    assert (fetched.data, fetched.content_type) == (b"\xff\xd8\xff\xe0jpeg", "image/jpeg")
    [call] = line.fake.received
    assert call.path == "/v2/bot/message/354718705033693859/content"
    assert call.headers["authorization"].startswith("Bearer ")
    with pytest.raises(SendFailed) as gone:
        await ADAPTER.fetch_media(line.ctx, MediaRef(ref="999"))
    assert gone.value.code == "media_unavailable"
    line.fake.script("/v2/bot/message/5/content", Scripted(202, {}))
    with pytest.raises(SendRetryable):
        await ADAPTER.fetch_media(line.ctx, MediaRef(ref="5"))


async def test_external_media_is_fetched_without_lines_token(line: LineWorld) -> None:
    line.fake.external["receipt.jpg"] = (b"\xff\xd8external", "image/jpeg")
    ref = MediaRef(ref=f"{line.external_base}/photos/receipt.jpg", content_type="image/jpeg")
    fetched = await ADAPTER.fetch_media(line.ctx, ref)
    assert fetched.data == b"\xff\xd8external"
    [call] = line.fake.received
    assert "authorization" not in call.headers


def test_external_media_urls_must_be_public_https() -> None:
    public = "https://api-data.line.me"
    assert external_url_allowed("https://cdn.example.com/a.jpg", public)
    assert not external_url_allowed("http://cdn.example.com/a.jpg", public)
    assert not external_url_allowed("https://127.0.0.1/a.jpg", public)
    assert not external_url_allowed("https://10.1.2.3/a.jpg", public)
    assert not external_url_allowed("https://printer.local/a.jpg", public)
    assert not external_url_allowed("https://[::1]/a.jpg", public)
    # A deployment whose LINE API is on loopback (these tests) may fetch from loopback.
    assert external_url_allowed("http://127.0.0.1:8000/a.jpg", "http://127.0.0.1:9000")


async def test_external_media_on_a_private_host_is_refused(line: LineWorld) -> None:
    ctx = line.ctx
    ctx.config.api_data_base = "https://api-data.line.me"
    with pytest.raises(SendFailed) as refused:
        await ADAPTER.fetch_media(ctx, MediaRef(ref="http://169.254.169.254/latest/meta-data"))
    assert refused.value.code == "media_unavailable"
    assert line.fake.received == []
