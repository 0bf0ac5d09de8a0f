"""A parsed query as each database's full-text query language. Only tokens kefu produced go
in (letters, digits, Chinese characters), each quoted: user input never reaches the parser
of either language as syntax."""

from __future__ import annotations

from kefu.search.tokens import Clause, ParsedQuery, Phrase


def _fts5_phrase(phrase: Phrase) -> str:
    quoted = '"' + " ".join(t.replace('"', '""') for t in phrase.tokens) + '"'
    return quoted + " *" if phrase.prefix else quoted


def _fts5_clause(clause: Clause) -> str:
    parts = [_fts5_phrase(p) for p in clause.alternatives]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def fts5_match(query: ParsedQuery) -> str:
    """SQLite FTS5: "a b" * AND ("x" OR "y")."""
    return " AND ".join(_fts5_clause(c) for c in query.clauses)


def _tsquery_token(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsquery_phrase(phrase: Phrase) -> str:
    tokens = [_tsquery_token(t) for t in phrase.tokens]
    if phrase.prefix:
        tokens[-1] += ":*"
    return " <-> ".join(tokens)


def _tsquery_clause(clause: Clause) -> str:
    parts = [_tsquery_phrase(p) for p in clause.alternatives]
    return "(" + " | ".join(parts) + ")"


def tsquery(query: ParsedQuery) -> str:
    """PostgreSQL tsquery input: ('a' <-> 'b':*) & ('x' | 'y')."""
    return " & ".join(_tsquery_clause(c) for c in query.clauses)
