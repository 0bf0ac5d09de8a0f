"""The FAQ bot's answer selection, scored on a labelled question set. Run from the repository
root:

    PYTHONPATH=src .venv/bin/python -m bench.faq_eval [--misses] [--without typos|bigrams|synonyms]

The knowledge base is the demo content the repository ships (kefu/kb/demo/kb.json), indexed by
the bot's own `KbIndex`; the questions are bench/faq_eval_set.json (zh-TW and en: paraphrases,
typos, Simplified spellings, colloquial and mixed phrasing, and questions that must be handed
to a person). Each question is searched the way the bot searches: in the language
`guess_locale` finds (the question's own locale as the default), articles and Q&A pairs only;
the bot answers with the top match when its confidence reaches the threshold.

Definitions (docs/faq-eval.md):
- correct: the top match is an expected article, an expected Q&A pair, or a Q&A pair linked to
  an expected article;
- precision@1: correct answers / answers given, over the answerable questions;
- wrong-answer rate: (answerable questions answered with a wrong document + must-not-answer
  questions answered) / all questions;
- correct handoffs: must-not-answer questions not answered / must-not-answer questions;
- coverage: answerable questions answered / answerable questions (recall: answered correctly).

Every 3rd question (index 2, 5, 8, ...) is held out: the threshold and the retrieval's weights
were chosen looking at the others only; both splits are reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path

from kefu.kb import retrieval
from kefu.kb.demo_content import DemoContent, demo_documents, load_demo_content
from kefu.kb.retrieval import DEFAULT_THRESHOLD, Document, KbIndex, Match, guess_locale

EVAL_SET = Path(__file__).with_name("faq_eval_set.json")
KINDS = frozenset({"article", "qa"})
THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 20)]


@dataclass(frozen=True, slots=True)
class Question:
    index: int
    text: str
    locale: str
    expect: frozenset[str] | None  # article slugs / qa keys; None: must hand off
    tag: str

    @property
    def held_out(self) -> bool:
        return self.index % 3 == 2


@dataclass(frozen=True, slots=True)
class Outcome:
    question: Question
    top: Match | None
    answer_ids: frozenset[str]  # what the top match stands for (slug, qa key, linked slug)
    seconds: float

    @property
    def confidence(self) -> float:
        return self.top.confidence if self.top else 0.0

    @property
    def correct(self) -> bool:
        q = self.question
        return q.expect is not None and bool(self.answer_ids & q.expect)


def load_questions(path: Path = EVAL_SET) -> list[Question]:
    raw = json.loads(path.read_text(encoding="utf-8"))["questions"]
    return [
        Question(
            i,
            item["q"],
            item["locale"],
            frozenset(item["expect"]) if item["expect"] is not None else None,
            item["tag"],
        )
        for i, item in enumerate(raw)
    ]


def answer_ids(content: DemoContent) -> dict[str, frozenset[str]]:
    """Document key -> the labels a match on it satisfies."""
    out: dict[str, frozenset[str]] = {}
    for article_id, article in enumerate(content.articles, start=1):
        for locale in article.locales:
            out[f"article:{article_id}:{locale}"] = frozenset({article.slug})
    for qa_id, qa in enumerate(content.qa, start=1):
        out[f"qa:{qa_id}"] = frozenset({qa.key} | ({qa.article} if qa.article else set()))
    return out


def run(index: KbIndex, ids: dict[str, frozenset[str]], questions: list[Question]) -> list[Outcome]:
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        matches = index.search(q.text, locale=guess_locale(q.text, q.locale), limit=1, kinds=KINDS)
        elapsed = time.perf_counter() - started
        top = matches[0] if matches else None
        outcomes.append(Outcome(q, top, ids[top.document.key] if top else frozenset(), elapsed))
    return outcomes


@dataclass(frozen=True, slots=True)
class Figures:
    questions: int
    # None where the subset has no question of the kind the figure is about
    precision: float | None
    wrong_rate: float
    handoff_rate: float | None
    coverage: float | None
    recall: float | None


def figures(outcomes: list[Outcome], threshold: float) -> Figures:
    answerable = [o for o in outcomes if o.question.expect is not None]
    oos = [o for o in outcomes if o.question.expect is None]
    answered = [o for o in answerable if o.top and o.confidence >= threshold]
    correct = [o for o in answered if o.correct]
    oos_answered = [o for o in oos if o.top and o.confidence >= threshold]
    wrong = len(answered) - len(correct) + len(oos_answered)

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    return Figures(
        questions=len(outcomes),
        precision=ratio(len(correct), len(answered)),
        wrong_rate=wrong / len(outcomes) if outcomes else 0.0,
        handoff_rate=ratio(len(oos) - len(oos_answered), len(oos)),
        coverage=ratio(len(answered), len(answerable)),
        recall=ratio(len(correct), len(answerable)),
    )


def _pct(x: float | None) -> str:
    return "    - " if x is None else f"{100 * x:5.1f}%"


def print_curve(title: str, outcomes: list[Outcome]) -> None:
    print(f"\n{title} ({len(outcomes)} questions)")
    print("threshold  precision@1  wrong answers  correct handoffs  coverage  answered right")
    for t in THRESHOLDS:
        f = figures(outcomes, t)
        mark = "  <- DEFAULT_THRESHOLD" if abs(t - DEFAULT_THRESHOLD) < 1e-9 else ""
        print(
            f"  {t:4.2f}      {_pct(f.precision)}       {_pct(f.wrong_rate)}"
            f"          {_pct(f.handoff_rate)}      {_pct(f.coverage)}    {_pct(f.recall)}{mark}"
        )


def print_at_default(outcomes: list[Outcome]) -> None:
    print(f"\nAt DEFAULT_THRESHOLD = {DEFAULT_THRESHOLD}")
    print(
        "split                   questions  precision@1  wrong answers  correct handoffs  coverage"
    )
    splits = {
        "all": outcomes,
        "tuning (2 of 3)": [o for o in outcomes if not o.question.held_out],
        "held out (every 3rd)": [o for o in outcomes if o.question.held_out],
        "zh-TW": [o for o in outcomes if o.question.locale == "zh-TW"],
        "en": [o for o in outcomes if o.question.locale == "en"],
    }
    for name, subset in splits.items():
        f = figures(subset, DEFAULT_THRESHOLD)
        print(
            f"  {name:22} {f.questions:5}       {_pct(f.precision)}       {_pct(f.wrong_rate)}"
            f"          {_pct(f.handoff_rate)}      {_pct(f.coverage)}"
        )
    for tag in sorted({o.question.tag for o in outcomes}):
        subset = [o for o in outcomes if o.question.tag == tag]
        f = figures(subset, DEFAULT_THRESHOLD)
        print(
            f"  {'tag ' + tag:22} {f.questions:5}       {_pct(f.precision)}       "
            f"{_pct(f.wrong_rate)}          {_pct(f.handoff_rate)}      {_pct(f.coverage)}"
        )
    top1 = [o for o in outcomes if o.question.expect is not None]
    right = sum(o.correct for o in top1)
    print(f"  top-1 right regardless of threshold: {right}/{len(top1)} ({_pct(right / len(top1))})")


def suggest(outcomes: list[Outcome], max_wrong: float = 0.05) -> float | None:
    """The lowest threshold whose wrong-answer rate is at most `max_wrong` (tuning split)."""
    tuning = [o for o in outcomes if not o.question.held_out]
    for t in THRESHOLDS:
        if figures(tuning, t).wrong_rate <= max_wrong:
            return t
    return None


def print_misses(outcomes: list[Outcome]) -> None:
    """The tuning split's mistakes only: looking at the held-out questions' would make them
    tuning questions too."""
    outcomes = [o for o in outcomes if not o.question.held_out]
    print(f"\nTuning split's mistakes at {DEFAULT_THRESHOLD} (wrong answers, then missed):")
    for o in outcomes:
        answered = o.top is not None and o.confidence >= DEFAULT_THRESHOLD
        got = o.top.document.key if o.top else "-"
        label = sorted(o.answer_ids)
        if answered and not o.correct:
            print(f"  WRONG  {o.confidence:.3f} {o.question.text!r} -> {got} {label}")
    for o in outcomes:
        answered = o.top is not None and o.confidence >= DEFAULT_THRESHOLD
        if o.question.expect is not None and not answered:
            got = o.top.document.key if o.top else "-"
            ok = "right" if o.correct else "wrong"
            print(f"  MISSED {o.confidence:.3f} {o.question.text!r} -> {got} ({ok} top)")


# What --without turns off (an ablation: how much each fallback is worth on this set).
ABLATIONS = {
    "typos": {"_TYPO_DISCOUNT": 0.0},
    "bigrams": {"_BIGRAM_WEIGHT": 0.0, "_SPLIT_DISCOUNT": 0.0},
    "synonyms": {"_SYNONYM_FACTOR": 0.0},
}


def scale_timing(docs: list[Document], copies: int) -> tuple[int, float, float]:
    """(documents, build seconds, mean ms per query) for the demo documents repeated
    `copies` times (distinct keys and ids): search cost at a larger knowledge base's size."""
    many = [
        replace(d, key=f"{d.key}#{c}", ref_id=d.ref_id + 1000 * c)
        for c in range(copies)
        for d in docs
    ]
    started = time.perf_counter()
    index = KbIndex.build(many)
    build = time.perf_counter() - started
    queries = [q.text for q in load_questions()]
    started = time.perf_counter()
    for q in queries:
        index.search(q, locale=guess_locale(q, "zh-TW"), kinds=KINDS)
    return len(many), build, 1000 * (time.perf_counter() - started) / len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the tuning split's mistakes")
    parser.add_argument(
        "--without",
        action="append",
        choices=sorted(ABLATIONS),
        default=[],
        help="turn a fallback off (ablation; repeatable)",
    )
    args = parser.parse_args()
    for name in args.without:
        for attr, value in ABLATIONS[name].items():
            setattr(retrieval, attr, value)
        print(f"Without {name}")

    content = load_demo_content()
    docs = demo_documents(content)
    KbIndex.build(docs[:1]).search("warm up 暖身")  # jieba's dictionary loads on first use
    started = time.perf_counter()
    index = KbIndex.build(docs)
    build_ms = 1000 * (time.perf_counter() - started)
    questions = load_questions()
    outcomes = run(index, answer_ids(content), questions)

    n_zh = sum(q.locale == "zh-TW" for q in questions)
    n_oos = sum(q.expect is None for q in questions)
    print(
        f"Knowledge base: {len(content.articles)} articles, {len(content.qa)} Q&A pairs, "
        f"{len(docs)} documents (index built in {build_ms:.0f} ms)"
    )
    print(
        f"Questions: {len(questions)} ({n_zh} zh-TW, {len(questions) - n_zh} en; "
        f"{n_oos} must not be answered)"
    )
    print_curve("All questions", outcomes)
    print_curve("Held-out split (every 3rd question)", [o for o in outcomes if o.question.held_out])
    print_at_default(outcomes)
    suggested = suggest(outcomes)
    print(f"  lowest threshold with <= 5% wrong answers on the tuning split: {suggested}")

    times = sorted(1000 * o.seconds for o in outcomes)
    p95 = times[int(0.95 * (len(times) - 1))]
    started = time.perf_counter()
    index.search("退款 refund " * 8000, locale="en")  # a 100 KB message
    huge_ms = 1000 * (time.perf_counter() - started)
    print(
        f"\nTime per query: mean {statistics.fmean(times):.2f} ms, p95 {p95:.2f} ms, "
        f"max {times[-1]:.2f} ms; a 100 KB message: {huge_ms:.2f} ms"
    )
    n, build, per_query = scale_timing(docs, 4)
    print(
        f"At {n} documents (the demo content 4 times): index built in {build:.2f} s, "
        f"{per_query:.2f} ms per query"
    )
    if args.misses:
        print_misses(outcomes)


if __name__ == "__main__":
    main()
