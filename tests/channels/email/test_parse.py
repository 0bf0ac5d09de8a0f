"""Raw mail -> InboundEvents, on real mail as Gmail, Outlook, Apple Mail, Yahoo (big5), QQ Mail
(gb2312 HTML), an Exchange auto-reply, a mailing list and a Postfix bounce write it."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.channels.base import InboundEvent, PayloadInvalid
from kefu.channels.email.parse import parse_email

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2024, 2, 1, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def one(name: str) -> InboundEvent:
    [event] = parse_email(fixture(name), received_at=NOW)
    return event


def test_gmail_reply_threads_trims_the_quote_and_keeps_the_attachment() -> None:
    event = one("gmail_reply.eml")
    assert event.kind == "message"
    assert event.event_id == "<CAOk4Xb1kZ+qW5sd0oA8qjB3nKx5=Yc9wFh0Ld+Ag@mail.gmail.com>"
    assert event.external_message_id == event.event_id
    assert event.external_user_id == "xiaoming.wang@gmail.com"  # lower-cased
    assert event.profile_name == "王小明"  # RFC 2047, UTF-8 base64
    assert event.email == "xiaoming.wang@gmail.com"
    assert event.verified_email is None  # From can be forged
    assert event.subject == "Re: 訂單 #1234 什麼時候到？"
    assert event.thread_refs == (
        "<170418930000.1111.1234567890.kefu.41@shop.example.com>",
        "<170419000000.2222.9876543210.kefu.42@shop.example.com>",
    )
    assert event.occurred_at == datetime(2024, 1, 2, 10, 30, tzinfo=UTC)
    assert event.text == "好的，謝謝！我再附上收據照片。\n\n王小明"
    full = event.extra["full_text"]
    assert "wrote:" in full and "> 您好，您的訂單 #1234 已出貨。" in full
    assert event.extra["auto_generated"] is False
    receipt, original = event.media
    assert (receipt.file_name, receipt.content_type) == ("收據.png", "image/png")
    assert receipt.data is not None and receipt.data.startswith(b"\x89PNG")
    assert (original.file_name, original.content_type) == ("original.eml", "message/rfc822")
    assert original.data == fixture("gmail_reply.eml")
    html = event.extra["html"]
    assert "好的，謝謝！" in html and "<blockquote" in html  # the display HTML is not trimmed


def test_outlook_big5_reply_trims_its_header_block() -> None:
    event = one("outlook_reply.eml")
    assert event.profile_name == "陳大文"
    assert event.subject == "回覆: 訂單查詢"
    assert event.text == "請問退貨流程是什麼？商品的包裝已經拆了。\n\n陳大文"
    assert "寄件者: Mei via Shop Support" in event.extra["full_text"]
    # Its HTML had a <style> block: gone, with its content.
    assert "<style" not in event.extra["html"] and "margin-top" not in event.extra["html"]
    assert event.event_id.startswith("<TYZPR01MB12345AB1C2D3E4F5A6B7C8D9E0F1A2B3C4D5@")


def test_apple_mail_reply_trims_the_mobile_footer_and_the_chinese_attribution() -> None:
    event = one("apple_mail_reply.eml")
    assert event.profile_name == "林美美"
    assert event.text == "收到了，東西很好用！"
    assert "寫道：" in event.extra["full_text"]
    assert event.thread_refs == ("<170435000000.4444.2222222222.kefu.88@shop.example.com>",)


def test_big5_new_mail_has_no_thread_and_keeps_its_big5_named_attachment() -> None:
    event = one("big5_new.eml")
    assert event.thread_refs == ()  # a new subject starts a new conversation
    assert event.subject == "換貨申請：藍色外套尺寸"
    assert event.profile_name == "張志明"
    # The signature after "-- " is trimmed, the text kept.
    assert event.text.startswith("您好：\n\n我上週訂的藍色外套尺寸不合")
    assert event.text.endswith("訂單編號：A-20240105-77\n\n謝謝")
    assert "0912-345-678" in event.extra["full_text"]
    assert "html" not in event.extra
    attachment, _ = event.media
    assert attachment.file_name == "訂單明細.txt"
    assert attachment.data is not None and attachment.data.decode("big5").startswith("品名")


def test_html_only_gb2312_mail_is_sanitised_converted_and_trimmed() -> None:
    event = one("qq_html_gb2312.eml")
    # Labelled gb2312 but written in GBK (镕 is not in GB2312): read as GB18030.
    assert event.profile_name == "李镕"
    assert event.text == "您好，我想咨询一下发票的问题，能开增值税专用发票吗？\n谢谢！镕"
    assert "原始邮件" in event.extra["full_text"]
    html = event.extra["html"]
    assert "<script" not in html and "alert" not in html and "onerror" not in html
    assert "tracker.example.net" not in html  # remote images are not loaded
    assert 'src="cid:part1.abc@qq.com"' in html  # pictures of the same mail are
    assert "javascript:" not in html
    screenshot, _ = event.media
    assert (screenshot.file_name, screenshot.content_type) == ("screenshot.png", "image/png")


@pytest.mark.parametrize("name", ["auto_reply.eml", "list_mail.eml", "bounce.eml"])
def test_automatic_mail_is_flagged(name: str) -> None:
    event = parse_email(fixture(name), received_at=NOW)[0]
    assert event.extra["auto_generated"] is True


@pytest.mark.parametrize(
    "name", ["gmail_reply.eml", "outlook_reply.eml", "apple_mail_reply.eml", "big5_new.eml"]
)
def test_people_s_mail_is_not_flagged(name: str) -> None:
    assert one(name).extra["auto_generated"] is False


def test_a_bounce_marks_our_message_failed() -> None:
    message, status = parse_email(fixture("bounce.eml"), received_at=NOW)
    assert message.kind == "message" and message.extra["auto_generated"] is True
    assert status.kind == "status"
    assert status.status == "failed"
    assert status.external_message_id == "<170485920200.6666.4444444444.kefu.123@shop.example.com>"
    assert status.status_error == (
        "550 5.1.1 <nobody@example.org>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    )
    assert status.event_id != message.event_id
    # The returned message is kept as an attachment too.
    assert any(media.content_type == "message/rfc822" for media in message.media[:-1])


def test_a_delay_notice_is_automatic_but_not_a_failure() -> None:
    raw = fixture("bounce.eml").replace(b"Action: failed", b"Action: delayed")
    [event] = parse_email(raw, received_at=NOW)
    assert event.extra["auto_generated"] is True


def test_a_missing_message_id_is_derived_from_the_bytes() -> None:
    raw = fixture("big5_new.eml").replace(
        b"Message-ID: <1524890337.1234567.1704416381234@mail.yahoo.com>\r\n", b""
    )
    first, again = parse_email(raw)[0], parse_email(raw)[0]
    assert first.event_id == again.event_id and first.event_id.startswith("<")
    assert first.event_id != parse_email(raw + b"\r\n")[0].event_id


def test_duplicate_and_bracketless_references_are_merged_oldest_first() -> None:
    raw = (
        b"From: a@example.com\r\nTo: support@shop.example.com\r\nSubject: x\r\n"
        b"References: <a@x> <b@x>\r\n\t<a@x>\r\nIn-Reply-To: b@x\r\n\r\nhi\r\n"
    )
    [event] = parse_email(raw, received_at=NOW)
    assert event.thread_refs == ("<a@x>", "<b@x>")
    assert event.occurred_at == NOW  # no Date header: the arrival time


def test_a_future_date_is_capped_at_arrival() -> None:
    raw = b"From: a@example.com\r\nDate: Fri, 1 Jan 2100 00:00:00 +0000\r\n\r\nhi\r\n"
    assert parse_email(raw, received_at=NOW)[0].occurred_at == NOW


def test_raw_utf8_headers_and_quoted_printable_big5_body() -> None:
    body = "您好，請問營業時間？".encode("big5")
    qp = "".join(f"={byte:02X}" for byte in body).encode()
    raw = (
        (
            "From: 吳先生 <wu@example.com.tw>\r\nSubject: 營業時間\r\n"
            "Content-Type: text/plain; charset=big5\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode()
        + qp
        + b"\r\n"
    )
    [event] = parse_email(raw, received_at=NOW)
    assert event.profile_name == "吳先生" and event.subject == "營業時間"
    assert event.text == "您好，請問營業時間？"


def test_mail_without_a_sender_is_invalid() -> None:
    with pytest.raises(PayloadInvalid):
        parse_email(b"Subject: nobody\r\n\r\nhi\r\n")


def test_the_original_is_kept_byte_for_byte() -> None:
    raw = fixture("outlook_reply.eml")
    [event] = parse_email(raw)
    assert event.media[-1].data == raw
    assert email.message_from_bytes(raw)["Thread-Index"]


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(path.name for path in FIXTURES.glob("*.eml"))),
    cut=st.integers(min_value=0, max_value=4000),
    noise=st.binary(max_size=64),
)
def test_damaged_mail_never_crashes_the_parser(name: str, cut: int, noise: bytes) -> None:
    """Truncated or corrupted mail either parses or is PayloadInvalid, never another error."""
    raw = fixture(name)
    damaged = raw[:cut] + noise + raw[cut + len(noise) :]
    try:
        events = parse_email(damaged, received_at=NOW)
    except PayloadInvalid:
        return
    assert events[0].kind == "message" and events[0].occurred_at.tzinfo is not None
