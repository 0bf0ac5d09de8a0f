"""The one-line handoff summary agents read: what the customer asked in the bot phase and why
the bot handed over, in the inbox's language (the agents'), at most SUMMARY_CHARS."""

from __future__ import annotations

import re

SUMMARY_CHARS = 160

REASONS = {
    "zh-TW": {
        "requested": "要求真人",
        "low_confidence": "機器人無法回答",
        "upset": "客戶情緒不滿",
        "action_failed": "查詢失敗",
        "not_helped": "回答沒有幫助",
        "after_hours": "非服務時間",
    },
    "en": {
        "requested": "asked for a person",
        "low_confidence": "the bot had no answer",
        "upset": "customer upset",
        "action_failed": "lookup failed",
        "not_helped": "the answer did not help",
        "after_hours": "outside business hours",
    },
}
_SPACE = re.compile(r"\s+")


def summarize(questions: list[str], reason: str, locale: str) -> str:
    """ "客戶詢問:訂單 A1234 何時出貨(要求真人)" / "Customer asked: … (asked for a person)"."""
    zh = locale != "en"
    why = REASONS["zh-TW" if zh else "en"].get(reason, reason)
    tail = f"({why})" if zh else f" ({why})"
    asked = ";".join(_SPACE.sub(" ", q).strip() for q in questions if q.strip())
    if not asked:
        text = "客戶未留下問題" if zh else "No question given"
        return f"{text}{tail}"[:SUMMARY_CHARS]
    lead = "客戶詢問:" if zh else "Customer asked: "
    room = SUMMARY_CHARS - len(lead) - len(tail)
    if len(asked) > room:
        asked = asked[: max(room - 1, 0)] + "…"
    return f"{lead}{asked}{tail}"
