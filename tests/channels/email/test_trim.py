"""Quoted history and signatures as the common clients write them."""

from __future__ import annotations

import pytest

from kefu.channels.email.htmlmail import html_to_text, sanitize_html
from kefu.channels.email.trim import trim_reply


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Thanks!\n\nOn Mon, 1 Jan 2024, Mei <s@x.com> wrote:\n> hello\n", "Thanks!"),
        (
            "Thanks!\n\nOn Tue, Jan 2, 2024 at 10:15 AM Mei via Shop <\ns@x.com> wrote:\n> hi",
            "Thanks!",
        ),
        ("OK\n\n-----Original Message-----\nFrom: Shop\nSent: Monday\nhello", "OK"),
        ("OK\n\nFrom: Shop <s@x.com>\nSent: Monday, 1 January 2024\nTo: me\nSubject: hi", "OK"),
        ("好\n\n________________________________\n寄件者: Shop\n寄件日期: 1月1日\n", "好"),
        ("好的\n\n发件人: Shop\n发送时间: 2024年1月1日\n收件人: 我\n", "好的"),
        ("好的\n\n在 2024年1月1日 上午10:00，Shop <s@x.com> 寫道：\n\n> 您好", "好的"),
        ("好的\n\n2024年1月1日 10:00，Shop <s@x.com> 写道：\n> 您好", "好的"),
        ("好的\n\n------------------ 原始邮件 ------------------\n发件人: Shop", "好的"),
        ("Hi\n\nSent from my iPhone\n\n> On Monday", "Hi"),
        ("收到\n\n從我的 iPhone 傳送", "收到"),
        ("收到\n发自我的iPhone", "收到"),
        ("Regards\n-- \nJohn Doe\nACME Inc.", "Regards"),
        ("Regards\n--\nJohn Doe", "Regards"),
        # Interleaved answers stay, the quoted lines go.
        ("> Size?\nL please\n> Colour?\nBlue", "L please\nBlue"),
        # Nothing would be left: the whole text is shown.
        ("> only a quote\n> here", "> only a quote\n> here"),
        ("-- \nonly a signature", "-- \nonly a signature"),
        # Not markers: a greeting with a colon, a dash line inside the text.
        ("感謝您的來信：\n我想退貨", "感謝您的來信：\n我想退貨"),
        ("From: Taipei, to Tainan", "From: Taipei, to Tainan"),
    ],
)
def test_trim(text: str, shown: str) -> None:
    assert trim_reply(text) == shown


def test_html_to_text_keeps_structure_and_links_and_drops_scripts() -> None:
    markup = (
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<p>第一段<br>第二行</p><ul><li>one</li><li>two</li></ul>"
        '<p>See <a href="https://shop.example.com/faq">the FAQ</a>.</p>'
        "<script>alert(1)</script><pre>  keep   spaces</pre></body></html>"
    )
    assert html_to_text(markup) == (
        "第一段\n第二行\n\n- one\n- two\n\nSee the FAQ (https://shop.example.com/faq).\n\n"
        "keep   spaces"
    )


def test_html_quotes_are_trimmed_only_when_asked() -> None:
    markup = (
        '<div>Yes</div><div class="gmail_quote"><div>On Mon wrote:</div>'
        "<blockquote>old</blockquote></div>"
    )
    assert html_to_text(markup, trim_quotes=True) == "Yes"
    assert "old" in html_to_text(markup)
    outlook = '<div>Sure</div><div id="appendonsend"></div><hr><div>From: x</div><p>old</p>'
    assert html_to_text(outlook, trim_quotes=True) == "Sure"


def test_sanitize_html_drops_active_content_and_remote_loads() -> None:
    dirty = (
        '<p onclick="x()" style="color: red; background: url(https://t.example/p.gif)">hi</p>'
        '<img src="https://t.example/p.gif"><img src="cid:logo@x">'
        '<a href="javascript:alert(1)">a</a><a href="https://ok.example">b</a>'
        "<iframe src=https://evil.example></iframe><form><input></form>"
    )
    clean = sanitize_html(dirty)
    assert "onclick" not in clean and "url(" not in clean and "t.example" not in clean
    assert 'style="color:red"' in clean
    assert 'src="cid:logo@x"' in clean
    assert "javascript" not in clean and 'href="https://ok.example"' in clean
    assert "<iframe" not in clean and "<form" not in clean and "<input" not in clean
