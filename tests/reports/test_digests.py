"""Report digests end to end: the setting's API and who may use it, the worker making due
digests and the outbox emailing them to a real (local) SMTP server, with the figures of the
chats that happened; never twice, even with two nodes at once or a job run twice."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kefu.auth.principals import SystemPrincipal
from kefu.config import Settings
from kefu.db import Database
from kefu.inboxes.models import InboxMember
from kefu.outbox.actions import enqueue_job
from kefu.outbox.runner import OutboxRunner
from kefu.reports.digests.actions import DIGEST_JOB
from kefu.reports.digests.jobs import run_due_digests
from kefu.reports.digests.models import DigestSubscription, ReportDigest
from kefu.reports.refresh import refresh_all_stale
from kefu.runtime import Runtime
from kefu.teams.models import Team, TeamMember
from kefu.users.actions import do_create_user
from kefu.users.models import User
from tests.conftest import PASSWORD, Workspace, agent_client, free_port, visitor_send
from tests.mailbox import Mailbox, part, serve_mailbox

PERMISSION_TESTED = {"GET /api/v1/reports/digest", "PUT /api/v1/reports/digest"}
TAIPEI = ZoneInfo("Asia/Taipei")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from serve_mailbox()


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_tls": "none",
            "smtp_from": "kefu <kefu@shop.example.com>",
            "public_url": "https://kefu.example.com",
        }
    )


@pytest.fixture
async def supervisor(runtime: Runtime, workspace: Workspace) -> User:
    """A supervisor of the Support team (mei's), in the Website inbox, reading in Chinese."""
    async with runtime.db.write() as session:
        user = await do_create_user(
            session,
            actor=SystemPrincipal(),
            email="sup@example.com",
            name="林主管 <b>Lin</b>",
            password=PASSWORD,
            role="supervisor",
            locale="zh-TW",
        )
        team_id = await session.scalar(select(Team.id).where(Team.name == "Support"))
        session.add(TeamMember(team_id=team_id, user_id=user.id))
        session.add(InboxMember(inbox_id=workspace.inbox.id, user_id=user.id))
    return user


async def a_resolved_chat(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, workspace: Workspace
) -> None:
    """Today: a customer writes, mei answers and resolves; the report facts are refreshed."""
    await visitor_send(client, workspace.inbox, "訂單查詢")
    await runtime.dispatcher.settle()
    mei = await agent_client(app, workspace.agent.email)
    conv = (await mei.get("/api/v1/conversations")).json()["items"][0]
    base = f"/api/v1/conversations/{conv['id']}"
    assert (await mei.post(f"{base}/messages", json={"text": "您好"})).status_code == 201
    assert (await mei.post(f"{base}/status", json={"status": "resolved"})).status_code == 200
    await mei.aclose()
    await refresh_all_stale(runtime.db)


def morning_after(tz: ZoneInfo, *, weekly: bool = False) -> datetime:
    """08:30 local on the day after today (weekly: on the Monday after this week)."""
    today = datetime.now(tz).date()
    day = today + timedelta(days=(7 - today.weekday()) if weekly else 1)
    return datetime.combine(day, time(8, 30), tzinfo=tz).astimezone(UTC)


async def put_setting(
    app: FastAPI, email_address: str, frequency: str, timezone: str
) -> httpx.Response:
    client = await agent_client(app, email_address)
    try:
        return await client.put(
            "/api/v1/reports/digest", json={"frequency": frequency, "timezone": timezone}
        )
    finally:
        await client.aclose()


async def test_who_may_use_the_setting(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, supervisor: User
) -> None:
    for method in ("GET", "PUT"):
        body = {"frequency": "daily", "timezone": "UTC"} if method == "PUT" else None
        anonymous = await client.request(method, "/api/v1/reports/digest", json=body)
        assert anonymous.status_code == 401
        agent = await agent_client(app, workspace.agent.email)
        refused = await agent.request(method, "/api/v1/reports/digest", json=body)
        await agent.aclose()
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "digest_leads_only"

    lead = await agent_client(app, supervisor.email)
    fresh = (await lead.get("/api/v1/reports/digest")).json()
    assert fresh == {
        "frequency": "off",
        "timezone": None,
        "locale": "zh-TW",
        "next_due_at": None,
        "last_sent_at": None,
        "email_enabled": True,
    }
    saved = await lead.put(
        "/api/v1/reports/digest", json={"frequency": "daily", "timezone": "Asia/Taipei"}
    )
    assert saved.status_code == 200, saved.text
    next_due = datetime.fromisoformat(saved.json()["next_due_at"])
    local = next_due.astimezone(TAIPEI)
    assert (local.hour, local.minute) == (8, 0)
    assert timedelta(0) < next_due - datetime.now(UTC) <= timedelta(days=1)
    assert (await lead.get("/api/v1/reports/digest")).json()["frequency"] == "daily"
    zh = await lead.put(
        "/api/v1/reports/digest",
        json={"frequency": "daily", "timezone": "Mars/Olympus"},
        headers={"accept-language": "zh-TW"},
    )
    assert zh.status_code == 422 and zh.json()["error"]["code"] == "bad_timezone"
    hourly = {"frequency": "hourly", "timezone": "UTC"}
    wrong = await lead.put("/api/v1/reports/digest", json=hourly)
    assert wrong.status_code == 422
    await lead.aclose()

    admin = await put_setting(app, workspace.admin.email, "weekly", "America/New_York")
    assert admin.status_code == 200
    monday = datetime.fromisoformat(admin.json()["next_due_at"]).astimezone(NEW_YORK)
    assert (monday.weekday(), monday.hour) == (0, 8)
    off = await put_setting(app, workspace.admin.email, "off", "America/New_York")
    assert off.json()["frequency"] == "off" and off.json()["next_due_at"] is None


async def test_digests_are_emailed_with_the_figures_once_each(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    supervisor: User,
    mailbox: Mailbox,
) -> None:
    assert (await put_setting(app, supervisor.email, "daily", "Asia/Taipei")).status_code == 200
    assert (await put_setting(app, workspace.admin.email, "weekly", "UTC")).status_code == 200
    await a_resolved_chat(app, client, runtime, workspace)

    # Nothing is due yet (the first digest comes the next morning).
    assert await run_due_digests(runtime.db, runtime.settings) == 0
    await runtime.worker.run_once()
    assert mailbox.received == []

    # The next morning in Taipei: the supervisor's daily digest covers today.
    tomorrow = morning_after(TAIPEI)
    assert await run_due_digests(runtime.db, runtime.settings, now=tomorrow) == 1
    await runtime.worker.outbox.run_due()
    [message] = mailbox.to(supervisor.email)
    today = datetime.now(TAIPEI).date().isoformat()
    assert message["Subject"] == f"kefu 每日報表：{today}"
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = part(message, "plain"), part(message, "html")
    assert text.startswith("林主管 <b>Lin</b> 您好：")
    assert "範圍：您的團隊（Support）。" in text
    assert "- 新對話: 1 | 0 | +1" in text
    assert "- 已結案對話: 1 | 0 | +1 (較佳)" in text
    assert "https://kefu.example.com/console/#/reports" in text
    assert "林主管 &lt;b&gt;Lin&lt;/b&gt; 您好：" in html and "<b>Lin</b>" not in html

    # The same morning again, a restart, another node: nothing more.
    for again in (tomorrow, tomorrow + timedelta(hours=1)):
        assert await run_due_digests(runtime.db, runtime.settings, now=again) == 0
    await runtime.worker.outbox.run_due()
    assert len(mailbox.to(supervisor.email)) == 1
    lead = await agent_client(app, supervisor.email)
    shown = (await lead.get("/api/v1/reports/digest")).json()
    assert shown["last_sent_at"] is not None
    assert datetime.fromisoformat(shown["next_due_at"]) > tomorrow
    await lead.aclose()

    # Monday: the admin's weekly digest, in English (the account's language), for all inboxes.
    async with runtime.db.write() as session:
        admin = await session.get(User, workspace.admin.id)
        assert admin is not None
        admin.locale = "en"
    monday = morning_after(ZoneInfo("UTC"), weekly=True)
    assert await run_due_digests(runtime.db, runtime.settings, now=monday) >= 1
    await runtime.worker.outbox.run_due()
    [weekly] = mailbox.to(workspace.admin.email)
    assert weekly["Subject"].startswith("kefu weekly report: ")
    admin_text = part(weekly, "plain")
    assert "Scope: every team and inbox." in admin_text
    assert "- Conversations created: 1 | 0 | +1" in admin_text
    assert "open your profile in the console: https://kefu.example.com/console/#/profile" in (
        admin_text.replace("\n", " ")
    )


async def test_two_nodes_at_once_make_one_digest_and_a_second_job_sends_nothing(
    app: FastAPI, runtime: Runtime, settings: Settings, supervisor: User, mailbox: Mailbox
) -> None:
    assert (await put_setting(app, supervisor.email, "daily", "Asia/Taipei")).status_code == 200
    tomorrow = morning_after(TAIPEI)
    nodes = [Database(settings.effective_database_url) for _ in range(2)]
    try:
        made = await asyncio.gather(
            *(run_due_digests(db, settings, now=tomorrow) for db in nodes),
            run_due_digests(runtime.db, settings, now=tomorrow),
        )
        assert sorted(made) == [0, 0, 1]
        # The outbox runners of all three nodes, at once.
        runners = [OutboxRunner(settings, db) for db in nodes] + [runtime.worker.outbox]
        await asyncio.gather(*(r.run_due() for r in runners))
    finally:
        for db in nodes:
            await db.dispose()
    assert len(mailbox.to(supervisor.email)) == 1

    # A node that read the setting before the first one moved it on (or a change of timezone
    # landing on a day already sent): the unique row per period refuses a second digest.
    async with runtime.db.write() as session:
        subscription = await session.get(DigestSubscription, supervisor.id)
        assert subscription is not None
        subscription.next_due_at = tomorrow - timedelta(minutes=30)
    assert await run_due_digests(runtime.db, settings, now=tomorrow) == 0

    # A duplicate job for the same digest (a runner that died after sending): nothing more.
    async with runtime.db.write() as session:
        digest = await session.scalar(select(ReportDigest))
        assert digest is not None and digest.status == "sent" and digest.sent_at is not None
        await enqueue_job(session, DIGEST_JOB, {"digest_id": digest.id})
    await runtime.worker.outbox.run_due()
    assert len(mailbox.to(supervisor.email)) == 1


async def test_no_digest_for_a_lead_turned_agent_and_none_without_smtp(
    app: FastAPI, runtime: Runtime, settings: Settings, supervisor: User, mailbox: Mailbox
) -> None:
    assert (await put_setting(app, supervisor.email, "daily", "Asia/Taipei")).status_code == 200
    tomorrow = morning_after(TAIPEI)
    no_smtp = settings.model_copy(update={"smtp_host": ""})
    assert await run_due_digests(runtime.db, no_smtp, now=tomorrow) == 0  # waits for SMTP
    # Made while a supervisor, demoted before it went out: skipped, not sent.
    assert await run_due_digests(runtime.db, settings, now=tomorrow) == 1
    async with runtime.db.write() as session:
        user = await session.get(User, supervisor.id)
        assert user is not None
        user.role = "agent"
    await runtime.worker.outbox.run_due()
    assert mailbox.received == []
    async with runtime.db.read() as session:
        digest = await session.scalar(select(ReportDigest))
        assert digest is not None and digest.status == "skipped"
        # Still an agent the next morning: no new digest at all, but the schedule moves on.
        subscription = await session.get(DigestSubscription, supervisor.id)
        assert subscription is not None and subscription.next_due_at is not None
    later = tomorrow + timedelta(days=1)
    assert await run_due_digests(runtime.db, settings, now=later) == 0


async def test_an_smtp_failure_is_retried_then_recorded(
    app: FastAPI, runtime: Runtime, settings: Settings, supervisor: User
) -> None:
    assert (await put_setting(app, supervisor.email, "daily", "Asia/Taipei")).status_code == 200
    assert await run_due_digests(runtime.db, settings, now=morning_after(TAIPEI)) == 1
    down = settings.model_copy(update={"smtp_port": free_port()})  # nobody listens there
    runner = OutboxRunner(down, runtime.db, max_attempts=2, base_delay=0.01)
    await runner.run_due()
    async with runtime.db.read() as session:
        digest = await session.scalar(select(ReportDigest))
        assert digest is not None and digest.status == "pending"  # to be retried
    await asyncio.sleep(1.1)  # the retry's minimum delay
    await runner.run_due()
    async with runtime.db.read() as session:
        digest = await session.scalar(select(ReportDigest))
        assert digest is not None and digest.status == "failed"
