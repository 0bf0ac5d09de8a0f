"""Article Markdown to safe HTML, and to plain text for search snippets.

markdown-it-py's CommonMark preset (plus tables) with raw HTML off does most of the work; nh3
then removes whatever is left that a browser could run or load: only a fixed set of tags and
attributes, links only to http(s) and mailto (rel="nofollow noopener"), images only from https or
kefu's own origin (a relative path), so an article cannot track readers through plain-http
images or smuggle a `javascript:` URL.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

MAX_BODY_CHARS = 50_000

TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"style"},
    "th": {"style"},
    "code": {"class"},
}
_ALIGN = re.compile(r"text-align:(left|right|center)")
_LANG_CLASS = re.compile(r"language-[A-Za-z0-9_+-]{1,30}")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _safe_image_src(url: str) -> bool:
    """https, or a path on kefu's own origin (not a protocol-relative //host URL)."""
    lowered = url.strip().lower()
    if lowered.startswith("https://"):
        return True
    return lowered.startswith("/") and not lowered.startswith("//") and "\\" not in lowered


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        return value if _safe_image_src(value) else None
    if attribute == "style":  # tables' column alignment, nothing else
        match = _ALIGN.fullmatch(value.replace(" ", "").rstrip(";"))
        return f"text-align:{match.group(1)}" if match else None
    if attribute == "class":
        return value if _LANG_CLASS.fullmatch(value) else None
    return value


def render_markdown(text: str) -> str:
    """Sanitised HTML for an article body (safe to insert into a page as is)."""
    raw = _parser().render(text[:MAX_BODY_CHARS])
    return nh3.clean(
        raw,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
        attribute_filter=_filter_attribute,
        strip_comments=True,
    )


def _inline_text(tokens: list[Token], out: list[str]) -> None:
    for token in tokens:
        if token.type in ("text", "code_inline"):
            out.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif token.type == "image":
            out.append(token.content)  # the alt text
        if token.children:
            _inline_text(token.children, out)


def plain_text(text: str) -> str:
    """The words of a Markdown body without its markup, whitespace collapsed."""
    out: list[str] = []
    for token in _parser().parse(text[:MAX_BODY_CHARS]):
        if token.type == "inline":
            _inline_text(token.children or [], out)
            out.append(" ")
        elif token.type in ("code_block", "fence"):
            out.append(token.content)
            out.append(" ")
    return " ".join("".join(out).split())


def snippet(text: str, query: str = "", *, length: int = 160) -> str:
    """About `length` characters of the plain text, around the first word of `query` found in
    it (case-insensitive), else its beginning."""
    body = plain_text(text)
    start = 0
    lowered = body.casefold()
    for word in query.casefold().split():
        at = lowered.find(word)
        if at >= 0:
            start = max(0, at - length // 4)
            break
    piece = body[start : start + length]
    if start > 0:
        piece = "…" + piece.lstrip()
    if start + length < len(body):
        piece = piece.rstrip() + "…"
    return piece
