"""Scheduled messages: scheduling in the customer's timezone, due sending by the worker (once,
whatever retries or nodes do), cancel, refused times, and permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from kefu.db import utcnow
from kefu.events import types
from kefu.events.schemas import validate_payload
from kefu.messages.models import Message
from kefu.outbox.models import OutboxJob
from kefu.outbox.registry import REGISTRY, JobContext
from kefu.runtime import Runtime
from kefu.scheduled.actions import do_send_scheduled_message
from kefu.scheduled.models import ScheduledMessage
from tests.conftest import EventCapture, Workspace, agent_client, visitor_send

PERMISSION_TESTED = {
    "GET /api/v1/conversations/{conversation_id}/scheduled-messages",
    "POST /api/v1/conversations/{conversation_id}/scheduled-messages",
    "POST /api/v1/conversations/{conversation_id}/scheduled-messages/{scheduled_id}/cancel",
    "POST /api/v1/widget/{inbox_key}/timezone",
}

TAIPEI = ZoneInfo("Asia/Taipei")


async def customer(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, text: str = "hi"
) -> tuple[str, int, httpx.AsyncClient]:
    """A customer's conversation: their token, its id, and Mei's client."""
    token = (await visitor_send(client, workspace.inbox, text))["visitor_token"]
    agent = await agent_client(app, workspace.agent.email)
    listing = (await agent.get("/api/v1/conversations")).json()["items"]
    conv_id = next(c["id"] for c in listing if c["last_message_preview"] == text)
    return token, conv_id, agent


def tomorrow_nine(zone: ZoneInfo) -> datetime:
    local = datetime.now(zone) + timedelta(days=1)
    return local.replace(hour=9, minute=0, second=0, microsecond=0)


async def schedule(
    agent: httpx.AsyncClient, conv_id: int, text: str, send_at: str, status: int = 201
) -> dict[str, Any]:
    response = await agent.post(
        f"/api/v1/conversations/{conv_id}/scheduled-messages",
        json={"text": text, "send_at": send_at},
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def time_passes(runtime: Runtime, scheduled_id: int) -> None:
    """The send time arrives: the outbox job (and the schedule) are due now."""
    past = utcnow() - timedelta(seconds=1)
    async with runtime.db.write() as session:
        await session.execute(
            update(OutboxJob)
            .where(OutboxJob.key == f"scheduled_message:{scheduled_id}")
            .values(next_attempt_at=past, status="pending")
        )
        await session.execute(
            update(ScheduledMessage).where(ScheduledMessage.id == scheduled_id).values(send_at=past)
        )


async def outgoing(runtime: Runtime, conv_id: int) -> list[Message]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(Message).where(Message.conversation_id == conv_id, Message.kind == "outgoing")
        )
        return list(rows)


async def test_a_message_scheduled_in_the_customers_timezone_is_sent_once_when_due(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    runtime: Runtime,
    capture_events: EventCapture,
) -> None:
    token, conv_id, agent = await customer(app, client, workspace)
    tz = await client.post(
        f"/api/v1/widget/{workspace.inbox.public_key}/timezone",
        json={"timezone": "Asia/Taipei"},
        headers={"x-kefu-visitor": token},
    )
    assert tz.status_code == 204
    url = f"/api/v1/conversations/{conv_id}/scheduled-messages"
    listing = (await agent.get(url)).json()
    assert listing == {"items": [], "contact_timezone": "Asia/Taipei"}

    nine = tomorrow_nine(TAIPEI)
    item = await schedule(agent, conv_id, "早安,您的退款已處理", nine.isoformat())
    assert item["status"] == "pending" and item["author"]["id"] == workspace.agent.id
    sent_at = datetime.fromisoformat(item["send_at"])
    assert sent_at == nine and sent_at.utcoffset() == timedelta(0)  # stored in UTC: 01:00Z
    assert sent_at.astimezone(UTC).hour == 1

    await runtime.worker.run_once()  # not due yet
    assert await outgoing(runtime, conv_id) == []
    assert (await agent.get(url)).json()["items"][0]["status"] == "pending"

    await time_passes(runtime, item["id"])
    await runtime.worker.run_once()
    [message] = await outgoing(runtime, conv_id)
    assert message.text == "早安,您的退款已處理"
    assert message.sender_user_id == workspace.agent.id
    assert message.client_msg_id == f"scheduled-{item['id']}"
    assert (await agent.get(url)).json()["items"][0]["status"] == "sent"
    session = await client.get(
        f"/api/v1/widget/{workspace.inbox.public_key}/session", headers={"x-kefu-visitor": token}
    )
    assert [m["text"] for m in session.json()["messages"]][-1] == "早安,您的退款已處理"

    # A retry of the job, or a second node running it, sends nothing more.
    await time_passes(runtime, item["id"])
    await runtime.worker.run_once()
    async with runtime.db.write() as s:
        assert await do_send_scheduled_message(s, scheduled_id=item["id"]) is None
    assert len(await outgoing(runtime, conv_id)) == 1

    updates = capture_events.of_type(types.SCHEDULED_MESSAGE_UPDATED)
    assert [e.agent["scheduled_message"]["status"] for e in updates] == ["pending", "sent"]
    for event in updates:
        assert event.contact is None and event.inbox_id == workspace.inbox.id
        validate_payload(types.SCHEDULED_MESSAGE_UPDATED, event.agent, audience="agent")
    await agent.aclose()


async def test_cancel_until_it_goes_by_its_author_or_a_supervisor(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    _, conv_id, mei = await customer(app, client, workspace)
    when = (utcnow() + timedelta(hours=3)).isoformat()
    first = await schedule(mei, conv_id, "first", when)
    second = await schedule(mei, conv_id, "second", when)
    base = f"/api/v1/conversations/{conv_id}/scheduled-messages"

    alex = await agent_client(app, workspace.agent2.email)  # same inbox, not the author
    denied = await alex.post(f"{base}/{first['id']}/cancel")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "not_your_scheduled_message"
    outsider = await agent_client(app, workspace.outsider.email)
    assert (await outsider.post(f"{base}/{first['id']}/cancel")).status_code == 404
    assert (await outsider.get(base)).status_code == 404
    assert (await client.post(f"{base}/{first['id']}/cancel")).status_code == 401

    canceled = await mei.post(f"{base}/{first['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    again = await mei.post(f"{base}/{first['id']}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "scheduled_not_pending"
    admin = await agent_client(app, workspace.admin.email)
    assert (await admin.post(f"{base}/{second['id']}/cancel")).json()["status"] == "canceled"
    assert (await mei.post(f"{base}/999999/cancel")).status_code == 404
    # Another conversation's schedule through this conversation's path: not found.
    _, conv_b, mei_again = await customer(app, client, workspace, "b")
    await mei_again.aclose()
    other = await schedule(mei, conv_b, "x", when)
    wrong = await mei.post(f"{base}/{other['id']}/cancel")
    assert wrong.status_code == 404
    blocked = await outsider.post(base, json={"text": "x", "send_at": when})
    assert blocked.status_code == 404

    for item in (first, second):
        await time_passes(runtime, item["id"])
    await runtime.worker.run_once()
    assert await outgoing(runtime, conv_id) == []  # canceled ones never go

    # Sent ones cannot be canceled.
    third = await schedule(mei, conv_id, "third", (utcnow() + timedelta(hours=1)).isoformat())
    await time_passes(runtime, third["id"])
    await runtime.worker.run_once()
    late = await mei.post(f"{base}/{third['id']}/cancel")
    assert late.status_code == 409
    for c in (alex, outsider, admin, mei):
        await c.aclose()


async def test_naive_past_and_far_times_are_refused(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    _, conv_id, mei = await customer(app, client, workspace)
    now = utcnow()
    cases = {
        "2031-01-01T09:00:00": "naive_datetime",
        (now - timedelta(minutes=5)).isoformat(): "send_at_past",
        (now + timedelta(seconds=20)).isoformat(): "send_at_past",
        (now + timedelta(days=400)).isoformat(): "send_at_too_far",
        "tomorrow 9am": "invalid_input",
        "": "invalid_input",
    }
    for send_at, code in cases.items():
        refused = await schedule(mei, conv_id, "x", send_at, status=422)
        assert refused["error"]["code"] == code, (send_at, refused)
    for text in ("", "   ", "x" * 10_001, "nul\x00"):
        future = (now + timedelta(hours=1)).isoformat()
        await schedule(mei, conv_id, text, future, status=422)
    extra = await mei.post(
        f"/api/v1/conversations/{conv_id}/scheduled-messages",
        json={"text": "x", "send_at": (now + timedelta(hours=1)).isoformat(), "author_id": 1},
    )
    assert extra.status_code == 422
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count(ScheduledMessage.id))) == 0
        assert await session.scalar(select(func.count(OutboxJob.id))) == 0
    await mei.aclose()


async def test_a_conversation_resolved_meanwhile_is_not_written_to(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    _, conv_id, mei = await customer(app, client, workspace)
    item = await schedule(mei, conv_id, "follow-up", (utcnow() + timedelta(hours=2)).isoformat())
    await mei.post(f"/api/v1/conversations/{conv_id}/status", json={"status": "resolved"})
    await time_passes(runtime, item["id"])
    await runtime.worker.run_once()
    assert await outgoing(runtime, conv_id) == []
    [row] = (await mei.get(f"/api/v1/conversations/{conv_id}/scheduled-messages")).json()["items"]
    assert (row["status"], row["failure"]) == ("failed", "conversation_resolved")
    conversation = (await mei.get(f"/api/v1/conversations/{conv_id}")).json()
    assert conversation["status"] == "resolved"

    # A send job given up by the outbox (dead-lettered) leaves the schedule failed, not pending.
    other = await schedule(mei, conv_id, "x", (utcnow() + timedelta(hours=2)).isoformat())
    registration = REGISTRY.get("scheduled_message.send")
    assert registration is not None and registration.on_dead is not None
    ctx = JobContext(settings=runtime.settings, db=runtime.db, job_id=0, kind="x", attempt=8)
    await registration.on_dead(ctx, {"id": other["id"]}, "boom")
    items = (await mei.get(f"/api/v1/conversations/{conv_id}/scheduled-messages")).json()["items"]
    assert [(i["status"], i["failure"]) for i in items][-1] == ("failed", "send_failed")
    await mei.aclose()


async def test_the_widget_reports_only_real_timezones(
    client: httpx.AsyncClient, workspace: Workspace, runtime: Runtime
) -> None:
    token = (await visitor_send(client, workspace.inbox, "tz"))["visitor_token"]
    url = f"/api/v1/widget/{workspace.inbox.public_key}/timezone"
    headers = {"x-kefu-visitor": token}
    for bad in ("Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "UTC+8", "x" * 65, ""):
        response = await client.post(url, json={"timezone": bad}, headers=headers)
        assert response.status_code == 422, bad
    assert (await client.post(url, json={"timezone": 8}, headers=headers)).status_code == 422
    assert (await client.post(url, json={"timezone": "UTC"})).status_code == 401
    other_key = url.replace(workspace.inbox.public_key, workspace.other_inbox.public_key)
    crossed = await client.post(other_key, json={"timezone": "UTC"}, headers=headers)
    assert crossed.status_code == 401
    ok = await client.post(
        url, json={"timezone": "America/Argentina/Buenos_Aires"}, headers=headers
    )
    assert ok.status_code == 204
