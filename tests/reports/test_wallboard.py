"""The wallboard's figures against a hand-built state (queued conversations with known
arrival times, agents with known presence and load, SLA breaches either side of local
midnight), who sees what, and that every query it runs uses an index (SQLite's plans)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal, SystemPrincipal
from kefu.contacts.actions import do_create_visitor
from kefu.conversations.models import Conversation
from kefu.inboxes.models import Inbox, InboxMember
from kefu.reports import wallboard as wallboard_module
from kefu.reports.wallboard import local_day_start, wallboard
from kefu.routing.models import AgentState, SlaBreach
from kefu.runtime import Runtime
from kefu.users.actions import do_create_user
from kefu.users.models import User
from tests.conftest import PASSWORD, Workspace, agent_client

PERMISSION_TESTED = {"GET /api/v1/reports/wallboard"}

# 09:30 in Taipei, 01:30 UTC, 18:30 the day before in Los Angeles (daylight time since Mar 8).
NOW = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


async def add_conversation(
    session: AsyncSession,
    inbox: Inbox,
    *,
    status: str = "open",
    assignee: User | None = None,
    queued_for: float | None = None,
    team_id: int | None = None,
) -> Conversation:
    contact = await do_create_visitor(session, inbox=inbox)
    conversation = Conversation(
        public_id=uuid.uuid4().hex,
        inbox_id=inbox.id,
        contact_id=contact.id,
        status=status,
        assignee_id=assignee.id if assignee else None,
        team_id=team_id,
        queued_at=None if queued_for is None else ago(queued_for),
        created_at=ago(3600),
        last_activity_at=ago(60),
        resolved_at=ago(30) if status == "resolved" else None,
    )
    session.add(conversation)
    await session.flush()
    return conversation


def breach(conversation: Conversation, at: datetime) -> SlaBreach:
    return SlaBreach(
        conversation_id=conversation.id,
        inbox_id=conversation.inbox_id,
        kind="first_response",
        due_at=at - timedelta(minutes=5),
        breached_at=at,
    )


@pytest.fixture
async def board(runtime: Runtime, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Website (mei, alex, a supervisor): two waiting (5 and 2 min), one unassigned not queued
    (the bot's), mei at her capacity of 2 (open + pending; her snoozed one does not count), alex
    online with room, one resolved. Other (outsider, busy): one waiting 15 min, one open."""
    monkeypatch.setattr(wallboard_module, "utcnow", lambda: NOW)
    ws = workspace
    async with runtime.db.write() as session:
        supervisor = await do_create_user(
            session,
            actor=SystemPrincipal(),
            email="sup@example.com",
            name="Supervisor",
            password=PASSWORD,
            role="supervisor",
        )
        session.add(InboxMember(inbox_id=ws.inbox.id, user_id=supervisor.id))
        inbox = await session.get(Inbox, ws.inbox.id)
        other = await session.get(Inbox, ws.other_inbox.id)
        assert inbox is not None and other is not None
        c1 = await add_conversation(session, inbox, queued_for=300)
        c2 = await add_conversation(session, inbox, queued_for=120)
        c3 = await add_conversation(session, inbox, assignee=ws.agent)
        await add_conversation(session, inbox, assignee=ws.agent, status="pending")
        await add_conversation(session, inbox, assignee=ws.agent2, status="snoozed")
        await add_conversation(session, inbox, status="resolved")
        await add_conversation(session, inbox)  # unassigned, not in the queue (the bot's)
        o1 = await add_conversation(session, other, queued_for=900)
        await add_conversation(session, other, assignee=ws.outsider)
        session.add_all(
            [
                AgentState(user_id=ws.agent.id, presence="online", max_conversations=2),
                AgentState(user_id=ws.agent2.id, presence="online"),  # the inbox default
                AgentState(user_id=ws.outsider.id, presence="busy"),
                AgentState(user_id=ws.admin.id, presence="online"),  # in no inbox: not shown
                # Taipei's day began at 16:00 UTC on the 9th; UTC's at midnight on the 10th.
                breach(c1, datetime(2026, 3, 9, 15, 30, tzinfo=UTC)),  # yesterday in Taipei
                breach(c3, datetime(2026, 3, 9, 16, 30, tzinfo=UTC)),  # today in Taipei only
                breach(c2, datetime(2026, 3, 10, 1, 0, tzinfo=UTC)),  # today everywhere
                breach(o1, datetime(2026, 3, 10, 0, 30, tzinfo=UTC)),
            ]
        )
    return supervisor


