"""The staffing API with real rows in the test database (written as the app writes them, then
the core's rebuild): the forecast, measured handling time and capacity, the recommendation and a
roster's evaluation; who may ask (supervisors scoped to their teams); bad input as JSON 422."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kefu.auth.principals import SystemPrincipal
from kefu.db import utcnow
from kefu.reports import staffing_views
from kefu.routing.presence import do_update_agent_routing
from kefu.runtime import Runtime
from kefu.teams.actions import do_create_team
from kefu.teams.models import Team, TeamMember
from kefu.users.actions import do_create_user
from kefu.users.models import User
from tests.conftest import PASSWORD, Workspace, agent_client
from tests.reports.history_rows import write_history

PERMISSION_TESTED = {"GET /api/v1/reports/staffing", "POST /api/v1/reports/staffing/evaluate"}

TZ = "Asia/Taipei"
TAIPEI = ZoneInfo(TZ)
URL = "/api/v1/reports/staffing"
EVALUATE = "/api/v1/reports/staffing/evaluate"


def today() -> date:
    return utcnow().astimezone(TAIPEI).date()


async def support_team(runtime: Runtime) -> Team:
    async with runtime.db.read() as session:
        team = await session.scalar(select(Team).where(Team.name == "Support"))
    assert team is not None
    return team


async def add_user(runtime: Runtime, email: str, role: str, team_ids: Sequence[int] = ()) -> User:
    system = SystemPrincipal()
    async with runtime.db.write() as session:
        user = await do_create_user(
            session, actor=system, email=email, name=email, password=PASSWORD, role=role
        )
        for team_id in team_ids:
            team = await session.get(Team, team_id)
            assert team is not None
            session.add(TeamMember(team_id=team.id, user_id=user.id))
    return user


async def set_capacity(runtime: Runtime, users: list[User], capacity: int | None) -> None:
    async with runtime.db.write() as session:
        for user in users:
            fresh = await session.get(User, user.id)
            assert fresh is not None
            await do_update_agent_routing(
                session,
                actor=SystemPrincipal(),
                user=fresh,
                max_conversations=capacity,
                skills=[],
            )


@pytest.fixture
async def history(runtime: Runtime, workspace: Workspace) -> dict[str, Any]:
    """The worked example of docs/staffing.md: the same weekday as today, 20:00 Taipei, on
    each of the last four weeks (newest first) 30, 24, 24 and 18 conversations, 12 minutes of
    handling each; every agent takes 3 chats at once."""
    team = await support_team(runtime)
    arrivals = {
        datetime.combine(today() - timedelta(weeks=w + 1), datetime.min.time(), TAIPEI)
        + timedelta(hours=20): n
        for w, n in enumerate((30, 24, 24, 18))
    }
    written = await write_history(
        runtime.db,
        inbox_id=workspace.inbox.id,
        team_id=team.id,
        agent=workspace.agent,
        arrivals=arrivals,
        handle_s=720,
    )
    await set_capacity(runtime, [workspace.agent, workspace.agent2, workspace.outsider], 3)
    return {"team": team, "written": written, "weekday": today().weekday()}


def hour(body: dict[str, Any], weekday: int, at: int) -> dict[str, Any]:
    cell: dict[str, Any] = body["recommendation"]["days"][weekday]["hours"][at]
    return cell


async def test_the_advice_from_real_history(
    app: FastAPI, workspace: Workspace, history: dict[str, Any]
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    response = await admin.get(URL, params={"tz": TZ}, headers={"accept-language": "en"})
    assert response.status_code == 200, response.text
    body = response.json()
    weekday = history["weekday"]
    assert body["history"] == {
        "start": (today() - timedelta(weeks=4)).isoformat(),
        "end": (today() - timedelta(days=1)).isoformat(),
        "weeks": 4,
        "days_used": 28,
        "conversations": 96,
    }
    monday = today() + timedelta(days=7 - today().weekday())
    assert body["week"] == {
        "start": monday.isoformat(),
        "end": (monday + timedelta(days=6)).isoformat(),
    }
    assert body["handling"] == {
        "measured_s": 720.0,
        "conversations": 96,
        "used_s": 720.0,
        "source": "measured",
    }
    assert body["capacity"]["used"] == 3 and body["capacity"]["source"] == "agents"
    assert body["capacity"]["agents"] == 3 and body["capacity"]["average"] == 3.0
    assert body["forecast"][weekday][20] == pytest.approx(25.8)
    assert sum(map(sum, body["forecast"])) == pytest.approx(25.8)
    cell = hour(body, weekday, 20)
    day = monday + timedelta(days=weekday)
    assert cell["start"] == f"{day.isoformat()}T20:00:00+08:00"
    assert cell["agents"] == 3
    assert cell["service_level"] == pytest.approx(0.9313, abs=1e-4)
    assert cell["average_wait_s"] == pytest.approx(17.7, abs=0.05)
    assert cell["occupancy"] == pytest.approx(5.16 / 9, abs=1e-4)
    assert hour(body, weekday, 19)["agents"] == 0
    rec = body["recommendation"]
    assert rec["agent_hours"] == 3
    assert rec["peaks"][0]["days"] == [weekday] and rec["peaks"][0]["agents"] == 3
    day_name = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[weekday]
    assert rec["summary"] == [f"{day_name} 20:00–21:00: 3 agents", "3 agent-hours in the week"]
    zh = (await admin.get(URL, params={"tz": TZ}, headers={"accept-language": "zh-TW"})).json()
    assert zh["recommendation"]["summary"][-1] == "本週共需 3 人時"

    # The same data seen in UTC: 20:00 Taipei is 12:00 UTC of the same day.
    utc = (await admin.get(URL)).json()
    assert utc["tz"] == "UTC" and sum(map(sum, utc["forecast"])) == pytest.approx(25.8)
    # Overrides: capacity 1 and a 6-minute handling time.
    override = (
        await admin.get(URL, params={"tz": TZ, "capacity": 1, "aht_s": 360, "target": 0.9})
    ).json()
    assert override["capacity"]["source"] == "override" and override["capacity"]["used"] == 1
    assert override["handling"]["source"] == "override"
    assert override["handling"]["measured_s"] == 720.0
    assert hour(override, weekday, 20)["agents"] >= 4  # 2.58 Erlangs, one chat each
    assert hour(override, weekday, 20)["service_level"] >= 0.9
    # An inbox without history forecasts nothing.
    other = (await admin.get(URL, params={"tz": TZ, "inbox_id": workspace.other_inbox.id})).json()
    assert other["history"]["conversations"] == 0 and other["handling"]["used_s"] is None
    assert other["recommendation"] is None
    await admin.aclose()


async def test_a_roster_is_evaluated(
    app: FastAPI, workspace: Workspace, history: dict[str, Any]
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    weekday = history["weekday"]
    advice = (await admin.get(URL, params={"tz": TZ})).json()
    roster = [[h["agents"] for h in day["hours"]] for day in advice["recommendation"]["days"]]
    met = await admin.post(EVALUATE, json={"tz": TZ, "roster": roster})
    assert met.status_code == 200, met.text
    result = met.json()
    assert result["below_target"] == 0 and result["overloaded_hours"] == 0
    assert result["service_level"] == pytest.approx(0.9313, abs=1e-4)
    assert result["agent_hours"] == 3

    roster[weekday][20] = 2
    roster[weekday][9] = 1  # a quiet hour staffed: no conversations, no verdict
    short = (await admin.post(EVALUATE, json={"tz": TZ, "roster": roster})).json()
    cell = short["days"][weekday]["hours"][20]
    assert cell["agents"] == 2 and cell["below_target"] is True
    assert cell["service_level"] == pytest.approx(0.3972, abs=1e-4)
    assert cell["average_wait_s"] == pytest.approx(554.1, abs=0.05)
    assert short["days"][weekday]["hours"][9]["below_target"] is False
    assert short["below_target"] == 1 and short["agent_hours"] == 3
    assert short["service_level"] == pytest.approx(0.3972, abs=1e-4)

    roster[weekday][21] = 1000
    huge = await admin.post(EVALUATE, json={"tz": TZ, "roster": roster, "capacity": 100})
    assert huge.status_code == 422
    assert huge.json()["error"]["code"] == "staffing_out_of_range"
    roster[weekday][21] = 0

    roster[weekday][20] = 1  # 3 slots for 5.16 Erlangs: the queue never empties
    overloaded = (await admin.post(EVALUATE, json={"tz": TZ, "roster": roster})).json()
    assert overloaded["overloaded_hours"] == 1 and overloaded["average_wait_s"] is None
    assert overloaded["days"][weekday]["hours"][20]["overloaded"] is True
    await admin.aclose()


async def test_capacity_falls_back_to_the_inbox_default(
    app: FastAPI, runtime: Runtime, workspace: Workspace
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    body = (await admin.get(URL, params={"inbox_id": workspace.inbox.id})).json()
    # Neither agent has a limit of their own: the inbox's default (5) for both.
    assert body["capacity"] == {
        "used": 5,
        "average": 5.0,
        "agents": 2,
        "inbox_default": 5,
        "source": "agents",
    }
    await set_capacity(runtime, [workspace.agent], 2)
    await set_capacity(runtime, [workspace.agent2], 0)  # takes no chats: not counted
    body = (await admin.get(URL, params={"inbox_id": workspace.inbox.id})).json()
    assert body["capacity"]["used"] == 2 and body["capacity"]["agents"] == 1
    await set_capacity(runtime, [workspace.agent], 0)
    body = (await admin.get(URL, params={"inbox_id": workspace.inbox.id})).json()
    assert body["capacity"]["source"] == "inbox_default" and body["capacity"]["used"] == 5
    # No handling time yet: no advice, and evaluating needs one.
    assert body["recommendation"] is None
    empty = [[0] * 24 for _ in range(7)]
    refused = await admin.post(EVALUATE, json={"roster": empty})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "no_handling_time"
    given = await admin.post(EVALUATE, json={"roster": empty, "aht_s": 300})
    assert given.status_code == 200 and given.json()["service_level"] is None
    await admin.aclose()


async def test_who_may_ask(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    history: dict[str, Any],
) -> None:
    team = history["team"]
    empty = [[0] * 24 for _ in range(7)]
    assert (await client.get(URL)).status_code == 401
    anonymous = await client.post(EVALUATE, json={"roster": empty})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"

    agent = await agent_client(app, workspace.agent.email)
    for response in (
        await agent.get(URL),
        await agent.post(EVALUATE, json={"roster": empty, "aht_s": 300}),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"

    # A supervisor of the team sees its conversations; one of another team sees none of them.
    await add_user(runtime, "lead@example.com", "supervisor", [team.id])
    lead = await agent_client(app, "lead@example.com")
    mine = (await lead.get(URL, params={"tz": TZ})).json()
    assert mine["history"]["conversations"] == 96
    evaluated = await lead.post(EVALUATE, json={"tz": TZ, "roster": empty})
    assert evaluated.status_code == 200 and evaluated.json()["below_target"] == 1
    async with runtime.db.write() as session:
        other = await do_create_team(session, actor=SystemPrincipal(), name="Billing")
    await add_user(runtime, "billing@example.com", "supervisor", [other.id])
    billing = await agent_client(app, "billing@example.com")
    theirs = (await billing.get(URL, params={"tz": TZ})).json()
    assert theirs["history"]["conversations"] == 0
    denied = await billing.get(URL, params={"team_id": team.id})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "not_your_team"
    denied = await billing.post(EVALUATE, json={"team_id": team.id, "roster": empty})
    assert denied.status_code == 403
    for c in (agent, lead, billing):
        await c.aclose()


@pytest.mark.parametrize(
    "params",
    [
        {"target": 1.5},
        {"target": 0},
        {"weeks": 0},
        {"weeks": 27},
        {"answer_within_s": -1},
        {"capacity": 0},
        {"aht_s": 0},
        {"max_occupancy": 1.2},
        {"max_occupancy": 5e-324},  # found by the API fuzz test: an overflow, now a 422
        {"channel": "fax"},
        {"inbox_id": 0},
        {"tz": "Nowhere/Zone"},
        {"tz": "America"},  # a directory of zones, not a zone
        {"weeks": "four"},
    ],
)
async def test_bad_parameters_are_422(
    app: FastAPI, workspace: Workspace, params: dict[str, Any]
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    response = await admin.get(URL, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] in ("invalid_input", "bad_timezone")
    body = {"roster": [[0] * 24 for _ in range(7)], "aht_s": 300} | params
    response = await admin.post(EVALUATE, json=body)
    assert response.status_code == 422, response.text
    await admin.aclose()


@pytest.mark.parametrize(
    "roster",
    [
        [[0] * 24 for _ in range(6)],
        [[0] * 23 for _ in range(7)],
        [[-1] + [0] * 23] + [[0] * 24 for _ in range(6)],
        [[1001] + [0] * 23] + [[0] * 24 for _ in range(6)],
        [["x"] * 24 for _ in range(7)],
        None,
    ],
)
async def test_bad_rosters_are_422(app: FastAPI, workspace: Workspace, roster: Any) -> None:
    admin = await agent_client(app, workspace.admin.email)
    response = await admin.post(EVALUATE, json={"roster": roster, "aht_s": 300})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and "roster" in error["message"]
    extra = await admin.post(
        EVALUATE, json={"roster": [[0] * 24 for _ in range(7)], "aht_s": 300, "rooster": 1}
    )
    assert extra.status_code == 422
    await admin.aclose()


BERLIN = ZoneInfo("Europe/Berlin")  # 2026: clocks forward on 29 March, back on 25 October


async def test_dst_weeks_end_to_end(
    app: FastAPI, runtime: Runtime, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the core's hourly series: the repeated hour of 25 October counts per real hour,
    and an advised week whose Sunday skips 02:00 leaves that hour out of the totals."""
    team = await support_team(runtime)

    def at(day: date, hour: int, fold: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN, fold=fold)

    autumn = date(2026, 10, 25)
    arrivals = {
        at(date(2026, 10, 19), 9): 1,  # the history's first day
        at(autumn, 2, fold=0).astimezone(ZoneInfo("UTC")): 5,  # 02:00 CEST
        at(autumn, 2, fold=1).astimezone(ZoneInfo("UTC")): 3,  # 02:00 CET, an hour later
        at(date(2026, 11, 1), 2): 6,
        # Sundays before spring's change, for the second part.
        at(date(2026, 3, 8), 2): 4,
        at(date(2026, 3, 15), 2): 4,
    }
    await write_history(
        runtime.db,
        inbox_id=workspace.inbox.id,
        team_id=team.id,
        agent=workspace.agent,
        arrivals=arrivals,
        handle_s=600,
    )
    admin = await agent_client(app, workspace.admin.email)
    # Monday 2 November: two weeks back are 19 October to 1 November.
    monkeypatch.setattr(staffing_views, "utcnow", lambda: datetime(2026, 11, 2, 12, tzinfo=UTC))
    body = (await admin.get(URL, params={"tz": "Europe/Berlin", "weeks": 2})).json()
    assert body["history"]["conversations"] == 15
    # Sunday 02:00: 1 November weighs 2 (6), 25 October 1 (8 over two hours: 4): 16 / 3.
    assert body["forecast"][6][2] == pytest.approx(16 / 3, abs=1e-3)

    # Friday 20 March: the advised week is 23–29 March, whose Sunday has no 02:00.
    monkeypatch.setattr(staffing_views, "utcnow", lambda: datetime(2026, 3, 20, 12, tzinfo=UTC))
    body = (await admin.get(URL, params={"tz": "Europe/Berlin", "weeks": 2})).json()
    assert body["forecast"][6][2] == pytest.approx(4.0)
    sunday = body["recommendation"]["days"][6]
    assert sunday["date"] == "2026-03-29"
    assert sunday["hours"][2]["agents"] >= 1 and sunday["hours"][2]["start"] is None
    assert sunday["hours"][3]["start"] == "2026-03-29T03:00:00+02:00"
    assert sunday["hours"][1]["start"] == "2026-03-29T01:00:00+01:00"
    assert body["recommendation"]["agent_hours"] == 0  # the only busy hour does not happen
    await admin.aclose()
