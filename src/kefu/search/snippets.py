"""Snippets: a short piece of a hit's text, cut into plain and matched segments.

Segments, not HTML and not offsets: clients render each segment as a text node (matched ones in
<mark>), so customer text never becomes markup, and no one has to agree on whether an offset
counts code points or UTF-16 units.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kefu.search.folding import fold_with_offsets
from kefu.search.tokens import CJK

SNIPPET_CHARS = 160
LEAD_CHARS = 40  # context kept before the first match
ELLIPSIS = "…"


@lru_cache(maxsize=256)
def _pattern(mark: str, is_prefix: bool) -> re.Pattern[str]:
    if re.match(f"[{CJK}]", mark):
        return re.compile(re.escape(mark))
    # A word matches at word boundaries (a prefix only at its start); Chinese characters are
    # boundaries too, as they are for the tokenizer (iPhone退款).
    word = f"[^\\W_{CJK}]"
    tail = "" if is_prefix else f"(?!{word})"
    return re.compile(f"(?<!{word}){re.escape(mark)}{tail}")


def match_spans(text: str, marks: tuple[tuple[str, bool], ...]) -> list[tuple[int, int]]:
    """Where the marks occur in `text` (original offsets), merged and sorted."""
    folded, origin = fold_with_offsets(text)
    spans: list[tuple[int, int]] = []
    for mark, is_prefix in marks:
        for found in _pattern(mark, is_prefix).finditer(folded):
            if found.end() > found.start():
                spans.append((origin[found.start()], origin[found.end() - 1] + 1))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, marks: tuple[tuple[str, bool], ...]) -> list[tuple[str, bool]]:
    """Up to SNIPPET_CHARS of `text` around its first match, as (text, matched) segments."""
    spans = match_spans(text, marks)
    start = 0
    if len(text) > SNIPPET_CHARS and spans:
        start = max(0, min(spans[0][0] - LEAD_CHARS, len(text) - SNIPPET_CHARS))
    end = min(len(text), start + SNIPPET_CHARS)
    segments: list[tuple[str, bool]] = []
    if start > 0:
        segments.append((ELLIPSIS, False))
    cursor = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        if s > cursor:
            segments.append((text[cursor:s], False))
        segments.append((text[s:e], True))
        cursor = e
    if cursor < end:
        segments.append((text[cursor:end], False))
    if end < len(text):
        segments.append((ELLIPSIS, False))
    return segments
