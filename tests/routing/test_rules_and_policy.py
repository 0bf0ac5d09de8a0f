"""Routing rules and agent choice as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from kefu.routing.policy import AgentSnapshot, WaitingConversation, choose_agent, queue_key
from kefu.routing.rules import (
    RoutingFacts,
    Rule,
    RuleActions,
    RuleConditions,
    apply_rules,
    rule_matches,
)

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def facts(text: str, **kw: object) -> RoutingFacts:
    base: dict[str, object] = {
        "inbox_id": 1,
        "channel": "web",
        "text": text,
        "contact_attributes": {},
        "inside_business_hours": True,
        "topic": None,
    }
    base.update(kw)
    return RoutingFacts(**base)  # type: ignore[arg-type]


def conditions(*items: dict[str, object], match: str = "all") -> RuleConditions:
    return RuleConditions.model_validate({"match": match, "items": list(items)})


REFUND = conditions({"field": "keywords", "keywords": ["退款", "refund"]})


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("我要退款", True),
        ("請問可以退款嗎？", True),
        ("I want a REFUND please", True),
        ("Refunds take how long?", True),  # a word that starts with the keyword
        ("ＲＥＦＵＮＤ", True),  # full-width letters fold to ASCII
        ("prefund the account", False),  # not at the start of a word
        ("我要退貨", False),
        ("", False),
    ],
)
def test_keywords_match_chinese_anywhere_and_english_at_word_start(text: str, hit: bool) -> None:
    assert rule_matches(REFUND, facts(text)) is hit


def test_regex_condition_and_its_validation() -> None:
    order = conditions({"field": "regex", "pattern": r"訂單\s*#?\d{6}"})
    assert rule_matches(order, facts("我的訂單 #123456 還沒到"))
    assert not rule_matches(order, facts("我的訂單還沒到"))
    with pytest.raises(ValidationError, match="regular expression"):
        conditions({"field": "regex", "pattern": "(unclosed"})


def test_contact_attribute_business_hours_topic_inbox_and_channel() -> None:
    vip = conditions({"field": "contact_attribute", "name": "vip", "equals": True})
    assert rule_matches(vip, facts("hi", contact_attributes={"vip": "true"}))
    assert not rule_matches(vip, facts("hi", contact_attributes={"vip": False}))
    assert not rule_matches(vip, facts("hi"))
    after_hours = conditions({"field": "business_hours", "inside": False})
    assert rule_matches(after_hours, facts("hi", inside_business_hours=False))
    assert not rule_matches(after_hours, facts("hi"))
    topic = conditions({"field": "topic", "topics": ["sales"]})
    assert rule_matches(topic, facts("hi", topic="sales"))
    assert not rule_matches(topic, facts("hi", topic="support"))
    where = conditions(
        {"field": "inbox", "inbox_ids": [2]}, {"field": "channel", "channels": ["web"]}, match="any"
    )
    assert rule_matches(where, facts("hi"))  # channel matches, inbox does not: "any"
    both = conditions(
        {"field": "inbox", "inbox_ids": [2]}, {"field": "channel", "channels": ["web"]}
    )
    assert not rule_matches(both, facts("hi"))


def test_first_rule_sets_team_and_priority_tags_and_skills_accumulate() -> None:
    rules = [
        Rule(1, REFUND, RuleActions(team_id=10, tags=["refund"], priority="high")),
        Rule(2, conditions(), RuleActions(team_id=20, tags=["all"], skills=["zh"])),
        Rule(
            3, conditions({"field": "keywords", "keywords": ["nothing"]}), RuleActions(team_id=30)
        ),
    ]
    decision = apply_rules(rules, facts("我要退款"))
    assert (decision.team_id, decision.priority) == (10, "high")
    assert decision.tags == ["refund", "all"] and decision.skills == ["zh"]
    assert decision.rule_ids == [1, 2]
    other = apply_rules(rules, facts("hello"))
    assert (other.team_id, other.priority, other.tags) == (20, None, ["all"])


def agent(uid: int, load: int, last: int | None = None, **kw: object) -> AgentSnapshot:
    base: dict[str, object] = {
        "user_id": uid,
        "load": load,
        "max_conversations": None,
        "last_assigned_at": None if last is None else T0 + timedelta(minutes=last),
        "skills": frozenset(),
        "inbox_ids": frozenset({1}),
        "team_ids": frozenset({5}),
    }
    base.update(kw)
    return AgentSnapshot(**base)  # type: ignore[arg-type]


WAITING = WaitingConversation(1, 1, 5, frozenset(), "normal", T0)


def test_balanced_prefers_fewest_open_then_longest_idle() -> None:
    agents = [agent(1, 2, last=0), agent(2, 1, last=5), agent(3, 1, last=1), agent(4, 3)]
    ranked = choose_agent(agents, WAITING, policy="balanced", inbox_default=3)
    assert [a.user_id for a in ranked] == [3, 2, 1]  # 4 is full


def test_round_robin_takes_whoever_waited_longest_and_respects_capacity() -> None:
    agents = [
        agent(1, 0, last=9),
        agent(2, 2, last=1),
        agent(3, 1),
        agent(4, 1, max_conversations=1),
    ]
    ranked = choose_agent(agents, WAITING, policy="round_robin", inbox_default=3)
    assert [a.user_id for a in ranked] == [3, 2, 1]  # never assigned first; 4 at its own limit


def test_eligibility_needs_inbox_team_and_every_skill() -> None:
    needs = WaitingConversation(1, 1, 5, frozenset({"en", "billing"}), "normal", T0)
    agents = [
        agent(1, 0, skills=frozenset({"en"})),
        agent(2, 0, skills=frozenset({"en", "billing", "zh"})),
        agent(3, 0, skills=frozenset({"en", "billing"}), team_ids=frozenset({6})),
        agent(4, 0, skills=frozenset({"en", "billing"}), inbox_ids=frozenset({2})),
    ]
    assert [a.user_id for a in choose_agent(agents, needs, policy="balanced", inbox_default=3)] == [
        2
    ]


def test_preferred_agent_goes_first_when_eligible() -> None:
    agents = [agent(1, 0), agent(2, 2)]
    ranked = choose_agent(agents, WAITING, policy="balanced", inbox_default=3, preferred_user_id=2)
    assert [a.user_id for a in ranked] == [2, 1]


def test_queue_order_is_priority_then_arrival_then_id() -> None:
    keys = sorted(
        [
            queue_key("normal", T0, 1),
            queue_key("urgent", T0 + timedelta(minutes=5), 2),
            queue_key("low", T0 - timedelta(hours=1), 3),
            queue_key("normal", T0, 0),
            queue_key("high", T0 + timedelta(minutes=1), 4),
        ]
    )
    assert [k[2] for k in keys] == [2, 4, 0, 1, 3]
