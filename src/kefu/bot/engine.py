"""The bot's decisions, as pure functions: what a turn means (`classify`), which knowledge-base
match answers it (`pick_match`), and what the bot says and does (`plan_*`). The runner
(bot/runner.py) reads what these need, does the outside I/O they ask for, and hands the final
`Plan` to one write action (bot/actions.py).

Order of decisions in a turn (docs/bot.md): contact collection in progress; a tap on "talk to
a person" under an answer; any request for a person; visible anger; a tap on "this helped"; a
menu button; the value an action waits for; otherwise the knowledge base."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from kefu.bot import intents
from kefu.bot.intents import FEEDBACK_LABELS, HELPED, NOT_HELPED, ContactDetails
from kefu.bot.settings import BotSettings, MenuItem
from kefu.bot.summary import summarize
from kefu.kb.retrieval import Match

MAX_QUESTIONS = 5  # remembered for the handoff summary
ANSWER_CHARS = 400  # an article's opening, as plain text
VALUE_CHARS = 100  # an action's value (an order number) is short

PHRASES: dict[str, dict[str, str]] = {
    "zh-TW": {
        "handoff": "已為您轉接真人客服，請稍候，客服人員會看到您與小幫手的對話。",
        "helped": "很高興能幫上忙！還有其他問題嗎？",
        "retry": "格式似乎不正確，請再輸入一次。",
        "ask_contact": "目前為非服務時間。請留下您的 Email 或電話，我們會盡快與您聯繫。",
        "retry_contact": "抱歉，我沒有看到有效的 Email 或電話，請再輸入一次。",
        "ask_question": "請簡單描述您的問題，上班時間客服人員會為您處理。",
        "collected": "謝謝！我們已收到您的資料，客服人員將於 {next_open} 回覆您。",
        "collected_soon": "謝謝！我們已收到您的資料，客服人員上班後會盡快回覆您。",
        "more": "詳細說明：",
    },
    "en": {
        "handoff": "Connecting you to a person… They will see your conversation with the "
        "assistant, so there is no need to repeat yourself.",
        "helped": "Glad that helped! Anything else?",
        "retry": "That doesn't look right. Please try again.",
        "ask_contact": "We're closed right now. Please leave your email or phone number and "
        "we'll get back to you.",
        "retry_contact": "Sorry, I couldn't find an email address or phone number there. "
        "Please try again.",
        "ask_question": "Please tell us briefly what you need; the team will pick it up when "
        "they're back.",
        "collected": "Thank you! We have your details and will reply on {next_open}.",
        "collected_soon": "Thank you! We have your details and will reply as soon as we're back.",
        "more": "More: ",
    },
}

Outcome = Literal["answered", "handoff", "unanswered", "action", "menu", "collected"]
Reason = Literal[
    "low_confidence", "requested", "upset", "action_failed", "not_helped", "after_hours"
]


def say(locale: str, key: str, **values: str) -> str:
    text = PHRASES["en" if locale == "en" else "zh-TW"][key]
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def feedback_buttons(locale: str) -> list[dict[str, str]]:
    return [{"label": label.pick(locale), "value": v} for v, label in FEEDBACK_LABELS.items()]


def menu_buttons(settings: BotSettings, locale: str) -> list[dict[str, str]]:
    return [
        {"label": item.label.pick(locale), "value": intents.menu_value(item)}
        for item in settings.menu
    ]


@dataclass(frozen=True, slots=True)
class TurnInput:
    settings: BotSettings
    locale: str  # the customer's language (guessed from their words, else the inbox's)
    texts: list[str]  # the customer's new messages, oldest first, each cut to MATCH_CHARS
    state: dict[str, Any]  # conversation.bot_state as read
    inside_hours: bool
    contact_has_reach: bool  # the contact already has an email or a phone number
    next_open: str  # "tomorrow 09:00", formatted for the customer ("" if never)
    summary_locale: str  # the agents' language (the inbox's)


@dataclass(frozen=True, slots=True)
class Intent:
    kind: Literal["collect", "handoff", "helped", "menu", "action_value", "question", "empty"]
    reason: Reason | None = None
    menu: MenuItem | None = None
    text: str = ""  # what to look up, or the value


@dataclass(frozen=True, slots=True)
class Source:
    """What answers: a Q&A pair, an article (its opening and link) or an action (its prompt)."""

    kind: Literal["qa", "article", "action"]
    ref_id: int
    locale: str
    title: str
    body: str  # the Q&A answer, the article's Markdown, the action's prompt
    url: str = ""  # an article's help-centre page
    confidence: float = 1.0
    param_pattern: str = ""  # an action's


@dataclass(frozen=True, slots=True)
class ActionCall:
    action_id: int
    value: str


@dataclass(frozen=True, slots=True)
class GenerativeCall:
    question: str
    article_ids: tuple[int, ...]


@dataclass(slots=True)
class Plan:
    outcome: Outcome
    reason: Reason | None = None
    question: str = ""
    replies: list[tuple[str, list[dict[str, str]] | None]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # the new bot_state (seq set by caller)
    source_kind: str | None = None
    source_id: int | None = None
    score: float | None = None
    # Into routing (rules, team, SLA, the queue); `quiet`: without its outside-hours reply.
    route: bool = False
    quiet: bool = False
    end_bot: bool = False  # routing_state becomes "routed": the bot stops answering
    summary: str | None = None  # the bot_handoff activity line
    raise_priority: bool = False
    feedback: str | None = None  # for the previous answer's turn (bot_state["answer_turn"])
    record_turn: bool = True
    contact: ContactDetails | None = None  # store on the contact
    io: ActionCall | GenerativeCall | None = None  # outside I/O still to do


def classify(turn: TurnInput) -> Intent:
    settings, state = turn.settings, turn.state
    texts = [t for t in turn.texts if t.strip()]
    if not texts:
        return Intent("empty")
    last = texts[-1]
    if state.get("collect"):
        return Intent("collect", text=last)
    tap = intents.feedback_tap(last)
    if tap == NOT_HELPED and state.get("answer_turn"):
        return Intent("handoff", reason="not_helped")
    if any(intents.asks_for_person(t, settings) for t in texts):
        return Intent("handoff", reason="requested")
    if any(intents.is_upset(t) for t in texts):
        return Intent("handoff", reason="upset")
    if tap == HELPED:
        return Intent("helped")
    if item := intents.menu_tap(last, settings):
        if item.kind == "handoff":
            return Intent("handoff", reason="requested")
        return Intent("menu", menu=item, text=item.value)
    if state.get("awaiting"):
        return Intent("action_value", text=last.strip())
    return Intent("question", text="\n".join(texts))


def questions_with(turn: TurnInput) -> list[str]:
    """The substantive things the customer said in the bot phase, this turn included."""
    asked = [str(q) for q in turn.state.get("asked", [])]
    for text in turn.texts:
        if intents.is_substantive(text, turn.settings):
            asked.append(text.strip()[:200])
    return asked[-MAX_QUESTIONS:]


def pick_match(matches: list[Match], locale: str, threshold: float) -> Match | None:
    """The best match in the customer's language if it clears the threshold, else the best
    overall if that does; None below the threshold."""
    own = [m for m in matches if m.document.locale == locale]
    for candidates in (own, matches):
        if candidates and candidates[0].confidence >= threshold:
            return candidates[0]
    return None


def _base_state(turn: TurnInput) -> dict[str, Any]:
    state = {k: v for k, v in turn.state.items() if k not in ("awaiting", "answer_turn", "collect")}
    state["welcomed"] = True
    state["locale"] = turn.locale
    state["asked"] = questions_with(turn)
    return state


def _turn_question(turn: TurnInput) -> str:
    return "\n".join(t.strip() for t in turn.texts if t.strip())[: intents.MATCH_CHARS]


def _welcome(turn: TurnInput, plan: Plan, *, with_menu: bool) -> None:
    if turn.state.get("welcomed"):
        return
    text = turn.settings.welcome.pick(turn.locale)
    buttons = menu_buttons(turn.settings, turn.locale) if with_menu else None
    if text.strip() or buttons:
        plan.replies.insert(0, (text, buttons or None))


def plan_handoff(turn: TurnInput, reason: Reason) -> Plan:
    """To a person: the summary line, a word to the customer, and into routing. Outside
    business hours with collection on, the bot first asks for what the team will need."""
    state = _base_state(turn)
    plan = Plan(
        outcome="handoff",
        reason=reason,
        question=_turn_question(turn),
        state=state,
        route=True,
        summary=summarize(state["asked"], reason, turn.summary_locale),
        raise_priority=reason == "upset",
    )
    if reason == "not_helped":
        plan.feedback = "not_helped"
    if turn.inside_hours or not turn.settings.after_hours_collection:
        plan.end_bot = True
        plan.replies.append((say(turn.locale, "handoff"), None))
        return plan
    # Queued now (so nothing is lost if the customer leaves), quietly: the bot tells them when.
    plan.quiet = True
    need = []
    if not turn.contact_has_reach:
        need.append("contact")
    if not state["asked"]:
        need.append("question")
    if not need:
        plan.end_bot = True
        plan.replies.append((_collected_text(turn), None))
        return plan
    state["collect"] = {"need": need, "tries": 0}
    plan.replies.append((_ask(turn.locale, need[0]), None))
    return plan


def _ask(locale: str, what: str, *, again: bool = False) -> str:
    if what == "contact":
        return say(locale, "retry_contact" if again else "ask_contact")
    return say(locale, "ask_question")


def _collected_text(turn: TurnInput) -> str:
    if turn.next_open:
        return say(turn.locale, "collected", next_open=turn.next_open)
    return say(turn.locale, "collected_soon")


def plan_collect(turn: TurnInput, text: str) -> Plan:
    """One answer while collecting contact details and the question after hours."""
    collect = dict(turn.state.get("collect") or {})
    need = [str(n) for n in collect.get("need", [])]
    tries = int(collect.get("tries", 0))
    state = _base_state(turn)
    plan = Plan(outcome="collected", reason="after_hours", question="", state=state)
    if need and need[0] == "contact":
        details = intents.contact_details(text)
        if details.email or details.phone:
            plan.contact = details
            need.pop(0)
            tries = 0
        elif tries >= 1:
            need.pop(0)  # asked twice: the team will answer here instead
            tries = 0
        else:
            state["collect"] = {"need": need, "tries": tries + 1}
            plan.replies.append((_ask(turn.locale, "contact", again=True), None))
            return plan
    elif need and need[0] == "question":
        need.pop(0)
        plan.question = _turn_question(turn)
    if need:
        state["collect"] = {"need": need, "tries": tries}
        plan.replies.append((_ask(turn.locale, need[0]), None))
        return plan
    plan.end_bot = True
    plan.replies.append((_collected_text(turn), None))
    return plan


def plan_helped(turn: TurnInput) -> Plan:
    """ "This helped": thanks; the answer's turn records the feedback (no turn of its own)."""
    plan = Plan(outcome="answered", state=_base_state(turn), feedback="helped")
    plan.state["asked"] = [str(q) for q in turn.state.get("asked", [])]
    plan.record_turn = False
    plan.replies.append((say(turn.locale, "helped"), None))
    return plan


