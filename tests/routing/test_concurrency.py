"""Assignment under concurrency: many tasks (on PostgreSQL truly in parallel, each in its own
transaction) send first messages, drain the queue, take, resolve and switch presence at once.
After every run: nobody above capacity, nobody assigned a conversation twice, nothing left
waiting while an eligible agent has room. (tests/multinode drives the same from two processes.)"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kefu.auth.principals import AgentPrincipal, SystemPrincipal, VisitorPrincipal
from kefu.contacts.actions import do_create_visitor
from kefu.conversations.actions import do_set_conversation_status, do_start_visitor_conversation
from kefu.conversations.models import Conversation
from kefu.conversations.queries import get_conversation
from kefu.errors import KefuError
from kefu.inboxes.models import Inbox, InboxMember
from kefu.messages.actions import do_send_visitor_message
from kefu.messages.models import Message
from kefu.routing.actions import do_assign_next, do_take_conversation
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.policy import can_serve
from kefu.routing.presence import do_set_presence
from kefu.routing.queries import agent_snapshots, as_waiting
from kefu.routing.settings import RoutingSettings
from kefu.runtime import Runtime
from kefu.teams.models import TeamMember
from kefu.users.actions import do_create_user
from kefu.users.models import User
from tests.conftest import Workspace

CAPACITY = 2


async def setup_agents(runtime: Runtime, workspace: Workspace, count: int) -> list[User]:
    """`count` agents in the inbox and its team, online, with the inbox's capacity."""
    system = SystemPrincipal()
    async with runtime.db.write() as session:
        inbox = await session.get(Inbox, workspace.inbox.id)
        assert inbox is not None
        await do_update_inbox_routing(
            session,
            actor=system,
            inbox=inbox,
            settings=RoutingSettings(
                max_conversations_per_agent=CAPACITY,
                greeting_enabled=False,
                queued_reply_enabled=False,
            ),
        )
        agents = []
        for i in range(count):
            user = await do_create_user(
                session,
                actor=system,
                email=f"c{i}@example.com",
                name=f"C{i}",
                password="correct horse battery",
                role="agent",
            )
            session.add(InboxMember(inbox_id=inbox.id, user_id=user.id))
            assert inbox.team_id is not None
            session.add(TeamMember(team_id=inbox.team_id, user_id=user.id))
            agents.append(user)
        await session.flush()
        for user in agents:
            await do_set_presence(session, actor=system, user=user, presence="online")
    return agents


async def new_customer(runtime: Runtime, workspace: Workspace, text: str) -> int:
    async with runtime.db.write() as session:
        inbox = await session.get(Inbox, workspace.inbox.id)
        assert inbox is not None
        contact = await do_create_visitor(session, inbox=inbox)
        visitor = VisitorPrincipal(contact_id=contact.id, inbox_id=inbox.id)
        conversation, _ = await do_start_visitor_conversation(session, actor=visitor, inbox=inbox)
        await do_send_visitor_message(session, actor=visitor, conversation=conversation, text=text)
        return conversation.id


async def resolve_one(runtime: Runtime, rng: random.Random) -> None:
    async with runtime.db.read() as session:
        ids = list(
            await session.scalars(
                select(Conversation.id).where(
                    Conversation.assignee_id.is_not(None), Conversation.status != "resolved"
                )
            )
        )
    if not ids:
        return
    async with runtime.db.write() as session:
        conversation = await get_conversation(session=session, conversation_id=rng.choice(ids))
        assert conversation is not None and conversation.assignee is not None
        actor = AgentPrincipal(user=conversation.assignee, via="session")
        await do_set_conversation_status(
            session, actor=actor, conversation=conversation, status="resolved"
        )


async def take_one(runtime: Runtime, agent: User) -> None:
    async with runtime.db.read() as session:
        waiting = await session.scalar(
            select(Conversation.id).where(
                Conversation.queued_at.is_not(None), Conversation.assignee_id.is_(None)
            )
        )
    if waiting is None:
        return
    try:
        async with runtime.db.write() as session:
            conversation = await get_conversation(session=session, conversation_id=waiting)
            assert conversation is not None
            await do_take_conversation(
                session, actor=AgentPrincipal(user=agent, via="session"), conversation=conversation
            )
    except KefuError:
        pass  # at capacity, or someone was faster: both are the point


