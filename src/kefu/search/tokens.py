"""What is indexed and what is searched: token streams for documents, parsed queries.

Documents: the folded text split into words (letters and digits of any script but Chinese and
Japanese) and runs of Chinese/Japanese characters. A run c1..cn becomes its overlapping bigrams
c1c2 .. c(n-1)cn followed by its last character cn, so that
- any substring of two or more characters is a phrase of consecutive bigrams;
- every single character is the first character of some token (a prefix query finds it);
- the trailing single character separates runs, so a phrase never spans two of them.

Queries: split on spaces; a Chinese run is cut into words by jieba, and single-character words
are glued to a neighbour (a lone 的 or 我 would match half of all messages); each piece must
appear as a phrase. The pieces are ANDed, so 退款发票 finds messages with both words anywhere,
and any substring of a message still finds it (every piece is a substring of it). Words match
as prefixes from three letters on (refun finds refund, refunds, refunded: no stemmer, no
surprises). Words joined by punctuation (e-mail, mei@example.com) are one phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kefu.search import segmenter
from kefu.search.folding import fold

# Chinese (Han, with extensions and compatibility ideographs) and Japanese kana.
CJK = "\u3040-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
TOKEN_RE = re.compile(f"([{CJK}]+)|([^\\W_{CJK}]+)")
MAX_WORD = 40  # longer words (hashes, URLs run together) are cut: indexed and searched alike
MAX_INDEX_CHARS = 10_000  # messages are at most 10,000 characters already
MIN_PREFIX = 3  # shorter words match exactly: "re*" would expand to thousands of terms
MAX_CLAUSES = 12  # a query longer than this is cut (each clause is a join in the index)


def index_tokens(text: str) -> list[str]:
    """The token stream of a document (see the module docstring)."""
    tokens: list[str] = []
    for run, word in TOKEN_RE.findall(fold(text[:MAX_INDEX_CHARS])):
        if run:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
            tokens.append(run[-1])
        else:
            tokens.append(word[:MAX_WORD])
    return tokens


def index_document(text: str) -> str:
    """index_tokens joined by spaces: what the full-text index receives."""
    return " ".join(index_tokens(text))


@dataclass(frozen=True)
class Phrase:
    """Consecutive index tokens; with `prefix`, the last one is a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Clause:
    """One required part of the query: any of its alternatives."""

    alternatives: tuple[Phrase, ...]


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]
    # Folded strings to mark in snippets: (text, is_word_prefix).
    marks: tuple[tuple[str, bool], ...]

    @property
    def empty(self) -> bool:
        return not self.clauses


def _cjk_phrase(piece: str) -> Phrase:
    if len(piece) == 1:
        return Phrase((piece,), prefix=True)
    return Phrase(tuple(piece[i : i + 2] for i in range(len(piece) - 1)))


def _pieces(run: str) -> list[str]:
    """jieba's words of a Chinese run, single characters glued to a neighbour."""
    if len(run) <= 2:
        return [run]
    pieces: list[str] = []
    buffer = ""
    for word in segmenter.cut(run):
        buffer += word
        if len(buffer) >= 2:
            pieces.append(buffer)
            buffer = ""
    if buffer:
        if pieces:
            pieces[-1] += buffer
        else:
            pieces.append(buffer)
    return pieces


def _word_clause(words: list[str]) -> tuple[Clause, list[tuple[str, bool]]]:
    """Words joined by punctuation in the query (e-mail): one phrase, the last word a prefix."""
    prefix = len(words[-1]) >= MIN_PREFIX
    marks = [(w, prefix and i == len(words) - 1) for i, w in enumerate(words)]
    return Clause((Phrase(tuple(words), prefix=prefix),)), marks


def parse_query(query: str) -> ParsedQuery:
    """The clauses a message must match. Needs jieba for Chinese: call it in a thread until
    `segmenter.is_ready()`."""
    clauses: list[Clause] = []
    marks: list[tuple[str, bool]] = []
    for chunk in fold(query).split():
        words: list[str] = []
        for match in TOKEN_RE.finditer(chunk):
            run, word = match.group(1), match.group(2)
            if word:
                words.append(word[:MAX_WORD])
                continue
            if words:
                clause, word_marks = _word_clause(words)
                clauses.append(clause)
                marks.extend(word_marks)
                words = []
            for piece in _pieces(run):
                variants = [piece, *sorted(segmenter.regional_variants(piece, fold))]
                clauses.append(Clause(tuple(_cjk_phrase(v) for v in variants)))
                marks.extend((v, False) for v in variants)
        if words:
            clause, word_marks = _word_clause(words)
            clauses.append(clause)
            marks.extend(word_marks)
    unique = tuple(dict.fromkeys(clauses))[:MAX_CLAUSES]
    return ParsedQuery(clauses=unique, marks=tuple(dict.fromkeys(marks)))
