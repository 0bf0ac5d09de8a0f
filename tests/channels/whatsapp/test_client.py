"""WhatsApp sends, media and templates over real HTTP to the fake Cloud API."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from kefu.channels.base import (
    ChannelContext,
    MediaRef,
    OutgoingAttachment,
    OutgoingMessage,
    SendFailed,
    SendRetryable,
    Template,
    TemplateInfo,
)
from kefu.channels.whatsapp.adapter import ADAPTER
from kefu.channels.whatsapp.config import WhatsAppConfig, WhatsAppSecrets
from kefu.channels.whatsapp.templates import list_templates
from tests.channels.provider_server import serve_asgi
from tests.channels.whatsapp.fake_api import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    VERSION,
    WABA_ID,
    FakeWhatsApp,
    graph_error,
)

CUSTOMER = "886912345678"


@dataclass
class Setup:
    fake: FakeWhatsApp
    ctx: ChannelContext


@pytest.fixture
async def wa() -> AsyncIterator[Setup]:
    fake = FakeWhatsApp()
    async with serve_asgi(fake.app()) as base_url, httpx.AsyncClient() as http:
        config = WhatsAppConfig(
            api_base=base_url, api_version=VERSION, phone_number_id=PHONE_NUMBER_ID, waba_id=WABA_ID
        )
        secrets = WhatsAppSecrets(
            access_token=ACCESS_TOKEN, app_secret=APP_SECRET, verify_token=VERIFY_TOKEN
        )
        yield Setup(fake, ChannelContext(config=config, secrets=secrets, http=http, inbox_id=1))


def attachment(name: str, content_type: str, data: bytes) -> OutgoingAttachment:
    async def read() -> bytes:
        return data

    return OutgoingAttachment(name, content_type, len(data), f"https://kefu.example/f/{name}", read)


async def test_text_is_sent_with_the_documented_body(wa: Setup) -> None:
    result = await ADAPTER.send(wa.ctx, OutgoingMessage(1, CUSTOMER, "您好，我們已寄出"))
    assert result.external_message_id == "wamid.FAKE1"
    [request] = wa.fake.requests
    assert request.path == f"/{VERSION}/{PHONE_NUMBER_ID}/messages"
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert ACCESS_TOKEN not in str(request.query)
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER,
        "type": "text",
        "text": {"preview_url": False, "body": "您好，我們已寄出"},
    }


async def test_up_to_three_short_quick_replies_become_reply_buttons(wa: Setup) -> None:
    message = OutgoingMessage(
        2, CUSTOMER, "Was this helpful?", quick_replies=(("Yes", "yes"), ("No, talk to me", "no"))
    )
    await ADAPTER.send(wa.ctx, message)
    assert wa.fake.sent[0]["type"] == "interactive"
    assert wa.fake.sent[0]["interactive"] == {
        "type": "button",
        "body": {"text": "Was this helpful?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "no", "title": "No, talk to me"}},
            ]
        },
    }


async def test_quick_replies_beyond_whatsapp_limits_are_listed_in_the_text(wa: Setup) -> None:
    choices = (("One", "1"), ("Two", "2"), ("Three", "3"), ("Four", "4"))
    await ADAPTER.send(wa.ctx, OutgoingMessage(3, CUSTOMER, "Pick one", quick_replies=choices))
    long_title = (("A title longer than twenty characters", "x"),)
    await ADAPTER.send(wa.ctx, OutgoingMessage(4, CUSTOMER, "Pick", quick_replies=long_title))
    assert wa.fake.sent[0]["text"]["body"] == "Pick one\n\n1. One\n2. Two\n3. Three\n4. Four"
    assert wa.fake.sent[1]["type"] == "text"


async def test_template_with_body_parameters(wa: Setup) -> None:
    template = Template("order_update", "zh_TW", ("王小姐", "A-1024"))
    result = await ADAPTER.send(wa.ctx, OutgoingMessage(5, CUSTOMER, "", template=template))
    assert result.external_message_id
    assert wa.fake.sent[0]["type"] == "template"
    assert wa.fake.sent[0]["template"] == {
        "name": "order_update",
        "language": {"code": "zh_TW"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "王小姐"},
                    {"type": "text", "text": "A-1024"},
                ],
            }
        ],
    }


async def test_files_are_uploaded_then_sent_by_id_with_the_text_as_caption(wa: Setup) -> None:
    photo = attachment("photo.png", "image/png", b"\x89PNG fake")
    invoice = attachment("invoice.pdf", "application/pdf", b"%PDF-1.7 fake")
    message = OutgoingMessage(6, CUSTOMER, "Here you are", attachments=(photo, invoice))
    result = await ADAPTER.send(wa.ctx, message)
    uploads = [r for r in wa.fake.requests if r.path.endswith("/media")]
    assert [u.form for u in uploads] == [
        {"messaging_product": "whatsapp", "type": "image/png"},
        {"messaging_product": "whatsapp", "type": "application/pdf"},
    ]
    assert uploads[0].files["file"] == ("photo.png", "image/png", b"\x89PNG fake")
    assert all(u.headers["authorization"] == f"Bearer {ACCESS_TOKEN}" for u in uploads)
    image, document = wa.fake.sent
    assert image["type"] == "image"
    assert image["image"]["caption"] == "Here you are"
    assert wa.fake.uploads[image["image"]["id"]] == (b"\x89PNG fake", "image/png")
    assert document["document"]["filename"] == "invoice.pdf"
    assert "caption" not in document["document"]
    assert result.external_message_id == "wamid.FAKE2"  # the first message (ids count uploads)


async def test_text_goes_first_when_the_file_takes_no_caption(wa: Setup) -> None:
    voice = attachment("note.ogg", "audio/ogg", b"OggS")
    await ADAPTER.send(wa.ctx, OutgoingMessage(7, CUSTOMER, "Listen", attachments=(voice,)))
    text, audio = wa.fake.sent
    assert text["text"]["body"] == "Listen"
    assert audio["type"] == "audio" and "caption" not in audio["audio"]


async def test_window_closed_is_a_permanent_failure_with_its_own_code(wa: Setup) -> None:
    wa.fake.fail_next.append(
        graph_error(
            400,
            131047,
            "(#131047) Re-engagement message",
            details="Message failed to send because more than 24 hours have passed since the "
            "customer last replied to this number.",
        )
    )
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(wa.ctx, OutgoingMessage(8, CUSTOMER, "Hello again"))
    assert failed.value.code == "channel_window_closed"
    assert "more than 24 hours" in failed.value.reason and "131047" in failed.value.reason


@pytest.mark.parametrize(
    ("status", "code", "headers", "retry_after"),
    [
        (429, 4, {"Retry-After": "7"}, 7.0),
        (400, 130429, {}, None),  # throughput
        (400, 131056, {}, None),  # pair rate limit
        (400, 80007, {}, None),  # account rate limit
        (500, 131000, {}, None),
        (503, 2, {"Retry-After": "3"}, 3.0),
    ],
)
async def test_rate_limits_and_outages_are_retryable(
    wa: Setup, status: int, code: int, headers: dict[str, str], retry_after: float | None
) -> None:
    status_, body, _ = graph_error(status, code, "Rate limit hit")
    wa.fake.fail_next.append((status_, body, headers))
    with pytest.raises(SendRetryable) as retry:
        await ADAPTER.send(wa.ctx, OutgoingMessage(9, CUSTOMER, "Hi"))
    assert retry.value.retry_after == retry_after
    # Once the provider recovers the same message goes through.
    assert (await ADAPTER.send(wa.ctx, OutgoingMessage(9, CUSTOMER, "Hi"))).external_message_id


async def test_other_errors_fail_with_the_providers_words(wa: Setup) -> None:
    wa.fake.fail_next.append(
        graph_error(400, 131026, "Message undeliverable", details="Receiver is incapable")
    )
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(wa.ctx, OutgoingMessage(10, CUSTOMER, "Hi"))
    assert failed.value.code == "provider_error"
    assert failed.value.reason == "400: Receiver is incapable (code 131026)"


async def test_a_wrong_token_fails_and_the_token_is_not_in_the_reason(wa: Setup) -> None:
    ctx = ChannelContext(
        config=wa.ctx.config,
        secrets=wa.ctx.secrets.model_copy(update={"access_token": "expired-token"}),
        http=wa.ctx.http,
    )
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(ctx, OutgoingMessage(11, CUSTOMER, "Hi"))
    assert "401" in failed.value.reason and "code 190" in failed.value.reason
    assert "expired-token" not in failed.value.reason


async def test_unreachable_provider_is_retryable() -> None:
    async with httpx.AsyncClient() as http:
        config = WhatsAppConfig(
            api_base="http://127.0.0.1:9", phone_number_id=PHONE_NUMBER_ID, waba_id=WABA_ID
        )
        secrets = WhatsAppSecrets(access_token="t", app_secret="s", verify_token="v")
        with pytest.raises(SendRetryable):
            await ADAPTER.send(
                ChannelContext(config=config, secrets=secrets, http=http),
                OutgoingMessage(12, CUSTOMER, "Hi"),
            )


async def test_too_long_text_fails_before_calling(wa: Setup) -> None:
    with pytest.raises(SendFailed) as failed:
        await ADAPTER.send(wa.ctx, OutgoingMessage(13, CUSTOMER, "x" * 4097))
    assert failed.value.code == "message_too_long"
    assert wa.fake.requests == []


async def test_fetch_media_follows_the_url_with_the_token_and_checks_sha256(wa: Setup) -> None:
    wa.fake.media["1003383421387256"] = (b"\xff\xd8jpeg bytes", "image/jpeg")
    fetched = await ADAPTER.fetch_media(wa.ctx, MediaRef(ref="1003383421387256"))
    assert fetched.data == b"\xff\xd8jpeg bytes"
    assert fetched.content_type == "image/jpeg"
    info, download = wa.fake.requests
    assert info.path == f"/{VERSION}/1003383421387256"
    assert download.path == "/media-download/1003383421387256"
    assert download.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert hashlib.sha256(fetched.data).hexdigest()


async def test_fetch_media_of_an_unknown_id_fails(wa: Setup) -> None:
    with pytest.raises(SendFailed):
        await ADAPTER.fetch_media(wa.ctx, MediaRef(ref="404404"))


async def test_list_templates_pages_through_approved_ones(wa: Setup) -> None:
    def template(name: str, status: str, body: str, language: str = "en_US") -> dict[str, object]:
        return {
            "name": name,
            "language": language,
            "status": status,
            "category": "UTILITY",
            "id": name,
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Order"},
                {"type": "BODY", "text": body},
            ],
        }

    wa.fake.templates = [
        template("order_update", "APPROVED", "Hi {{1}}, order {{2}} shipped. {{1}}!"),
        template("order_update", "APPROVED", "{{1}} 您好，訂單 {{2}} 已出貨", "zh_TW"),
        template("draft", "PENDING", "Not yet"),
        template("hello_world", "APPROVED", "Hello World"),
        template("named", "APPROVED", "Hi {{first_name}}"),
    ]
    found = await list_templates(wa.ctx)
    assert found == [
        TemplateInfo("hello_world", "en_US", "UTILITY", "Hello World", 0),
        TemplateInfo("named", "en_US", "UTILITY", "Hi {{first_name}}", 1),
        TemplateInfo(
            "order_update", "en_US", "UTILITY", "Hi {{1}}, order {{2}} shipped. {{1}}!", 2
        ),
        TemplateInfo("order_update", "zh_TW", "UTILITY", "{{1}} 您好，訂單 {{2}} 已出貨", 2),
    ]
    pages = [r for r in wa.fake.requests if r.path.endswith("/message_templates")]
    assert len(pages) == 2  # two pages of two, followed by cursor on api_base
    assert pages[0].path == f"/{VERSION}/{WABA_ID}/message_templates"
    assert pages[0].query["status"] == "APPROVED"
    assert pages[1].query["after"] == "2"
