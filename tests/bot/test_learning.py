"""The learning report: which turns count, how they are grouped, who may read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from kefu.bot.learning import group_questions
from kefu.bot.models import BotTurn
from kefu.runtime import Runtime
from tests.bot.report_fixtures import add_turn, new_conversation
from tests.conftest import Workspace, agent_client
from tests.contacts.helpers import add_member, make_user

PERMISSION_TESTED = {"GET /api/v1/bot/unanswered", "POST /api/v1/bot/unanswered/reviewed"}
URL = "/api/v1/bot/unanswered"
REVIEWED = "/api/v1/bot/unanswered/reviewed"


def turn(n: int, question: str, outcome: str = "unanswered", **kw: object) -> BotTurn:
    values: dict[str, object] = {
        "id": n,
        "conversation_id": 100 + n,
        "inbox_id": 1,
        "question": question,
        "outcome": outcome,
        "locale": "en",
        "created_at": datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=n),
    }
    values.update(kw)
    return BotTurn(**values)


def test_grouping_by_similar_words() -> None:
    turns = [
        turn(1, "Do you ship to Japan?"),
        turn(2, "do you ship to Japan"),
        turn(3, "Can you ship to Japan please", "handoff", reason="low_confidence"),
        turn(4, "Ship to Japan?"),
        turn(5, "可以寄到日本嗎", locale="zh-TW"),
        turn(6, "能寄到日本嗎?", "handoff", reason="low_confidence", locale="zh-TW"),
        turn(7, "可以寄到日本吗", locale="zh-TW"),  # Simplified spelling: same words
        turn(8, "Where is my refund", "handoff", reason="low_confidence"),
        turn(9, "where's my refund??", "handoff", reason="not_helped"),
        turn(10, "Where is my parcel"),  # shares only "where": a group of its own
        turn(11, "Do you sell gift cards?"),
        turn(12, "   "),  # no words: left out
        turn(13, "do you ship to Japan"),
    ]
    groups = group_questions(turns)
    assert [(g.count, g.representative) for g in groups] == [
        (5, "do you ship to Japan"),  # the most frequent phrasing
        (3, "可以寄到日本吗"),  # all once: the newest
        (2, "where's my refund??"),
        (1, "Do you sell gift cards?"),  # newer than the parcel question
        (1, "Where is my parcel"),
    ]
    japan, japan_zh, refund = groups[0], groups[1], groups[2]
    assert japan.questions == [
        "do you ship to Japan",
        "Ship to Japan?",
        "Can you ship to Japan please",
        "Do you ship to Japan?",
    ]
    assert [e.conversation_id for e in japan.examples] == [113, 104, 103, 102, 101]  # newest 5
    assert japan.reasons == {"low_confidence": 1, "unanswered": 4}
    assert japan.locales == {"en": 5} and japan.locale == "en"
    assert japan.first_seen == turns[0].created_at and japan.last_seen == turns[12].created_at
    assert japan_zh.locale == "zh-TW" and set(japan_zh.questions) == {
        "可以寄到日本嗎",
        "能寄到日本嗎?",
        "可以寄到日本吗",
    }
    assert refund.reasons == {"low_confidence": 1, "not_helped": 1}


def test_grouping_threshold_and_empty() -> None:
    assert group_questions([]) == []
    turns = [turn(1, "refund policy"), turn(2, "refund policy details")]
    # Cosine 0.71 (two shared words, one rarer word apart): together at the default threshold.
    assert [g.count for g in group_questions(turns)] == [2]
    assert [g.count for g in group_questions(turns, similarity=0.9)] == [1, 1]


async def test_report_api_selection_window_and_scope(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    inbox, other = workspace.inbox, workspace.other_inbox
    c1 = await new_conversation(client, runtime, inbox, "hi")
    c2 = await new_conversation(client, runtime, inbox, "hi")
    c3 = await new_conversation(client, runtime, other, "hi")
    rows = [
        (c1, inbox, "Do you ship to Japan?", "unanswered", None, now - timedelta(hours=3)),
        (c2, inbox, "Ship to Japan?", "handoff", "low_confidence", now - timedelta(hours=2)),
        (c2, inbox, "轉真人", "handoff", "requested", now - timedelta(hours=1)),
        (c1, inbox, "ship to japan", "handoff", "not_helped", now - timedelta(minutes=30)),
        # Not in the report: answered, an upset customer, a failed action, too old.
        (c1, inbox, "opening hours", "answered", None, now - timedelta(hours=1)),
        (c1, inbox, "this is useless!!", "handoff", "upset", now - timedelta(hours=1)),
        (c1, inbox, "A12345", "handoff", "action_failed", now - timedelta(hours=1)),
        (c1, inbox, "ship to Japan", "unanswered", None, now - timedelta(days=40)),
        # Another inbox.
        (c3, other, "Do you ship to Japan?", "unanswered", None, now - timedelta(hours=1)),
    ]
    for conversation_id, box, question, outcome, reason, at in rows:
        await add_turn(
            runtime,
            conversation_id=conversation_id,
            inbox_id=box.id,
            question=question,
            outcome=outcome,
            reason=reason,
            created_at=at,
            locale="zh-TW" if question == "轉真人" else "en",
        )
    admin = await agent_client(app, workspace.admin.email)
    report = (await admin.get(URL)).json()
    assert report["turns"] == 5
    groups = report["groups"]
    assert [(g["representative"], g["count"]) for g in groups] == [
        ("Do you ship to Japan?", 4),
        ("轉真人", 1),
    ]
    japan = groups[0]
    assert japan["suggested_qa"] == {
        "locale": "en",
        "questions": ["Do you ship to Japan?", "ship to japan", "Ship to Japan?"],
    }
    assert japan["reasons"] == {"low_confidence": 1, "not_helped": 1, "unanswered": 2}
    assert [e["conversation_id"] for e in japan["examples"]] == [c1, c3, c2, c1]
    assert japan["examples"][0]["reason"] == "not_helped"

    only_inbox = (await admin.get(URL, params={"inbox_id": inbox.id})).json()
    assert only_inbox["turns"] == 4
    older = await admin.get(
        URL,
        params={
            "since": (now - timedelta(days=45)).isoformat(),
            "until": (now - timedelta(days=35)).isoformat(),
        },
    )
    assert [g["count"] for g in older.json()["groups"]] == [1]

    # Supervisors: the inboxes they belong to; agents: refused.
    lead_user = await make_user(runtime, "lead@example.com", "supervisor")
    await add_member(admin, inbox, lead_user.id)
    lead = await agent_client(app, "lead@example.com")
    mine = (await lead.get(URL)).json()
    assert mine["turns"] == 4
    assert (await lead.get(URL, params={"inbox_id": other.id})).status_code == 404
    agent = await agent_client(app, workspace.agent.email)
    assert (await agent.get(URL)).status_code == 403


async def test_report_input_errors(app: FastAPI, workspace: Workspace) -> None:
    admin = await agent_client(app, workspace.admin.email)
    backwards = await admin.get(URL, params={"since": "2026-11-02", "until": "2026-11-01"})
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "bad_period"
    too_long = await admin.get(URL, params={"since": "2024-01-01", "until": "2026-01-01"})
    assert too_long.json()["error"]["code"] == "bad_period"
    assert (await admin.get(URL, params={"since": "yesterday"})).status_code == 422
    for params in (
        {"until": "0001-01-01T00:00:00+08:00"},
        {"since": "9999-12-31T23:59:59", "until": "9999-12-31T23:59:59.5"},
    ):
        response = await admin.get(URL, params=params)
        assert response.json()["error"]["code"] == "bad_period", params
    assert (await admin.get(URL, params={"limit": 0})).status_code == 422
    assert (await admin.get(URL, params={"limit": 10**20})).status_code == 422
    assert (await admin.get(URL, params={"inbox_id": 2**40})).status_code == 422
    empty = (await admin.get(URL, params={"since": "2026-01-01", "until": "2026-01-02"})).json()
    assert empty["groups"] == [] and empty["turns"] == 0


async def test_a_reviewed_group_leaves_the_report(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    inbox, other = workspace.inbox, workspace.other_inbox
    mine = await new_conversation(client, runtime, inbox, "hi")
    theirs = await new_conversation(client, runtime, other, "hi")
    for conversation_id, box, question in (
        (mine, inbox, "Do you ship to Japan?"),
        (mine, inbox, "ship to japan"),
        (mine, inbox, "Do you sell gift cards?"),
        (theirs, other, "Do you ship to Japan?"),
    ):
        await add_turn(
            runtime,
            conversation_id=conversation_id,
            inbox_id=box.id,
            question=question,
            outcome="unanswered",
            reason=None,
            created_at=now - timedelta(hours=1),
            locale="en",
        )
    admin = await agent_client(app, workspace.admin.email)
    lead_user = await make_user(runtime, "lead2@example.com", "supervisor")
    await add_member(admin, inbox, lead_user.id)
    lead = await agent_client(app, "lead2@example.com")
    agent = await agent_client(app, workspace.agent.email)

    japan = (await admin.get(URL)).json()["groups"][0]
    assert japan["representative"] == "Do you ship to Japan?" and len(japan["turn_ids"]) == 3
    # The supervisor marks the group: only the turns of their own inbox go.
    assert (await agent.post(REVIEWED, json={"turn_ids": japan["turn_ids"]})).status_code == 403
    done = await lead.post(REVIEWED, json={"turn_ids": japan["turn_ids"]})
    assert done.status_code == 200 and done.json() == {"reviewed": 2}
    left = (await admin.get(URL)).json()["groups"]
    assert sorted((g["representative"], g["count"]) for g in left) == [
        ("Do you sell gift cards?", 1),
        ("Do you ship to Japan?", 1),  # the other inbox's turn
    ]
    again = await admin.post(REVIEWED, json={"turn_ids": japan["turn_ids"]})
    assert again.json() == {"reviewed": 1}  # only the one not reviewed yet
    for bad in ([], [0], [-5], [2**40]):  # ids are positive 32-bit integers
        assert (await admin.post(REVIEWED, json={"turn_ids": bad})).status_code == 422
