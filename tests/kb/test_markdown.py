"""Article Markdown renders to HTML that cannot run script, load from plain http or link to
anything but http(s)/mailto."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.kb.markdown import plain_text, render_markdown, snippet

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](  javascript:alert(1))",
    "[a](data:text/html;base64,PHNjcmlwdD4=)",
    "[a](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    "![x](javascript:alert(1))",
    '![x](https://e.example/a.png "t" onerror=alert(1))',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[a](&#106;avascript:alert(1))",
    "<!-- <script>alert(1)</script> -->",
]


SAFE_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip


class Audit(HTMLParser):
    """Every element and attribute a browser would see, parsed (text stays text)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            url = (value or "").strip().lower()
            if name.startswith("on") or name not in ("href", "src", "alt", "title", "rel", "style",
                                                     "class", "start"):  # fmt: skip
                self.problems.append(f"attribute {name}")
            if name == "href" and not url.startswith(("http://", "https://", "mailto:")):
                self.problems.append(f"href {url}")
            if name == "src" and not (url.startswith("https://") or url.startswith("/")):
                self.problems.append(f"src {url}")
            if name == "style" and not url.startswith("text-align:"):
                self.problems.append(f"style {url}")


def problems(html: str) -> list[str]:
    audit = Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_inert(source: str) -> None:
    html = render_markdown(source)
    assert problems(html) == [], html


def test_links_and_images() -> None:
    html = render_markdown(
        "[site](https://shop.example/a?b=1&c=2) [mail](mailto:help@shop.example) "
        "[plain](http://shop.example) ![ok](https://cdn.example/a.png) "
        "![own](/static/help/logo.png) ![http](http://cdn.example/a.png) "
        "![proto-relative](//evil.example/a.png)"
    )
    assert '<a href="https://shop.example/a?b=1&amp;c=2" rel="nofollow noopener">site</a>' in html
    assert '<a href="mailto:help@shop.example" rel="nofollow noopener">mail</a>' in html
    assert '<a href="http://shop.example" rel="nofollow noopener">plain</a>' in html
    assert '<img src="https://cdn.example/a.png" alt="ok">' in html
    assert '<img src="/static/help/logo.png" alt="own">' in html
    assert '<img alt="http">' in html  # plain http images would leak readers
    assert '<img alt="proto-relative">' in html


def test_commonmark_with_tables_and_raw_html_as_text() -> None:
    html = render_markdown(
        "## 退貨\n\n1. 第一步\n2. **第二步**\n\n| 項目 | 天數 |\n|:--|--:|\n| 退貨 | 7 |\n\n"
        "<b>raw</b>\n\n```py\nx < 1\n```"
    )
    assert "<h2>退貨</h2>" in html
    assert "<ol>\n<li>第一步</li>\n<li><strong>第二步</strong></li>\n</ol>" in html
    assert '<th style="text-align:left">項目</th>' in html
    assert '<td style="text-align:right">7</td>' in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html
    assert '<pre><code class="language-py">x &lt; 1\n</code></pre>' in html


def test_plain_text_and_snippets() -> None:
    body = "# 營業時間\n\n我們**週一到週五**營業,[詳見](https://x.example)。\n\n- 週六 10:00\n"
    assert plain_text(body) == "營業時間 我們週一到週五營業,詳見。 週六 10:00"
    long = "Intro. " * 50 + "The refund takes five days. " + "More. " * 50
    piece = snippet(long, "refund")
    assert piece.startswith("…") and piece.endswith("…") and "refund" in piece
    assert len(piece) <= 162
    assert snippet("Short.", "x") == "Short."


@given(st.text(max_size=300))
def test_any_text_renders_without_script(source: str) -> None:
    assert problems(render_markdown(source)) == []


def test_the_audit_itself_sees_unsafe_html() -> None:
    assert problems('<a href="javascript:x" onclick="y">a</a><script></script>') == [
        "href javascript:x",
        "attribute onclick",
        "tag script",
    ]
