"""Messenger sends, profiles and attachment downloads over real HTTP to the fake Graph API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from kefu.channels.base import (
    ChannelContext,
    MediaRef,
    OutgoingAttachment,
    OutgoingMessage,
    Profile,
    SendFailed,
    SendRetryable,
    Template,
)
from kefu.channels.messenger.adapter import ADAPTER
from kefu.channels.messenger.config import MessengerConfig, MessengerSecrets
from tests.channels.messenger.fake_api import (
    APP_SECRET,
    PAGE_ID,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    VERSION,
    FakeMessenger,
    graph_error,
)
from tests.channels.provider_server import serve_asgi

PSID = "6789012345678901"


@dataclass
class Setup:
    fake: FakeMessenger
    ctx: ChannelContext
    base_url: str


@pytest.fixture
async def fb() -> AsyncIterator[Setup]:
    fake = FakeMessenger()
    async with serve_asgi(fake.app()) as base_url, httpx.AsyncClient() as http:
        config = MessengerConfig(api_base=base_url, api_version=VERSION, page_id=PAGE_ID)
        secrets = MessengerSecrets(
            page_access_token=PAGE_TOKEN, app_secret=APP_SECRET, verify_token=VERIFY_TOKEN
        )
        yield Setup(fake, ChannelContext(config=config, secrets=secrets, http=http), base_url)


def with_config(setup: Setup, **changes: object) -> ChannelContext:
    return ChannelContext(
        config=setup.ctx.config.model_copy(update=changes),
        secrets=setup.ctx.secrets,
        http=setup.ctx.http,
    )


def attachment(name: str, content_type: str) -> OutgoingAttachment:
    async def read() -> bytes:
        return b"data"

    return OutgoingAttachment(name, content_type, 4, f"https://kefu.example/f/{name}?sig=1", read)


async def test_text_with_quick_replies_is_sent_as_a_response(fb: Setup) -> None:
    message = OutgoingMessage(
        1, PSID, "還需要其他協助嗎？", quick_replies=(("是", "YES"), ("不用了", "NO"))
    )
    result = await ADAPTER.send(fb.ctx, message)
    assert result.external_message_id == "m_FAKE1"
    [request] = fb.fake.requests
    assert request.path == f"/{VERSION}/{PAGE_ID}/messages"
    assert request.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    assert "access_token" not in request.query  # the token stays out of URLs and logs
    assert request.json == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {
            "text": "還需要其他協助嗎？",
            "quick_replies": [
                {"content_type": "text", "title": "是", "payload": "YES"},
                {"content_type": "text", "title": "不用了", "payload": "NO"},
            ],
        },
    }


async def test_too_many_quick_replies_are_listed_in_the_text(fb: Setup) -> None:
    choices = tuple((f"Option {n}", str(n)) for n in range(14))
    await ADAPTER.send(fb.ctx, OutgoingMessage(2, PSID, "Pick", quick_replies=choices))
    [body] = fb.fake.sent
    assert "quick_replies" not in body["message"]
    assert body["message"]["text"].startswith("Pick\n\n1. Option 0\n")


async def test_files_go_by_url_after_the_text(fb: Setup) -> None:
    files = (attachment("photo.jpg", "image/jpeg"), attachment("manual.pdf", "application/pdf"))
    result = await ADAPTER.send(fb.ctx, OutgoingMessage(3, PSID, "See these", attachments=files))
    assert result.external_message_id == "m_FAKE1"
    text, photo, manual = fb.fake.sent
    assert text["message"] == {"text": "See these"}
    assert photo["message"] == {
        "attachment": {
            "type": "image",
            "payload": {"url": "https://kefu.example/f/photo.jpg?sig=1", "is_reusable": False},
        }
    }
    assert manual["message"]["attachment"]["type"] == "file"


async def test_outside_the_window_fails_with_channel_window_closed(fb: Setup) -> None:
    fb.fake.outside_window.add(PSID)
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(fb.ctx, OutgoingMessage(4, PSID, "Hello again"))
    assert failed.value.code == "channel_window_closed"
    assert "outside of allowed window" in failed.value.reason
    assert len(fb.fake.requests) == 1  # no HUMAN_AGENT retry without the permission


async def test_human_agent_tag_is_used_outside_the_window_when_allowed(fb: Setup) -> None:
    fb.fake.outside_window.add(PSID)
    fb.fake.human_agent_allowed = True
    ctx = with_config(fb, human_agent_tag=True)
    result = await ADAPTER.send(ctx, OutgoingMessage(5, PSID, "Following up on your refund"))
    assert result.external_message_id == "m_FAKE1"
    first, second = fb.fake.sent
    assert first["messaging_type"] == "RESPONSE"
    assert second["messaging_type"] == "MESSAGE_TAG" and second["tag"] == "HUMAN_AGENT"
    # Within the window the tag is not used at all.
    fb.fake.outside_window.clear()
    await ADAPTER.send(ctx, OutgoingMessage(6, PSID, "More"))
    assert fb.fake.sent[-1]["messaging_type"] == "RESPONSE"


async def test_human_agent_tag_past_seven_days_is_window_closed(fb: Setup) -> None:
    fb.fake.outside_window.add(PSID)  # and the app has no (more) right to the tag
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(with_config(fb, human_agent_tag=True), OutgoingMessage(7, PSID, "Hi"))
    assert failed.value.code == "channel_window_closed"
    assert len(fb.fake.sent) == 2


@pytest.mark.parametrize(
    ("status", "code", "headers", "retry_after"),
    [
        (429, 613, {"Retry-After": "11"}, 11.0),
        (400, 4, {}, None),  # app rate limit
        (400, 32, {}, None),  # page rate limit
        (400, 613, {}, None),
        (500, 1200, {}, None),  # temporary send failure
        (502, 1, {}, None),
    ],
)
async def test_rate_limits_and_outages_are_retryable(
    fb: Setup, status: int, code: int, headers: dict[str, str], retry_after: float | None
) -> None:
    status_, body, _ = graph_error(status, code, "Calls to this api have exceeded the rate limit.")
    fb.fake.fail_next.append((status_, body, headers))
    with pytest.raises(SendRetryable) as retry:
        await ADAPTER.send(fb.ctx, OutgoingMessage(8, PSID, "Hi"))
    assert retry.value.retry_after == retry_after
    assert (await ADAPTER.send(fb.ctx, OutgoingMessage(8, PSID, "Hi"))).external_message_id


async def test_other_errors_fail_with_the_providers_message(fb: Setup) -> None:
    fb.fake.fail_next.append(
        graph_error(400, 551, "(#551) This person isn't available right now.", subcode=1545041)
    )
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(fb.ctx, OutgoingMessage(9, PSID, "Hi"))
    assert failed.value.reason == "400: (#551) This person isn't available right now. (code 551)"


async def test_templates_are_not_a_messenger_thing(fb: Setup) -> None:
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(fb.ctx, OutgoingMessage(10, PSID, "text", template=Template("x", "en")))
    assert failed.value.code == "template_unsupported"
    assert fb.fake.requests == []


async def test_profile(fb: Setup) -> None:
    fb.fake.profiles[PSID] = {
        "first_name": "美玲",
        "last_name": "林",
        "profile_pic": "https://platform-lookaside.fbsbx.com/pic.jpg",
        "locale": "zh_TW",
    }
    profile = await ADAPTER.fetch_profile(fb.ctx, PSID)
    assert profile == Profile(
        name="美玲 林", avatar_url="https://platform-lookaside.fbsbx.com/pic.jpg"
    )
    [request] = fb.fake.requests
    assert request.path == f"/{VERSION}/{PSID}"
    assert request.query == {"fields": "first_name,last_name,profile_pic"}
    assert request.headers["authorization"] == f"Bearer {PAGE_TOKEN}"


async def test_profile_refused_is_no_name_and_throttled_is_retried(fb: Setup) -> None:
    assert await ADAPTER.fetch_profile(fb.ctx, "1111") is None
    fb.fake.fail_next.append(graph_error(400, 4, "Application request limit reached"))
    with pytest.raises(SendRetryable):
        await ADAPTER.fetch_profile(fb.ctx, PSID)


async def test_fetch_media_downloads_the_cdn_url_without_the_page_token(fb: Setup) -> None:
    fb.fake.files["damage1.jpg"] = (b"\xff\xd8 a jpeg", "image/jpeg")
    fetched = await ADAPTER.fetch_media(fb.ctx, MediaRef(ref=f"{fb.base_url}/cdn/damage1.jpg?oh=1"))
    assert fetched.data == b"\xff\xd8 a jpeg"
    assert fetched.content_type == "image/jpeg"
    assert fetched.file_name == "damage1.jpg"
    assert "authorization" not in fb.fake.requests[0].headers
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.fetch_media(fb.ctx, MediaRef(ref=f"{fb.base_url}/cdn/expired.jpg"))
    assert failed.value.code == "media_unavailable"
