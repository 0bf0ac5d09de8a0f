"""Routing rules: ordered conditions -> actions, evaluated as pure functions.

Conditions look at the inbox and channel, the customer's message text (keywords or a regular
expression), contact attributes, the topic picked, and whether it is inside business hours.
All matching rules apply in order: the first rule that sets a team (or a priority) wins, tags
and required skills accumulate.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kefu.bounds import Id

Priority = Literal["urgent", "high", "normal", "low"]
MAX_TEXT = 4000  # characters of the customer's text the rules look at


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InboxCondition(_Condition):
    field: Literal["inbox"]
    inbox_ids: list[Id] = Field(min_length=1, max_length=100)


class ChannelCondition(_Condition):
    field: Literal["channel"]
    channels: list[str] = Field(min_length=1, max_length=10)


class KeywordsCondition(_Condition):
    """Any of the keywords occurs in the text. Case, width (全形/半形) and accents are folded;
    an ASCII keyword matches at the start of a word ("refund" matches "Refunds" but not
    "prefund"); a Chinese keyword matches anywhere (Chinese has no spaces between words)."""

    field: Literal["keywords"]
    keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=100
    )


class RegexCondition(_Condition):
    field: Literal["regex"]
    pattern: str = Field(min_length=1, max_length=500)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class ContactAttributeCondition(_Condition):
    field: Literal["contact_attribute"]
    name: str = Field(min_length=1, max_length=100)
    # Compared as text, case-insensitively: true / "true" / "True" are the same.
    equals: str | int | float | bool


class BusinessHoursCondition(_Condition):
    field: Literal["business_hours"]
    inside: bool


class TopicCondition(_Condition):
    field: Literal["topic"]
    topics: list[str] = Field(min_length=1, max_length=20)


Condition = Annotated[
    InboxCondition
    | ChannelCondition
    | KeywordsCondition
    | RegexCondition
    | ContactAttributeCondition
    | BusinessHoursCondition
    | TopicCondition,
    Field(discriminator="field"),
]


class RuleConditions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: Literal["all", "any"] = "all"
    items: list[Condition] = Field(default_factory=list, max_length=20)


class RuleActions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team_id: Id | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )
    priority: Priority | None = None
    skills: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )


@dataclass(frozen=True)
class RoutingFacts:
    """What the rules may look at, gathered by the routing step."""

    inbox_id: int
    channel: str
    text: str
    contact_attributes: dict[str, Any]
    inside_business_hours: bool
    topic: str | None = None


@dataclass
class RoutingDecision:
    team_id: int | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    rule_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    id: int
    conditions: RuleConditions
    actions: RuleActions


def fold(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) then casefold."""
    return unicodedata.normalize("NFKC", text).casefold()


def _keyword_hit(keyword: str, folded_text: str) -> bool:
    word = fold(keyword).strip()
    if not word:
        return False
    if word.isascii():
        return re.search(r"(?<![0-9a-z])" + re.escape(word), folded_text) is not None
    return word in folded_text


def condition_matches(condition: Condition, facts: RoutingFacts) -> bool:
    text = facts.text[:MAX_TEXT]
    match condition:
        case InboxCondition():
            return facts.inbox_id in condition.inbox_ids
        case ChannelCondition():
            return facts.channel in condition.channels
        case KeywordsCondition():
            folded = fold(text)
            return any(_keyword_hit(k, folded) for k in condition.keywords)
        case RegexCondition():
            return re.search(condition.pattern, text, re.IGNORECASE) is not None
        case ContactAttributeCondition():
            if condition.name not in facts.contact_attributes:
                return False
            actual = facts.contact_attributes[condition.name]
            return str(actual).casefold() == str(condition.equals).casefold()
        case BusinessHoursCondition():
            return facts.inside_business_hours == condition.inside
        case TopicCondition():
            return facts.topic in condition.topics
    return False  # pragma: no cover - the union is exhaustive


def rule_matches(conditions: RuleConditions, facts: RoutingFacts) -> bool:
    if not conditions.items:
        return True
    results = (condition_matches(c, facts) for c in conditions.items)
    return all(results) if conditions.match == "all" else any(results)


def apply_rules(rules: list[Rule], facts: RoutingFacts) -> RoutingDecision:
    decision = RoutingDecision()
    for rule in rules:
        if not rule_matches(rule.conditions, facts):
            continue
        decision.rule_ids.append(rule.id)
        actions = rule.actions
        if decision.team_id is None and actions.team_id is not None:
            decision.team_id = actions.team_id
        if decision.priority is None and actions.priority is not None:
            decision.priority = actions.priority
        decision.tags.extend(t for t in actions.tags if t not in decision.tags)
        decision.skills.extend(s for s in actions.skills if s not in decision.skills)
    return decision
