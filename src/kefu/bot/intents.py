"""What a customer's message means to the bot, decided from its text alone: a request for a
person, visible anger, a tap on one of the bot's buttons, contact details. Pure functions.

Matching folds case, width and Traditional/Simplified (kefu.search.folding.fold), and looks at
the first MATCH_CHARS characters only, so a 100 KB message costs no more than a short one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kefu.bot.settings import BotSettings, MenuItem
from kefu.routing.settings import LocalizedText
from kefu.search.folding import fold

MATCH_CHARS = 500

HANDOFF_PHRASES = (
    "轉真人",
    "真人客服",
    "真人",
    "人工客服",
    "客服人員",
    "找客服",
    "專人",
    "agent",
    "human",
    "real person",
    "representative",
    "talk to someone",
    "speak to someone",
    "operator",
)
# Anger, insults and complaints. Deliberately short and unambiguous: 幹 alone is also "do"
# (幹嘛 "why"), 扯 alone "pull", so only their angry compounds are listed.
UPSET_PHRASES = (
    "爛透",
    "很爛",
    "太爛",
    "垃圾",
    "氣死",
    "生氣",
    "火大",
    "不爽",
    "投訴",
    "客訴",
    "申訴",
    "詐騙",
    "騙子",
    "太扯",
    "離譜",
    "靠北",
    "媽的",
    "白癡",
    "白痴",
    "廢物",
    "笨蛋",
    "什麼鬼",
    "angry",
    "furious",
    "ridiculous",
    "terrible",
    "awful",
    "worst",
    "scam",
    "useless",
    "stupid",
    "idiot",
    "complaint",
    "complain",
    "unacceptable",
    "disgusting",
    "wtf",
    "fuck",
    "shit",
    "damn",
)
_REPEATED_MARKS = re.compile(r"[!?！？]{3,}")
_EMAIL = re.compile(r"[^\s@<>,;:\"']{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{6,19}[0-9]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)

HELPED = "bot:helped"
NOT_HELPED = "bot:human"
FEEDBACK_LABELS = {
    HELPED: LocalizedText.model_validate({"zh-TW": "這有幫助", "en": "This helped"}),
    NOT_HELPED: LocalizedText.model_validate({"zh-TW": "轉真人", "en": "Talk to a person"}),
}


def head(text: str) -> str:
    return text[:MATCH_CHARS]


def _has_phrase(folded: str, phrase: str) -> bool:
    """An ASCII phrase matches whole words ("agent" not in "agenda"), a Chinese one anywhere."""
    p = fold(phrase)
    if not p:
        return False
    if p.isascii():
        return re.search(r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9])", folded) is not None
    return p in folded


def handoff_phrases(settings: BotSettings) -> tuple[str, ...]:
    return HANDOFF_PHRASES + tuple(settings.handoff_keywords)


def asks_for_person(text: str, settings: BotSettings) -> bool:
    folded = fold(head(text))
    return any(_has_phrase(folded, p) for p in handoff_phrases(settings))


def is_upset(text: str) -> bool:
    """Anger words (either language), !!! / ？？？, or shouting: mostly capitals over 10+
    letters."""
    sample = head(text)
    if _REPEATED_MARKS.search(sample):
        return True
    letters = [c for c in sample if c.isascii() and c.isalpha()]
    if len(letters) >= 10 and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
        return True
    folded = fold(sample)
    return any(_has_phrase(folded, p) for p in UPSET_PHRASES)


def _same(text: str, label: LocalizedText, value: str) -> bool:
    answer = fold(head(text)).strip()
    names = {value, label.zh_tw, label.en}
    return bool(answer) and answer in {fold(n).strip() for n in names if n}


def feedback_tap(text: str) -> str | None:
    """HELPED or NOT_HELPED when the text is one of the answer's two buttons (label in either
    language, as the widget sends it, or the value, as Telegram and LINE postbacks do)."""
    for value, label in FEEDBACK_LABELS.items():
        if _same(text, label, value):
            return value
    return None


def menu_tap(text: str, settings: BotSettings) -> MenuItem | None:
    for item in settings.menu:
        if _same(text, item.label, menu_value(item)):
            return item
    return None


def menu_value(item: MenuItem) -> str:
    """The quick reply's value: unique per item, recognised when it comes back."""
    return f"menu:{item.kind}:{item.value}"[:200] if item.kind != "handoff" else "menu:handoff"


def guess_locale(text: str) -> str | None:
    """zh-TW for any Chinese character, en for Latin letters, None for neither (a number, an
    email address, a sticker)."""
    sample = head(text)
    if _CJK.search(sample):
        return "zh-TW"
    if len(_LATIN.findall(sample)) >= 2 and "@" not in sample:
        return "en"
    return None


def is_substantive(text: str, settings: BotSettings) -> bool:
    """Whether a message says something beyond asking for a person or tapping a button: what
    the handoff summary keeps."""
    if feedback_tap(text) or menu_tap(text, settings):
        return False
    folded = fold(head(text))
    for phrase in sorted(handoff_phrases(settings), key=len, reverse=True):
        p = fold(phrase)
        if p:
            folded = folded.replace(p, " ")
    for filler in ("請", "幫我", "我要", "我想", "please", "i want", "i need", "a", "an", "to"):
        folded = re.sub(r"(?<![a-z])" + re.escape(filler) + r"(?![a-z])", " ", folded)
    return len(_NOISE.sub("", folded)) >= 2


@dataclass(frozen=True, slots=True)
class ContactDetails:
    email: str | None = None
    phone: str | None = None


def contact_details(text: str) -> ContactDetails:
    """An email address and/or a phone number in what the customer typed (validated shapes:
    one @ with a dotted domain; 8-15 digits with + ( ) - and spaces)."""
    sample = head(text)
    email = None
    if found := _EMAIL.search(sample):
        candidate = found.group().strip(".").lower()
        if len(candidate) <= 254:
            email = candidate
    phone = None
    rest = _EMAIL.sub(" ", sample)
    for match in _PHONE.finditer(rest):
        digits = re.sub(r"\D", "", match.group())
        if 8 <= len(digits) <= 15:
            phone = match.group().strip()
            break
    return ContactDetails(email=email, phone=phone)