def _plain(markdown: str) -> str:
    """An article's opening paragraph(s) as plain text: headings, images and markup dropped,
    links reduced to their text."""
    out: list[str] = []
    size = 0
    for block in re.split(r"\n\s*\n", markdown.replace("\r\n", "\n")):
        block = block.strip()
        if not block or block.startswith("#") or block.startswith("```"):
            continue
        block = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", block)
        block = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", block)
        block = re.sub(r"^\s*(?:[-*+>]|\d+\.)\s+", "", block, flags=re.MULTILINE)
        block = re.sub(r"[*_`~]{1,3}", "", block).strip()
        if not block:
            continue
        out.append(block)
        size += len(block)
        if size >= ANSWER_CHARS // 2:
            break
    text = "\n\n".join(out)
    return text if len(text) <= ANSWER_CHARS else text[: ANSWER_CHARS - 1] + "…"


def answer_text(source: Source, locale: str) -> str:
    link = f"{say(locale, 'more')}{source.url}" if source.url else ""
    if source.kind == "qa":
        return "\n\n".join(p for p in (source.body, link) if p)
    body = _plain(source.body)
    return "\n\n".join(p for p in (source.title, body, link) if p)


def plan_answer(turn: TurnInput, source: Source, question: str) -> Plan:
    """A knowledge-base answer (with "this helped" / "talk to a person"), or an action's
    question for its value."""
    state = _base_state(turn)
    plan = Plan(
        outcome="answered",
        question=question[: intents.MATCH_CHARS],
        state=state,
        source_kind=source.kind,
        source_id=source.ref_id,
        score=source.confidence,
    )
    if source.kind == "action":
        plan.outcome = "action"
        state["awaiting"] = {"action_id": source.ref_id, "tries": 0, "prompt": source.body}
        plan.replies.append((source.body, None))
    else:
        state["answer_turn"] = True
        plan.replies.append((answer_text(source, source.locale), feedback_buttons(turn.locale)))
    _welcome(turn, plan, with_menu=False)
    return plan


