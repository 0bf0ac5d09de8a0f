"""Bot metrics on a hand-computed fixture: two local days in Asia/Taipei (UTC+8).

C1 (11-10 10:00 local): answered, "helped", resolved                -> contained, CSAT 5
C2 (11-10 11:00): answered, then a low-confidence handoff           -> handed off (CSAT 2 ignored)
C3 (11-11 01:30 local = 11-10 17:30 UTC): answered, quiet > 24 h    -> contained, CSAT 3
C4 (11-11 12:00): an action, then asked for a person                -> handed off (requested)
C5 (11-11 13:00): answered, "not helped", active an hour ago        -> in progress
C6 (11-11 14:00): answered, then an agent replied, resolved         -> neither
C7 (11-09 23:59 local): before the period; its second turn (11-10 00:30 local) is an answer
that counts on 11-10, but the conversation does not.

11-10: 2 conversations, 1 contained, 1 handed off -> containment 1/2, handoff rate 1/2;
       answers 3 (C1, C2, C7), helped 1; CSAT 1 response, 5.0, 100 % satisfied.
11-11: 4 conversations, 1 contained, 1 handed off, 1 in progress -> containment 1/3,
       handoff rate 1/4; answers 3 (C3, C5, C6), actions 1, not helped 1; CSAT 3.0, 0 %.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from kefu.bot.metrics import bot_metrics, day_range, totals
from kefu.conversations.models import Conversation
from kefu.runtime import Runtime
from kefu.surveys.models import SurveyResponse
from tests.bot.report_fixtures import add_turn, new_conversation
from tests.conftest import Workspace, agent_client
from tests.contacts.helpers import add_member, make_user

PERMISSION_TESTED = {"GET /api/v1/bot/metrics"}
URL = "/api/v1/bot/metrics"
TAIPEI = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 11, 13, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def set_state(
    runtime: Runtime, conversation_id: int, *, status: str, last_activity_at: datetime
) -> None:
    async with runtime.db.write() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(
                status=status,
                last_activity_at=last_activity_at,
                resolved_at=last_activity_at if status == "resolved" else None,
            )
        )


async def add_csat(runtime: Runtime, conversation_id: int, inbox_id: int, score: int) -> None:
    async with runtime.db.write() as session:
        session.add(
            SurveyResponse(
                conversation_id=conversation_id,
                inbox_id=inbox_id,
                kind="csat",
                score=score,
                resolved_at=at("2026-11-11T10:00:00"),
            )
        )


async def build_fixture(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> dict[str, int]:
    inbox = workspace.inbox
    ids = {
        name: await new_conversation(client, runtime, inbox, "hi")
        for name in ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    }
    turns = [
        ("C1", "opening hours?", "answered", None, "2026-11-10T02:00:00", "helped"),
        ("C2", "returns?", "answered", None, "2026-11-10T03:00:00", None),
        ("C2", "something else", "handoff", "low_confidence", "2026-11-10T03:01:00", None),
        ("C3", "address?", "answered", None, "2026-11-10T17:30:00", None),
        ("C4", "A12345", "action", None, "2026-11-11T04:00:00", None),
        ("C4", "轉真人", "handoff", "requested", "2026-11-11T04:02:00", None),
        ("C5", "hours?", "answered", None, "2026-11-11T05:00:00", "not_helped"),
        ("C6", "hours?", "answered", None, "2026-11-11T06:00:00", None),
        ("C7", "hi", "menu", None, "2026-11-09T15:59:00", None),
        ("C7", "hours?", "answered", None, "2026-11-09T16:30:00", None),
    ]
    for name, question, outcome, reason, when, feedback in turns:
        await add_turn(
            runtime,
            conversation_id=ids[name],
            inbox_id=inbox.id,
            question=question,
            outcome=outcome,
            reason=reason,
            created_at=at(when),
            feedback=feedback,
        )
    agent = await agent_client(app, workspace.agent.email)
    reply = await agent.post(f"/api/v1/conversations/{ids['C6']}/messages", json={"text": "Hi!"})
    assert reply.status_code == 201, reply.text
    await set_state(
        runtime, ids["C1"], status="resolved", last_activity_at=at("2026-11-10T02:05:00")
    )
    await set_state(
        runtime, ids["C2"], status="resolved", last_activity_at=at("2026-11-10T05:00:00")
    )
    await set_state(runtime, ids["C3"], status="open", last_activity_at=at("2026-11-10T17:31:00"))
    await set_state(runtime, ids["C4"], status="open", last_activity_at=at("2026-11-11T04:02:00"))
    await set_state(runtime, ids["C5"], status="open", last_activity_at=NOW - timedelta(hours=1))
    await set_state(
        runtime, ids["C6"], status="resolved", last_activity_at=at("2026-11-11T07:00:00")
    )
    await add_csat(runtime, ids["C1"], inbox.id, 5)
    await add_csat(runtime, ids["C2"], inbox.id, 2)
    await add_csat(runtime, ids["C3"], inbox.id, 3)
    return ids


async def test_hand_computed_days(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    await build_fixture(app, client, workspace, runtime)
    days = day_range(date(2026, 11, 10), date(2026, 11, 11), TAIPEI)
    async with runtime.db.read() as session:
        rows = await bot_metrics(session=session, days=days, tz=TAIPEI, inbox_ids=None, now=NOW)
    first, second = rows
    assert (first.day, first.conversations, first.contained, first.handed_off) == (
        date(2026, 11, 10),
        2,
        1,
        1,
    )
    assert (first.in_progress, first.containment_rate, first.handoff_rate) == (0, 0.5, 0.5)
    assert first.handoffs_by_reason == {"low_confidence": 1}
    assert (first.answers, first.actions, first.helped, first.not_helped) == (3, 0, 1, 0)
    assert (first.csat_responses, first.csat_average, first.csat_satisfied_rate) == (1, 5.0, 1.0)

    assert (second.conversations, second.contained, second.handed_off, second.in_progress) == (
        4,
        1,
        1,
        1,
    )
    assert (second.containment_rate, second.handoff_rate) == (0.3333, 0.25)
    assert second.handoffs_by_reason == {"requested": 1}
    assert (second.answers, second.actions, second.helped, second.not_helped) == (3, 1, 0, 1)
    assert (second.csat_responses, second.csat_average, second.csat_satisfied_rate) == (
        1,
        3.0,
        0.0,
    )

    total = totals(rows)
    assert (total.conversations, total.contained, total.handed_off, total.in_progress) == (
        6,
        2,
        2,
        1,
    )
    assert (total.containment_rate, total.handoff_rate) == (0.4, 0.3333)
    assert total.handoffs_by_reason == {"low_confidence": 1, "requested": 1}
    assert (total.csat_responses, total.csat_average, total.csat_satisfied_rate) == (2, 4.0, 0.5)

    # In UTC the days cut differently: C3 (17:30 UTC on 11-10) moves to 11-10.
    utc_days = day_range(date(2026, 11, 10), date(2026, 11, 11), ZoneInfo("UTC"))
    async with runtime.db.read() as session:
        utc = await bot_metrics(
            session=session, days=utc_days, tz=ZoneInfo("UTC"), inbox_ids=None, now=NOW
        )
    assert [r.conversations for r in utc] == [3, 3]  # C1 C2 C3 | C4 C5 C6 (C7 on 11-09)
    # Another inbox: nothing.
    async with runtime.db.read() as session:
        none = await bot_metrics(
            session=session, days=days, tz=TAIPEI, inbox_ids=[workspace.other_inbox.id], now=NOW
        )
    assert [r.conversations for r in none] == [0, 0]
    assert none[0].containment_rate is None and none[0].csat_average is None


async def test_metrics_api_and_permissions(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    await build_fixture(app, client, workspace, runtime)
    admin = await agent_client(app, workspace.admin.email)
    params = {"since": "2026-11-09", "until": "2026-11-11", "tz": "Asia/Taipei"}
    response = await admin.get(URL, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tz"] == "Asia/Taipei"
    assert [d["day"] for d in body["days"]] == ["2026-11-09", "2026-11-10", "2026-11-11"]
    assert [d["conversations"] for d in body["days"]] == [1, 2, 4]  # C7 on 11-09
    day = body["days"][1]
    assert day["containment_rate"] == 0.5 and day["handoffs_by_reason"] == {"low_confidence": 1}
    assert day["csat_average"] == 5.0
    # C5 was active "an hour before 2026-11-13": from today's clock it is quiet for days.
    assert body["days"][2]["in_progress"] == 0 and body["days"][2]["contained"] == 2
    assert body["total"]["conversations"] == 7

    scoped = await admin.get(URL, params={**params, "inbox_id": workspace.other_inbox.id})
    assert scoped.json()["total"]["conversations"] == 0

    lead_user = await make_user(runtime, "lead@example.com", "supervisor")
    lead = await agent_client(app, "lead@example.com")
    assert (await lead.get(URL, params=params)).json()["total"]["conversations"] == 0
    await add_member(admin, workspace.inbox, lead_user.id)
    assert (await lead.get(URL, params=params)).json()["total"]["conversations"] == 7
    refused = await lead.get(URL, params={**params, "inbox_id": workspace.other_inbox.id})
    assert refused.status_code == 404
    agent = await agent_client(app, workspace.agent.email)
    assert (await agent.get(URL, params=params)).status_code == 403


async def test_metrics_input_errors(app: FastAPI, workspace: Workspace) -> None:
    admin = await agent_client(app, workspace.admin.email)
    for params, code in (
        ({"tz": "Mars/Olympus"}, "bad_timezone"),
        ({"tz": "../../etc/passwd"}, "bad_timezone"),
        ({"since": "2026-11-12", "until": "2026-11-11"}, "bad_period"),
        ({"since": "2024-01-01", "until": "2026-01-01"}, "bad_period"),
    ):
        response = await admin.get(URL, params=params)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code
    assert (await admin.get(URL, params={"since": "soon"})).status_code == 422
    default = (await admin.get(URL)).json()
    assert len(default["days"]) == 30 and default["total"]["conversations"] == 0