async def toggle(runtime: Runtime, agent: User, value: str) -> None:
    async with runtime.db.write() as session:
        user = await session.get(User, agent.id)
        assert user is not None
        await do_set_presence(session, actor=SystemPrincipal(), user=user, presence=value)


async def drain(runtime: Runtime) -> None:
    while True:
        async with runtime.db.write() as session:
            if not await do_assign_next(session):
                return


async def check_invariants(runtime: Runtime) -> None:
    await runtime.dispatcher.settle()
    async with runtime.db.read() as session:
        loads = (
            await session.execute(
                select(Conversation.assignee_id, func.count())
                .where(Conversation.assignee_id.is_not(None), Conversation.status != "resolved")
                .group_by(Conversation.assignee_id)
            )
        ).all()
        # 1. Nobody above capacity.
        assert all(count <= CAPACITY for _, count in loads), loads
        # 2. Nobody was given a conversation twice: each "assigned" line hands it on from
        # whoever the previous line gave it to (two concurrent assignments would both say
        # "from nobody").
        lines = await session.execute(
            select(Message.conversation_id, Message.activity)
            .where(Message.kind == "activity")
            .order_by(Message.conversation_id, Message.seq)
        )
        holder: dict[int, Any] = {}
        for conversation_id, activity in lines:
            kind = activity["type"]
            if kind == "assigned":
                assert activity["from"] == holder.get(conversation_id), (conversation_id, activity)
                holder[conversation_id] = activity["to"]
            elif kind == "requeued" or (
                kind == "status_changed"
                and activity["by"] == "contact"
                and activity["from"] == "resolved"
            ):
                holder[conversation_id] = None  # handed back to the queue without a new line
        # 3. No conversation waits while an online agent who could serve it has room.
        agents = await agent_snapshots(session=session)
        waiting = await session.scalars(
            select(Conversation).where(
                Conversation.queued_at.is_not(None),
                Conversation.assignee_id.is_(None),
                Conversation.status != "resolved",
            )
        )
        for conversation in waiting:
            free = [
                a.user_id
                for a in agents
                if can_serve(a, as_waiting(conversation)) and a.has_room(CAPACITY)
            ]
            assert free == [], (conversation.id, free)


async def test_many_concurrent_tasks_keep_the_invariants(
    runtime: Runtime, workspace: Workspace
) -> None:
    agents = await setup_agents(runtime, workspace, 4)
    rng = random.Random(7)
    tasks = [new_customer(runtime, workspace, f"m{i}") for i in range(24)]
    tasks += [drain(runtime) for _ in range(6)]
    tasks += [take_one(runtime, rng.choice(agents)) for _ in range(6)]
    tasks += [resolve_one(runtime, rng) for _ in range(6)]
    rng.shuffle(tasks)
    await asyncio.gather(*tasks)
    await check_invariants(runtime)
    async with runtime.db.read() as session:
        assigned = await session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.assignee_id.is_not(None), Conversation.status != "resolved")
        )
    assert assigned == 4 * CAPACITY  # 24 customers, 8 slots: every slot is in use


OPERATIONS = st.lists(
    st.sampled_from(["customer", "customer", "drain", "take", "resolve", "away", "online"]),
    min_size=4,
    max_size=16,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(schedule=OPERATIONS, seed=st.integers(0, 2**16))
async def test_generated_schedules_keep_the_invariants(
    runtime: Runtime, workspace: Workspace, schedule: list[str], seed: int
) -> None:
    """Each example runs its operations all at once; examples pile up on one database, so later
    ones start from busy queues and full agents."""
    agents = workspace.extra.get("agents")
    if agents is None:
        agents = workspace.extra["agents"] = await setup_agents(runtime, workspace, 3)
    rng = random.Random(seed)
    tasks = []
    for step, operation in enumerate(schedule):
        agent = rng.choice(agents)
        match operation:
            case "customer":
                tasks.append(new_customer(runtime, workspace, f"s{seed}-{step}"))
            case "drain":
                tasks.append(drain(runtime))
            case "take":
                tasks.append(take_one(runtime, agent))
            case "resolve":
                tasks.append(resolve_one(runtime, rng))
            case "away" | "online":
                tasks.append(toggle(runtime, agent, operation))
    await asyncio.gather(*tasks)
    for agent in agents:  # everyone back online: the queue must drain into the free slots
        await toggle(runtime, agent, "online")
    await check_invariants(runtime)