def plan_unanswered(turn: TurnInput, question: str) -> Plan:
    """Nothing clears the threshold. On the first turn (a "hello" as often as a question) the
    welcome and the menu; afterwards a handoff."""
    if turn.state.get("welcomed"):
        return plan_handoff(turn, "low_confidence")
    substantive = any(intents.is_substantive(t, turn.settings) for t in turn.texts)
    plan = Plan(
        outcome="unanswered" if substantive else "menu",
        question=question[: intents.MATCH_CHARS],
        state=_base_state(turn),
    )
    _welcome(turn, plan, with_menu=True)
    if not plan.replies:  # no welcome text and no menu configured: nothing to offer
        return plan_handoff(turn, "low_confidence")
    return plan


def plan_action_value(turn: TurnInput, value: str, pattern: str) -> Plan:
    """The customer's value for the action we asked about: checked against its pattern (a
    mismatch is asked again once, then handed over), then the call (io)."""
    awaiting = dict(turn.state.get("awaiting") or {})
    action_id = int(awaiting.get("action_id", 0))
    ok = False
    if len(value) <= VALUE_CHARS:
        try:
            ok = re.fullmatch(pattern, value) is not None
        except re.error:
            return plan_handoff(turn, "action_failed")
    state = _base_state(turn)
    plan = Plan(outcome="action", question=value[:VALUE_CHARS], state=state, source_kind="action")
    plan.source_id = action_id
    if ok:
        plan.io = ActionCall(action_id, value)
        return plan
    if int(awaiting.get("tries", 0)) >= 1:
        return plan_handoff(turn, "action_failed")
    state["awaiting"] = {**awaiting, "tries": 1}
    prompt = str(awaiting.get("prompt", ""))
    plan.replies.append((f"{say(turn.locale, 'retry')} {prompt}".strip(), None))
    return plan


def finish_action(turn: TurnInput, plan: Plan, *, ok: bool, text: str | None) -> Plan:
    """After the action's call: its filled template, or a polite handoff (never the error)."""
    if not ok or not text:
        return plan_handoff(turn, "action_failed")
    plan.io = None
    plan.state["answer_turn"] = True
    plan.replies.append((text, feedback_buttons(turn.locale)))
    return plan


def finish_generative(turn: TurnInput, question: str, text: str, cited: list[Source]) -> Plan:
    """A drafted answer (its text already carries the numbered links of the articles it cites:
    kefu.bot.generative) with the feedback buttons."""
    state = _base_state(turn)
    state["answer_turn"] = True
    plan = Plan(
        outcome="answered",
        question=question[: intents.MATCH_CHARS],
        state=state,
        source_kind="generative",
        source_id=cited[0].ref_id if cited else None,
    )
    plan.replies.append((text, feedback_buttons(turn.locale)))
    _welcome(turn, plan, with_menu=False)
    return plan