async def get_board(app: FastAPI, email: str, tz: str = "Asia/Taipei") -> dict[str, Any]:
    client = await agent_client(app, email)
    try:
        response = await client.get("/api/v1/reports/wallboard", params={"tz": tz})
    finally:
        await client.aclose()
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in body["agent_list"]}


async def test_admin_sees_every_inbox_with_hand_computed_figures(
    app: FastAPI, workspace: Workspace, board: User
) -> None:
    body = await get_board(app, workspace.admin.email)
    assert datetime.fromisoformat(body["generated_at"]) == NOW
    assert body["tz"] == "Asia/Taipei"
    assert datetime.fromisoformat(body["day_start"]) == datetime(2026, 3, 9, 16, tzinfo=UTC)
    assert body["waiting"] == 3
    assert body["longest_wait_s"] == 900
    assert body["open"] == 8  # 7 unresolved in Website but the resolved one, 2 in Other
    assert body["open_by_status"] == {"open": 6, "pending": 1, "snoozed": 1}
    assert body["unassigned_open"] == 4
    assert body["sla_breaches_today"] == 3
    assert body["agents"] == {
        "online": 2,
        "available": 1,
        "at_capacity": 1,
        "busy": 1,
        "away": 0,
        "offline": 1,
    }
    website, other = body["inboxes"]
    assert website == {
        "inbox_id": workspace.inbox.id,
        "name": "Website",
        "waiting": 2,
        "longest_wait_s": 300,
        "open": 6,
        "unassigned_open": 3,
        "sla_breaches_today": 2,
        "agents_online": 2,
    }
    assert other == {
        "inbox_id": workspace.other_inbox.id,
        "name": "Other",
        "waiting": 1,
        "longest_wait_s": 900,
        "open": 2,
        "unassigned_open": 1,
        "sla_breaches_today": 1,
        "agents_online": 0,
    }
    agents = by_name(body)
    assert set(agents) == {"王小美", "Alex", "Outsider", "Supervisor"}  # not the admin
    mei, alex = agents["王小美"], agents["Alex"]
    assert (mei["presence"], mei["load"], mei["capacity"], mei["at_capacity"]) == (
        "online",
        2,
        2,
        True,
    )
    default = 5  # RoutingSettings.max_conversations_per_agent
    assert (alex["load"], alex["capacity"], alex["at_capacity"]) == (0, default, False)
    assert agents["Outsider"]["presence"] == "busy" and agents["Outsider"]["load"] == 1
    assert agents["Supervisor"]["presence"] == "offline"


@pytest.mark.parametrize(
    ("tz", "website", "other"),
    [
        ("Asia/Taipei", 2, 1),
        ("UTC", 1, 1),
        ("America/Los_Angeles", 3, 1),  # since 07:00 UTC on the 9th
    ],
)
async def test_breaches_are_counted_since_local_midnight(
    app: FastAPI, workspace: Workspace, board: User, tz: str, website: int, other: int
) -> None:
    body = await get_board(app, workspace.admin.email, tz)
    counts = {i["name"]: i["sla_breaches_today"] for i in body["inboxes"]}
    assert counts == {"Website": website, "Other": other}
    assert body["sla_breaches_today"] == website + other


async def test_a_supervisor_sees_the_inboxes_they_belong_to(
    app: FastAPI, workspace: Workspace, board: User
) -> None:
    body = await get_board(app, board.email)
    assert [i["name"] for i in body["inboxes"]] == ["Website"]
    assert (body["waiting"], body["longest_wait_s"], body["open"]) == (2, 300, 6)
    assert body["sla_breaches_today"] == 2
    agents = by_name(body)
    assert set(agents) == {"王小美", "Alex", "Supervisor"}
    assert agents["王小美"]["load"] == 2 and agents["Alex"]["capacity"] == 5


