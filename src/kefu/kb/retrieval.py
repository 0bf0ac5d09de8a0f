"""Ranking knowledge-base documents (articles, Q&A pairs, bot-action triggers) for a question,
in Chinese and English: the help centre's search, the widget's search box, agent assist and the
FAQ bot all ask `KbIndex.search`.

This first version is deliberately simple (folded words, BM25-like weights, a coverage-based
confidence); its quality is measured by bench/faq_eval.py.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from kefu.search.folding import fold
from kefu.search.segmenter import cut

DocumentKind = Literal["article", "qa", "action"]
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Document:
    key: str  # unique: "article:12:zh-TW", "qa:7", "action:3"
    kind: DocumentKind
    ref_id: int  # the article's, Q&A pair's or action's id
    locale: str  # "zh-TW" or "en"
    title: str  # the article's title, the Q&A pair's first question, the action's name
    # What is matched: an article's (title, body); a Q&A pair's or an action's phrasings.
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Match:
    document: Document
    score: float  # raw ranking score (higher is better; only comparable within one query)
    confidence: float  # 0..1: how sure the match answers the question (the bot's threshold)


def terms(text: str) -> list[str]:
    """The words of `text`, folded (Traditional = Simplified, case, width)."""
    folded = fold(text)
    out: list[str] = []
    for token in _WORD.findall(folded):
        pos = 0
        for run in _CJK_RUN.finditer(token):
            if run.start() > pos:
                out.append(token[pos : run.start()])
            out.extend(cut(run.group()))
            pos = run.end()
        if pos < len(token):
            out.append(token[pos:])
    return [t for t in out if t]


@dataclass(slots=True)
class KbIndex:
    documents: list[Document] = field(default_factory=list)
    _terms: list[Counter[str]] = field(default_factory=list)
    _df: Counter[str] = field(default_factory=Counter)
    _avg_len: float = 1.0

    @classmethod
    def build(cls, documents: Iterable[Document]) -> KbIndex:
        index = cls()
        for doc in documents:
            counts = Counter(t for text in doc.texts for t in terms(text))
            index.documents.append(doc)
            index._terms.append(counts)
            index._df.update(counts.keys())
        lengths = [sum(c.values()) for c in index._terms]
        index._avg_len = (sum(lengths) / len(lengths)) if lengths else 1.0
        return index

    def _idf(self, term: str) -> float:
        n = len(self.documents)
        df = self._df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(
        self,
        query: str,
        *,
        locale: str | None = None,
        limit: int = 5,
        kinds: frozenset[DocumentKind] | None = None,
    ) -> list[Match]:
        q = set(terms(query))
        if not q or not self.documents:
            return []
        total = sum(self._idf(t) for t in q) or 1.0
        matches: list[Match] = []
        for doc, counts in zip(self.documents, self._terms, strict=True):
            if (locale and doc.locale != locale) or (kinds and doc.kind not in kinds):
                continue
            length = sum(counts.values()) or 1
            score = 0.0
            covered = 0.0
            for t in q:
                tf = counts.get(t, 0)
                if tf:
                    idf = self._idf(t)
                    score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / self._avg_len))
                    covered += idf
            if score > 0:
                matches.append(Match(doc, score, covered / total))
        matches.sort(key=lambda m: (-m.score, m.document.key))
        return matches[:limit]
