"""The synthetic support history (kefu.reports.sample_history): deterministic, shaped as
specified (seasonality, channel and language mix, bot, queue, surveys), and valid rows: they
insert into the real schema and the app goes on working on top of them."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.auth.sealing import SecretBox
from kefu.contacts.models import Contact, ContactIdentity
from kefu.conversations.models import Conversation
from kefu.inboxes.actions import do_create_inbox
from kefu.messages.models import Message
from kefu.reports.refresh import rebuild_reports
from kefu.reports.sample_history import (
    CHANNEL_WEIGHTS,
    HistoryAgent,
    HistoryInbox,
    HistoryRows,
    HistorySpec,
    HistoryTag,
    HistoryTeam,
    generate_history,
    insert_history,
)
from kefu.routing.models import QueueCounter, SlaBreach
from kefu.runtime import Runtime
from kefu.surveys.models import SurveyResponse
from kefu.tags.actions import do_create_tag
from kefu.tags.models import ConversationTag
from tests.conftest import Workspace, login, visitor_send

END = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # Tuesday 00:00 in Taipei
TAIPEI = ZoneInfo("Asia/Taipei")


def _spec(**changes: object) -> HistorySpec:
    inboxes = [
        HistoryInbox(1, "web", team_id=1),
        HistoryInbox(2, "line", team_id=1),
        HistoryInbox(3, "email", team_id=2),
        HistoryInbox(4, "whatsapp", team_id=2),
        HistoryInbox(5, "messenger", team_id=1),
        HistoryInbox(6, "telegram", team_id=2),
    ]
    values: dict[str, object] = {
        "inboxes": inboxes,
        "agents": [HistoryAgent(10 + i, f"Agent {i}", team_id=1 + i % 2) for i in range(8)],
        "teams": [HistoryTeam(1, "一組"), HistoryTeam(2, "二組")],
        "tags": [HistoryTag(i + 1, name) for i, name in enumerate(["退換貨", "發票", "VIP"])],
        "start": END - timedelta(days=56),
        "end": END,
        "conversations_per_day": 120,
        "contacts": 4000,
        "seed": 7,
    }
    values.update(changes)
    return HistorySpec(**values)  # type: ignore[arg-type]


def _merged(spec: HistorySpec) -> HistoryRows:
    out = HistoryRows()
    for batch in generate_history(spec, batch=500):
        for name, rows in batch.tables():
            getattr(out, name).extend(rows)
        out.queue_counters.update(batch.queue_counters)
    return out


@pytest.fixture(scope="module")
def history() -> HistoryRows:
    return _merged(_spec())


def test_the_same_seed_gives_the_same_rows(history: HistoryRows) -> None:
    again = _merged(_spec())
    assert again == history
    other = _merged(_spec(seed=8, start=END - timedelta(days=3)))
    assert other.messages[:50] != history.messages[:50]


def test_arrivals_peak_at_20_local_with_a_lunch_bump_and_busy_mondays(
    history: HistoryRows,
) -> None:
    local = [c["created_at"].astimezone(TAIPEI) for c in history.conversations]
    hours = Counter(t.hour for t in local)
    assert max(hours, key=lambda h: hours[h]) == 20
    assert hours[12] > hours[11] and hours[12] > hours[14]  # lunch
    assert hours[4] * 8 < hours[20]  # quiet nights
    weekdays = Counter(t.weekday() for t in local)
    assert weekdays[0] == max(weekdays.values())  # Monday
    assert weekdays[6] == min(weekdays.values())  # Sunday
    assert weekdays[0] > 1.3 * weekdays[6]
    # 56 days of 120 a day on average.
    assert len(history.conversations) == pytest.approx(56 * 120, rel=0.05)


def test_channel_and_language_mix(history: HistoryRows) -> None:
    channels = {1: "web", 2: "line", 3: "email", 4: "whatsapp", 5: "messenger", 6: "telegram"}
    counts = Counter(channels[c["inbox_id"]] for c in history.conversations)
    total = len(history.conversations)
    for channel, share in CHANNEL_WEIGHTS.items():
        assert counts[channel] / total == pytest.approx(share, abs=0.025), channel
    assert counts["web"] > counts["email"] and counts["line"] > counts["email"]
    firsts = [m for m in history.messages if m["seq"] == 1]
    chinese = sum(1 for m in firsts if any("\u4e00" <= ch <= "\u9fff" for ch in m["text"]))
    assert chinese / len(firsts) == pytest.approx(0.7, abs=0.04)


def test_conversation_outcomes_follow_the_specified_rates(history: HistoryRows) -> None:
    conversations = history.conversations
    total = len(conversations)
    resolved = [c for c in conversations if c["status"] == "resolved"]
    assert (total - len(resolved)) / total == pytest.approx(0.03, abs=0.012)
    web = [c for c in conversations if c["inbox_id"] == 1]
    bot = [c for c in web if c["bot_state"]]
    assert len(bot) / len(web) == pytest.approx(0.25, abs=0.03)
    handed = [c for c in bot if c["bot_state"].get("ended", "idle") != "idle"]
    assert 0.1 < len(handed) / len(bot) < 0.45  # most are contained
    activities = [m["activity"] for m in history.messages if m["activity"]]
    handoffs = [a for a in activities if a["type"] == "bot_handoff"]
    assert len(handoffs) == len(handed)
    assert all(a["reason"] and a["summary"] for a in handoffs)
    abandoned = [
        c for c in resolved if c["assignee_id"] is None and not c["bot_state"] and c["last_seq"]
    ]
    assert all(c["first_reply_at"] is None for c in abandoned)
    assert len(abandoned) / total == pytest.approx(0.05, abs=0.015)
    transfers = [a for a in activities if a["type"] == "transferred" or a.get("how") == "transfer"]
    assert len(transfers) / total == pytest.approx(0.08, abs=0.025)
    reopened = [a for a in activities if a["type"] == "status_changed" and a["to"] == "open"]
    assert len(reopened) / total == pytest.approx(0.05, abs=0.02)
    csat = [s for s in history.survey_responses if s["kind"] == "csat"]
    nps = [s for s in history.survey_responses if s["kind"] == "nps"]
    assert len(csat) / len(resolved) == pytest.approx(0.35, abs=0.03)
    assert len(nps) / len(resolved) == pytest.approx(0.15, abs=0.03)
    assert statistics.mean(s["score"] for s in csat) > 4.0
    # First answers: mostly 30 s - 10 min, with a tail.
    first = sorted(
        (c["first_reply_at"] - c["created_at"]).total_seconds()
        for c in conversations
        if c["first_reply_at"] is not None
    )
    within = sum(1 for s in first if 30 <= s <= 600) / len(first)
    assert within > 0.75 and first[-1] > 1800
    assert 60 < statistics.median(first) < 300
    # A breach for every late (or missing) first answer past the 15 minutes, and only then.
    breached = {b["conversation_id"] for b in history.sla_breaches}
    for c in conversations:
        due = c["first_response_due_at"]
        if due is None or c["id"] in breached:
            continue
        assert c["first_reply_at"] is None or c["first_reply_at"] <= due + timedelta(seconds=30)
    assert 0.03 < len(breached) / total < 0.15
    assert len(history.messages) / total == pytest.approx(10, abs=1)


def test_every_conversation_is_consistent(history: HistoryRows) -> None:
    by_conversation: dict[int, list[dict[str, object]]] = {}
    for m in history.messages:
        by_conversation.setdefault(int(m["conversation_id"]), []).append(m)
    names = {10 + i: f"Agent {i}" for i in range(8)}
    for c in history.conversations:
        messages = by_conversation[c["id"]]
        assert [m["seq"] for m in messages] == list(range(1, c["last_seq"] + 1))
        times = [m["created_at"] for m in messages]
        assert times == sorted(times) and times[0] == c["created_at"]
        assert c["last_activity_at"] == times[-1] <= END
        for m in messages:
            if m["kind"] == "incoming":
                assert m["sender_key"] == f"c:{c['contact_id']}"
                assert m["sender_contact_id"] == c["contact_id"]
            elif m["sender_user_id"] is not None:
                assert m["sender_key"] == f"u:{m['sender_user_id']}"
                assert m["sender_user_id"] in names
            else:
                assert m["sender_key"] in ("s:0", "b:0", f"c:{c['contact_id']}")
        replies = [m for m in messages if m["kind"] == "outgoing" and m["sender_user_id"]]
        assert c["first_reply_at"] == (replies[0]["created_at"] if replies else None)
        if c["status"] == "resolved":
            closing = [
                m for m in messages if m["activity"] and m["activity"]["type"] == "status_changed"
            ]
            assert closing[-1]["activity"]["to"] == "resolved"
            assert c["resolved_at"] == closing[-1]["created_at"]
        else:
            assert c["resolved_at"] is None
        if c["assignee_id"] is not None:
            assigned = [m for m in messages if m["activity"] and m["activity"].get("to")]
            assert names[c["assignee_id"]] in {m["activity"]["to"] for m in assigned}
    unresolved = Counter(
        (c["contact_id"], c["inbox_id"])
        for c in history.conversations
        if c["status"] != "resolved" and c["inbox_id"] != 3
    )
    assert max(unresolved.values()) == 1


def test_without_open_conversations_everything_is_resolved_by_the_end() -> None:
    end = datetime.now(UTC)
    rows = _merged(_spec(still_open_rate=0.0, start=end - timedelta(days=3), end=end))
    assert rows.conversations
    assert all(c["status"] == "resolved" for c in rows.conversations)
    assert all(m["created_at"] <= end for m in rows.messages)
    assert all(c["queued_at"] is None for c in rows.conversations)


async def test_rows_insert_into_the_schema_and_the_app_carries_on(
    runtime: Runtime, workspace: Workspace, client: httpx.AsyncClient
) -> None:
    system = SystemPrincipal()
    box = SecretBox(runtime.settings.effective_secret_key)
    members = [workspace.agent.id, workspace.agent2.id]
    async with runtime.db.write() as session:
        line = await do_create_inbox(
            session,
            actor=system,
            name="LINE",
            channel_type="line",
            channel_secrets={"channel_secret": "0" * 32, "channel_access_token": "t"},
            box=box,
            member_ids=members,
        )
        email = await do_create_inbox(
            session,
            actor=system,
            name="Email",
            channel_type="email",
            channel_config={"address": "help@shop.example.com"},
            box=box,
            member_ids=members,
        )
        tags = [await do_create_tag(session, actor=system, name=n) for n in ("退換貨", "VIP")]
    now = datetime.now(UTC)
    spec = HistorySpec(
        inboxes=[
            HistoryInbox(workspace.inbox.id, "web"),
            HistoryInbox(line.id, "line"),
            HistoryInbox(email.id, "email"),
        ],
        agents=[
            HistoryAgent(workspace.agent.id, workspace.agent.name),
            HistoryAgent(workspace.agent2.id, workspace.agent2.name),
        ],
        teams=[],
        tags=[HistoryTag(t.id, t.name) for t in tags],
        start=now - timedelta(days=4),
        end=now,
        conversations_per_day=60,
        contacts=150,
    )
    result = await insert_history(runtime.db, spec, batch=50)
    assert result.rows["conversations"] > 150
    async with runtime.db.read() as session:

        async def count(model: type[object]) -> int:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

        assert await count(Conversation) == result.rows["conversations"]
        assert await count(Message) == result.rows["messages"]
        assert await count(Contact) == result.rows["contacts"] == await count(ContactIdentity)
        assert await count(SurveyResponse) == result.rows["survey_responses"]
        assert await count(SlaBreach) == result.rows["sla_breaches"]
        assert await count(ConversationTag) == result.rows["conversation_tags"]
        assert await count(QueueCounter) > 0
        # Read back through the ORM: types, JSON and aware datetimes as the app writes them.
        rows = (await session.execute(select(Conversation).order_by(Conversation.id))).scalars()
        conversations = list(rows)
        for conversation in conversations:
            assert conversation.created_at.tzinfo is not None
            highest = await session.scalar(
                select(func.max(Message.seq)).where(Message.conversation_id == conversation.id)
            )
            assert highest == conversation.last_seq
        tagged = [c for c in conversations if c.tags]
        assert tagged and {n for c in tagged for n in c.tags} <= {"退換貨", "VIP"}
        activity = await session.scalar(
            select(Message).where(Message.kind == "activity").order_by(Message.id).limit(1)
        )
        assert activity is not None and isinstance(activity.activity, dict)
    # The app goes on: a new visitor's message gets the next ids (sequences moved on).
    sent = await visitor_send(client, workspace.inbox, "你好，歷史資料之後的新訊息")
    async with runtime.db.read() as session:
        latest = await session.scalar(select(func.max(Message.id)))
    assert latest is not None and latest > result.rows["messages"]
    assert sent["conversation"]["id"]


async def test_reports_over_generated_history_agree_with_the_rows(
    runtime: Runtime, workspace: Workspace, client: httpx.AsyncClient
) -> None:
    """rebuild_reports over a fortnight of history: the summary counts what was generated,
    and its rates and times fall where the generator puts them."""
    now = datetime.now(UTC)
    start = now - timedelta(days=14)
    inbox, other = frozenset({workspace.inbox.id}), frozenset({workspace.other_inbox.id})
    spec = HistorySpec(
        inboxes=[
            HistoryInbox(workspace.inbox.id, "web", team_id=None),
            HistoryInbox(workspace.other_inbox.id, "web", bot_share=0.0, weight=0.3),
        ],
        agents=[
            HistoryAgent(workspace.agent.id, workspace.agent.name, None, inbox),
            HistoryAgent(workspace.agent2.id, workspace.agent2.name, None, inbox),
            HistoryAgent(workspace.outsider.id, workspace.outsider.name, None, other),
        ],
        teams=[],
        tags=[],
        start=start,
        end=now,
        conversations_per_day=80,
        contacts=700,
        seed=3,
    )
    rows = _merged(spec)
    await insert_history(runtime.db, spec)
    await rebuild_reports(runtime.db)
    await login(client, workspace.admin.email)
    first_day = start.astimezone(TAIPEI).date() + timedelta(days=1)  # whole local days only
    today = now.astimezone(TAIPEI).date()
    response = await client.get(
        "/api/v1/reports/summary",
        params={"start": first_day.isoformat(), "end": today.isoformat(), "tz": "Asia/Taipei"},
    )
    assert response.status_code == 200, response.text
    summary = response.json()

    def within(at: datetime | None) -> bool:
        return at is not None and first_day <= at.astimezone(TAIPEI).date() <= today

    created = [c for c in rows.conversations if within(c["created_at"])]
    assert summary["conversations"]["created"] == len(created)
    resolved = [c for c in rows.conversations if within(c["resolved_at"])]
    assert summary["conversations"]["resolved"] == len(resolved)
    csat = [s for s in rows.survey_responses if s["kind"] == "csat" and within(s["answered_at"])]
    assert summary["csat"]["responses"] == len(csat)
    assert summary["csat"]["average"] == pytest.approx(
        statistics.mean(s["score"] for s in csat), abs=0.01
    )
    nps = [s for s in rows.survey_responses if s["kind"] == "nps" and within(s["answered_at"])]
    assert summary["nps"]["responses"] == len(nps)
    first = summary["first_response"]
    assert 30 <= first["median_s"] <= 600 and first["p90_s"] > first["median_s"]
    assert 0.02 <= summary["queue"]["abandonment_rate"] <= 0.1
    assert summary["queue"]["wait_median_s"] < 60  # most within a minute
    bot = summary["bot"]
    assert bot["conversations"] and 0.55 <= bot["containment_rate"] <= 0.95
    assert 0.02 <= summary["reopen"]["rate"] <= 0.1
    assert 0.8 <= summary["sla"]["attainment"] < 1
    assert summary["handling"]["count"] > 0