async def test_an_agent_sees_their_inboxes_and_only_their_own_load(
    app: FastAPI, workspace: Workspace, board: User
) -> None:
    body = await get_board(app, workspace.agent2.email)
    assert [i["name"] for i in body["inboxes"]] == ["Website"]
    assert body["waiting"] == 2
    agents = by_name(body)
    assert agents["Alex"]["load"] == 0 and agents["Alex"]["capacity"] == 5
    mei = agents["王小美"]
    assert (mei["load"], mei["capacity"], mei["at_capacity"]) == (None, None, None)
    assert mei["presence"] == "online"
    # The counts stay whole: how many colleagues are at capacity is not a colleague's load.
    assert body["agents"]["at_capacity"] == 1

    outsider = await get_board(app, workspace.outsider.email)
    assert [i["name"] for i in outsider["inboxes"]] == ["Other"]
    assert (outsider["waiting"], outsider["longest_wait_s"]) == (1, 900)
    assert set(by_name(outsider)) == {"Outsider"}


async def test_in_an_own_visibility_inbox_an_agent_counts_only_what_they_may_see(
    app: FastAPI, runtime: Runtime, workspace: Workspace, board: User
) -> None:
    async with runtime.db.write() as session:
        inbox = await session.get(Inbox, workspace.inbox.id)
        assert inbox is not None
        inbox.settings = {**inbox.settings, "agent_visibility": "own"}
    body = await get_board(app, workspace.agent2.email)
    website = body["inboxes"][0]
    # Alex: the three unassigned and his own snoozed one, not mei's two (nor her breach).
    assert (website["open"], website["unassigned_open"], website["waiting"]) == (4, 3, 2)
    assert website["sla_breaches_today"] == 1
    supervisor = await get_board(app, board.email)
    assert supervisor["inboxes"][0]["open"] == 6  # supervisors see everything in the inbox


async def test_an_agent_in_no_inbox_gets_an_empty_board(
    app: FastAPI, runtime: Runtime, workspace: Workspace
) -> None:
    async with runtime.db.write() as session:
        await do_create_user(
            session,
            actor=SystemPrincipal(),
            email="new@example.com",
            name="New",
            password=PASSWORD,
            role="agent",
        )
    body = await get_board(app, "new@example.com", "UTC")
    assert body["inboxes"] == [] and body["agent_list"] == []
    assert (body["waiting"], body["longest_wait_s"], body["open"]) == (0, None, 0)


async def test_unauthenticated_and_bad_timezone_are_refused(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    anonymous = await client.get("/api/v1/reports/wallboard")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    agent = await agent_client(app, workspace.agent.email)
    bad = await agent.get("/api/v1/reports/wallboard", params={"tz": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_timezone"
    await agent.aclose()


def test_local_midnight_across_daylight_saving_changes() -> None:
    new_york = ZoneInfo("America/New_York")
    # Clocks went forward at 02:00 on 8 March 2026: that day began at 05:00 UTC, the next at 04.
    assert local_day_start(datetime(2026, 3, 8, 12, tzinfo=UTC), new_york) == datetime(
        2026, 3, 8, 5, tzinfo=UTC
    )
    assert local_day_start(datetime(2026, 3, 9, 3, 59, tzinfo=UTC), new_york) == datetime(
        2026, 3, 8, 5, tzinfo=UTC
    )
    assert local_day_start(datetime(2026, 3, 9, 4, 0, tzinfo=UTC), new_york) == datetime(
        2026, 3, 9, 4, tzinfo=UTC
    )
    taipei = ZoneInfo("Asia/Taipei")
    assert local_day_start(NOW, taipei) == datetime(2026, 3, 9, 16, tzinfo=UTC)


async def test_every_query_of_the_board_uses_an_index(
    runtime: Runtime, workspace: Workspace, board: User
) -> None:
    """No full scan of conversations or sla_breaches: the board must stay fast on a database
    of a million conversations (SQLite's plans; PostgreSQL's planner picks by statistics)."""
    engine = runtime.db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        for email in (workspace.admin.email, workspace.agent2.email):
            async with runtime.db.read() as session:
                user = await session.scalar(
                    text("SELECT id FROM users WHERE email = :e").bindparams(e=email)
                )
                actor = AgentPrincipal(user=await session.get_one(User, user), via="session")
                await wallboard(session=session, actor=actor, tz=ZoneInfo("Asia/Taipei"))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    big_tables = ("conversations", "sla_breaches")
    checked = 0
    async with runtime.db.read() as session:
        raw = await session.connection()
        for statement, parameters in statements:
            if not any(t in statement for t in big_tables):
                continue
            plan = await raw.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            details = [row[-1] for row in plan]
            checked += 1
            for detail in details:
                for table in big_tables:
                    assert not detail.startswith(f"SCAN {table}") or "USING" in detail, (
                        statement,
                        details,
                    )
    assert checked >= 5
