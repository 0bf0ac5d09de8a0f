"""Text folding: the one normal form that messages are indexed in and queries are matched in.

fold(text) = NFKC (full-width Ａ and ２ become A and 2, compatibility ideographs their unified
forms), case folding, Latin diacritics removed (café = cafe), then every Chinese character
replaced by the representative of its Traditional/Simplified/variant class (發, 髮 and 发 are
all 发; 帳 and 账 are one). The character classes come from OpenCC (fold_build.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from kefu.search.fold_data import PAIRS

_PAIRS = "".join(PAIRS)
FOLD_TABLE: dict[int, str] = {ord(_PAIRS[i]): _PAIRS[i + 1] for i in range(0, len(_PAIRS), 2)}
# Combining diacritical marks (U+0300-U+036F) only: kana voicing marks and other scripts' marks
# carry meaning and stay.
_DIACRITICS = re.compile("[\u0300-\u036f]+")


def fold(text: str) -> str:
    """The searchable form of `text` (see the module docstring). Idempotent."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFD", folded)
    if _DIACRITICS.search(decomposed):
        folded = unicodedata.normalize("NFC", _DIACRITICS.sub("", decomposed))
    return folded.translate(FOLD_TABLE)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return fold(ch)


def fold_with_offsets(text: str) -> tuple[str, range | list[int]]:
    """fold(text), with the index in `text` of every folded character (so that matches found
    in the folded form can be marked in the original). Used for the few hits on a result page.
    When folding kept the length (nearly always: full-width, case and Chinese variants map one
    character to one), the offsets are the identity; otherwise it folds character by
    character, a Python loop."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded, range(len(text))
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = ch if ch.isascii() and not ch.isupper() else _fold_char(ch)
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin
