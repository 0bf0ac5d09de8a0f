"""jieba (Chinese word segmentation) and OpenCC's phrase converters, loaded once, lazily.

jieba reads its dictionary on first use (about 0.7 s and 60 MB): only processes that search pay
for it, and the API loads it in a thread (`warm_up`) so that the event loop never stalls. Its
start-up chatter on stderr is silenced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import lru_cache

import jieba  # type: ignore[import-untyped]
import opencc

_lock = threading.Lock()
_ready = False


@lru_cache(maxsize=1)
def converters() -> dict[str, opencc.OpenCC]:
    """OpenCC's converters by configuration name (cheap: about 0.1 s, once)."""
    return {name: opencc.OpenCC(name) for name in ("s2twp", "tw2sp", "s2tw", "tw2s")}


def _load() -> None:
    global _ready
    with _lock:
        if _ready:
            return
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        converters()
        _ready = True


def is_ready() -> bool:
    return _ready


def warm_up() -> None:
    """Load everything now (blocking: call it in a thread)."""
    _load()


def cut(run: str) -> list[str]:
    """Words of a run of Chinese characters (jieba's precise mode, dictionary words only:
    HMM guesses new words, which makes a query's split depend on its neighbours)."""
    _load()
    return [w for w in jieba.cut(run, HMM=False) if w]


def regional_variants(piece: str, fold: Callable[[str], str]) -> set[str]:
    """The same word as the other region writes it (OpenCC's Taiwan phrases: 软件 = 軟體,
    信息 = 資訊, 网络 = 網路), folded; `piece` is folded already."""
    c = converters()
    return {
        fold(c["s2twp"].convert(piece)),
        fold(c["tw2sp"].convert(c["s2tw"].convert(piece))),
    } - {piece, ""}


def script_variants(text: str) -> set[str]:
    """`text` as written, in Traditional and in Simplified (for plain LIKE matching of names)."""
    c = converters()
    return {text, c["s2tw"].convert(text), c["tw2s"].convert(text)}
