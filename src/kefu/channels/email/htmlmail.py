"""HTML mail: sanitised for display (nh3) and converted to plain text (stdlib html.parser).

A mail's HTML is untrusted markup from anyone on the internet. What the console may show:
  * tags and attributes from nh3's conservative allow-list, no scripts, styles, forms, frames,
    event handlers or `javascript:` links (nh3 drops them; `<style>`/`<script>` with content);
  * inline `style` reduced to a few harmless typographic properties (no `url(...)`: a CSS
    background is a remote load like any image);
  * `<img>` only from `cid:` (a picture attached to the same mail): a remote image is a tracking
    pixel that tells the sender when, where and that an agent read the mail, so its `src` is
    removed (the alt text stays; the original .eml keeps the full markup).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-weight",
    "font-style",
    "font-size",
    "text-align",
    "text-decoration",
}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"style", "dir", "lang", "title"},
}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not value.strip().lower().startswith("cid:"):
        return None
    return value


def sanitize_html(markup: str) -> str:
    """The mail's HTML, safe to insert into the console (see the module docstring)."""
    return nh3.clean(
        markup,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        clean_content_tags={"script", "style", "head", "title", "template", "noscript"},
        url_schemes={"http", "https", "mailto", "tel", "cid"},
        filter_style_properties=_STYLE_PROPERTIES,
    )


# Elements that start a new line of text (a paragraph: after a blank line), and those whose
# content is never text.
_PARAGRAPHS = {
    "p",
    "table",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "dl",
}
_LINES = {
    "div", "tr", "li", "hr", "section", "article", "header", "footer", "dt", "dd", "address",
    "center",
}  # fmt: skip
_INVISIBLE = {"script", "style", "head", "title", "template", "noscript"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"}


def _is_quote(tag: str, attrs: dict[str, str]) -> bool:
    """Quoted history as mail clients mark it up: Gmail's `gmail_quote`, Apple Mail's and
    Thunderbird's `<blockquote type="cite">`, Outlook's reply header `divRplyFwdMsg` and the
    `appendonsend` marker after which Outlook puts the previous mail, Yahoo's `yahoo_quoted`."""
    classes = attrs.get("class", "").split()
    ident = attrs.get("id", "")
    return (
        "gmail_quote" in classes
        or "gmail_quote_container" in classes
        or "yahoo_quoted" in classes
        or (tag == "blockquote" and attrs.get("type", "").lower() == "cite")
        or ident in {"divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container"}
    )


class _TextExtractor(HTMLParser):
    def __init__(self, *, trim_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.trim_quotes = trim_quotes
        self.parts: list[str] = []
        self.stack: list[str] = []
        # Depth in `stack` where a skipped subtree (invisible or quoted) began.
        self.skip_from: int | None = None
        self.stopped = False  # Outlook's appendonsend: everything after it is history.
        self.pre = 0
        self.href: str | None = None
        self.link_start = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        values = {name: value or "" for name, value in attrs}
        if tag in _VOID:
            if self.skip_from is None and tag in {"br", "hr"}:
                self.parts.append("\n")
            if self.trim_quotes and values.get("id") == "appendonsend":
                self.stopped = True
            return
        self.stack.append(tag)
        if self.skip_from is not None:
            return
        if tag in _INVISIBLE or (self.trim_quotes and _is_quote(tag, values)):
            if self.trim_quotes and values.get("id") == "appendonsend":
                self.stopped = True
            self.skip_from = len(self.stack) - 1
            return
        self._break(tag)
        if tag == "pre":
            self.pre += 1
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.href = values.get("href")
            self.link_start = len(self.parts)

    def handle_endtag(self, tag: str) -> None:
        if self.stopped or tag in _VOID or tag not in self.stack:
            return
        # Close up to the matching start tag (HTML in mail is rarely well nested).
        while self.stack:
            top = self.stack.pop()
            depth = len(self.stack)
            if self.skip_from is not None and depth <= self.skip_from:
                self.skip_from = None
            elif self.skip_from is None:
                self._closed(top)
            if top == tag:
                break

    def _break(self, tag: str) -> None:
        """Make the text so far end in a line break (two for a paragraph)."""
        wanted = 2 if tag in _PARAGRAPHS else 1 if tag in _LINES else 0
        tail = "".join(self.parts[-4:]).rstrip(" ")
        have = len(tail) - len(tail.rstrip("\n"))
        if wanted > have:
            self.parts.append("\n" * (wanted - have))

    def _closed(self, tag: str) -> None:
        self._break(tag)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag == "a" and self.href:
            label = "".join(self.parts[self.link_start :]).strip()
            href = self.href
            if href.startswith(("http://", "https://")) and href != label:
                self.parts.append(f" ({href})")
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.stopped or self.skip_from is not None:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        self.parts.append(data)

    def text(self) -> str:
        raw = "".join(self.parts).replace("\xa0", " ")
        lines = [line.strip() for line in raw.split("\n")]
        collapsed = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
        return collapsed.strip()


def html_to_text(markup: str, *, trim_quotes: bool = False) -> str:
    """Readable plain text of an HTML mail: paragraphs and line breaks kept, links as
    "label (url)", scripts and styles dropped; with `trim_quotes`, the quoted history that mail
    clients mark up (see `_is_quote`) is left out."""
    parser = _TextExtractor(trim_quotes=trim_quotes)
    parser.feed(markup)
    parser.close()
    return parser.text()
