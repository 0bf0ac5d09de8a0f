"""Writers for routing: the routing step of a new (or reopened) conversation, one assignment
decision from the queue, and the manual controls (take, transfer, priority)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from kefu.auth.principals import AgentPrincipal, SystemPrincipal
from kefu.bot.phase import end_bot_phase, enter_bot_phase
from kefu.bot.settings import bot_enabled
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.errors import Conflict, InvalidInput, PermissionDenied
from kefu.events.bus import send_event_on_commit
from kefu.inboxes.models import Inbox, InboxMember
from kefu.messages.actions import append_message
from kefu.messages.models import Message
from kefu.routing import sla
from kefu.routing.assignment import capacity_for, enqueue, lock_agent_state, try_assign
from kefu.routing.hours import BusinessHours, is_open, next_open
from kefu.routing.policy import AgentSnapshot, WaitingConversation, choose_agent
from kefu.routing.queries import (
    agent_snapshots,
    as_waiting,
    average_handle_seconds,
    count_ahead,
    enabled_rules,
    online_slots,
    reaches,
    waiting_conversations,
)
from kefu.routing.rules import RoutingFacts, apply_rules, fold
from kefu.routing.settings import RoutingSettings, fill, routing_settings
from kefu.routing.signals import request_routing_on_commit
from kefu.routing.waits import describe_wait, format_next_open
from kefu.tags.actions import add_rule_tags
from kefu.teams.models import Team
from kefu.users.models import User

SYSTEM = SystemPrincipal()
DRAIN_PAGE = 100


def inbox_clock(inbox: Inbox) -> tuple[RoutingSettings, BusinessHours]:
    settings = routing_settings(inbox)
    return settings, BusinessHours.from_settings(settings.business_hours)


async def _auto_reply(
    session: AsyncSession,
    conversation: Conversation,
    text: str,
    quick_replies: list[dict[str, str]] | None = None,
) -> None:
    if text.strip():
        await append_message(
            session,
            conversation=conversation,
            kind="outgoing",
            actor=SYSTEM,
            text=text,
            quick_replies=quick_replies,
        )


async def _customer_text(session: AsyncSession, conversation_id: int) -> list[str]:
    rows = await session.scalars(
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.kind == "incoming")
        .order_by(Message.seq.desc())
        .limit(20)
    )
    return list(reversed(list(rows)))


def _match_topic(settings: RoutingSettings, text: str) -> str | None:
    """The topic a customer's reply names: its key or its label in either language."""
    answer = fold(text).strip()
    for topic in settings.topics:
        names = {topic.key, topic.label.zh_tw, topic.label.en}
        if answer in {fold(n).strip() for n in names if n}:
            return topic.key
    return None


def _set_sla_dues(
    conversation: Conversation, settings: RoutingSettings, hours: BusinessHours
) -> None:
    start = conversation.waiting_since or conversation.created_at
    if conversation.first_reply_at is None:
        conversation.first_response_due_at = sla.due_at(
            settings.sla, hours, priority=conversation.priority, kind="first_response", start=start
        )
    conversation.resolution_due_at = sla.due_at(
        settings.sla,
        hours,
        priority=conversation.priority,
        kind="resolution",
        start=conversation.created_at,
    )


async def _lock_conversation(session: AsyncSession, conversation_id: int) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
        .with_for_update(of=Conversation)
        .execution_options(populate_existing=True)
    )


async def do_route_conversation(session: AsyncSession, *, conversation_id: int) -> bool:
    """The routing step, run by the dispatcher after the customer's first message (or the
    message that reopened the conversation, or the answer to the topic question): automatic
    replies, topic, rules (team, tags, priority, skills), SLA due times, then the queue and, if
    nobody is ahead and an agent is free, the assignment. False if there was nothing to do."""
    conversation = await _lock_conversation(session, conversation_id)
    if conversation is None or conversation.routing_state in ("routed", "bot"):
        return False
    if conversation.status == "resolved":
        conversation.routing_state = "routed"
        return False
    if conversation.status == "snoozed":
        return False  # routed when it wakes (conversations/snooze.py)
    inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    settings, hours = inbox_clock(inbox)
    now = utcnow()
    locale = inbox.locale
    state = conversation.routing_state
    if state == "new" and bot_enabled(inbox):
        # The FAQ bot answers first (kefu.bot); it hands over through route_after_bot.
        enter_bot_phase(session, conversation)
        send_event_on_commit(session, events.conversation_changed(conversation))
        return True
    conversation.routing_state = "routed"

    if state == "reopened":
        preferred = await session.scalar(
            select(Message.sender_user_id)
            .where(
                Message.conversation_id == conversation.id,
                Message.kind == "outgoing",
                Message.sender_user_id.is_not(None),
            )
            .order_by(Message.seq.desc())
            .limit(1)
        )
        conversation.resolution_due_at = sla.due_at(
            settings.sla, hours, priority=conversation.priority, kind="resolution", start=now
        )
        await enqueue(session, conversation=conversation, inbox=inbox, hours=hours)
        await _assign_if_first(session, conversation, inbox, settings, preferred)
        send_event_on_commit(session, events.conversation_changed(conversation))
        return True

    texts = await _customer_text(session, conversation.id)
    if state == "new" and settings.greeting_enabled:
        await _auto_reply(session, conversation, settings.auto_replies.greeting.pick(locale))
    if state == "awaiting_topic" and texts:
        conversation.topic = _match_topic(settings, texts[-1])
    elif settings.topics and conversation.topic is None:
        # Channels without a pre-chat form get the same choice as quick replies.
        choices = [
            {"label": t.label.pick(locale) or t.key, "value": t.key} for t in settings.topics
        ]
        await _auto_reply(
            session, conversation, settings.auto_replies.topic_question.pick(locale), choices
        )
        conversation.routing_state = "awaiting_topic"
        send_event_on_commit(session, events.conversation_changed(conversation))
        return True

    await _rules_and_queue(session, conversation, inbox, settings, hours, texts)
    send_event_on_commit(session, events.conversation_changed(conversation))
    return True


async def route_after_bot(
    session: AsyncSession,
    *,
    conversation: Conversation,
    inbox: Inbox,
    quiet: bool = False,
    urgent: bool = False,
    preferred: int | None = None,
) -> None:
    """The bot hands over (kefu.bot): the routing step of a new conversation without the
    greeting and topic question (the bot spoke already). `quiet`: no outside-hours or queued
    reply (the bot, or an agent, already told the customer); `urgent`: priority at least high;
    `preferred`: the agent who replied during the bot phase gets it if they can."""
    settings, hours = inbox_clock(inbox)
    texts = await _customer_text(session, conversation.id)
    await _rules_and_queue(
        session,
        conversation,
        inbox,
        settings,
        hours,
        texts,
        quiet=quiet,
        urgent=urgent,
        preferred=preferred,
    )


async def _rules_and_queue(
    session: AsyncSession,
    conversation: Conversation,
    inbox: Inbox,
    settings: RoutingSettings,
    hours: BusinessHours,
    texts: list[str],
    *,
    quiet: bool = False,
    urgent: bool = False,
    preferred: int | None = None,
) -> None:
    """Rules, team, SLA, outside-hours reply, the queue and, if possible, the assignment."""
    now = utcnow()
    locale = inbox.locale
    inside = is_open(hours, now)
    facts = RoutingFacts(
        inbox_id=inbox.id,
        channel=inbox.channel_type,
        text="\n".join(texts),
        contact_attributes=dict(conversation.contact.attributes or {}),
        inside_business_hours=inside,
        topic=conversation.topic,
    )
    decision = apply_rules(await enabled_rules(session=session), facts)
    topic = settings.topic(conversation.topic)
    team_id = decision.team_id or (topic.team_id if topic else None) or conversation.team_id
    if team_id is not None and await session.get(Team, team_id) is None:
        team_id = inbox.team_id  # the rule's team was deleted
    conversation.team_id = team_id
    if decision.priority:
        conversation.priority = decision.priority
    if urgent and conversation.priority in ("normal", "low"):
        conversation.priority = "high"  # an upset customer (kefu.bot)
    await add_rule_tags(session, conversation, decision.tags)  # and into the tag catalogue
    conversation.required_skills = decision.skills
    _set_sla_dues(conversation, settings, hours)
    if decision.rule_ids or topic is not None:
        team = await session.get(Team, team_id) if team_id is not None else None
        await append_message(
            session,
            conversation=conversation,
            kind="activity",
            actor=SYSTEM,
            activity={
                "type": "routed",
                "team": team.name if team else None,
                "topic": conversation.topic,
                "priority": conversation.priority,
                "tags": decision.tags,
                "skills": decision.skills,
                "rule_ids": decision.rule_ids,
            },
        )

    if not inside and settings.outside_hours_reply_enabled and not quiet:
        opens = next_open(hours, now)
        when = format_next_open(opens, hours, locale) if opens else ""
        await _auto_reply(
            session,
            conversation,
            fill(settings.auto_replies.outside_hours.pick(locale), next_open=when),
        )
    await enqueue(session, conversation=conversation, inbox=inbox, hours=hours)
    assigned = await _assign_if_first(session, conversation, inbox, settings, preferred)
    if not assigned and inside and settings.queued_reply_enabled and not quiet:
        await _queued_reply(session, conversation, inbox, settings, locale)


async def _queued_reply(
    session: AsyncSession,
    conversation: Conversation,
    inbox: Inbox,
    settings: RoutingSettings,
    locale: str,
) -> None:
    ahead = await count_ahead(session, conversation)
    slots = await online_slots(session, conversation, settings.max_conversations_per_agent)
    handle = await average_handle_seconds(session=session, inbox_id=inbox.id)
    minutes = describe_wait(ahead, slots, handle)
    replies = settings.auto_replies
    template = (replies.queued if minutes is not None else replies.queued_no_estimate).pick(locale)
    text = fill(
        template,
        queue_number=conversation.queue_number or "",
        position=ahead + 1,
        wait_minutes=minutes if minutes is not None else "",
    )
    await _auto_reply(session, conversation, text)


async def _assign_if_first(
    session: AsyncSession,
    conversation: Conversation,
    inbox: Inbox,
    settings: RoutingSettings,
    preferred: int | None,
) -> bool:
    """Assign a just-queued conversation at once if nobody waits ahead of it (else the drain
    serves the queue in order) and an online agent has room."""
    if not settings.auto_assign or await count_ahead(session, conversation) > 0:
        return False
    agents = await agent_snapshots(session=session)
    return await _try_candidates(session, conversation, settings, agents, preferred)


async def _try_candidates(
    session: AsyncSession,
    conversation: Conversation,
    settings: RoutingSettings,
    agents: list[AgentSnapshot],
    preferred: int | None,
) -> bool:
    default = settings.max_conversations_per_agent
    ranked = choose_agent(
        agents,
        as_waiting(conversation),
        policy=settings.policy,
        inbox_default=default,
        preferred_user_id=preferred,
    )
    for agent in ranked:
        user = await session.get(User, agent.user_id)
        if user is None:
            continue
        if await try_assign(
            session,
            conversation=conversation,
            agent=user,
            actor=SYSTEM,
            capacity=agent.capacity(default),
            require_online=True,
            how="auto",
        ):
            end_bot_phase(conversation, "assigned")  # queued after hours while collecting
            return True
        agent.load = agent.capacity(default)  # full after all: skip it for the rest
    return False


async def do_assign_next(session: AsyncSession, *, inbox_ids: list[int] | None = None) -> bool:
    """One assignment decision: the first waiting conversation, in queue order, that an online
    agent with room can serve goes to the best such agent. False if nothing can be assigned.

    Conversations another node is assigning right now are skipped (SKIP LOCKED), not waited
    for; that node serves them."""
    agents = await agent_snapshots(session=session)
    if not agents:
        return False
    wanted = set().union(*(a.inbox_ids for a in agents))
    if inbox_ids is not None:
        wanted &= set(inbox_ids)
    inboxes = {i.id: i for i in await session.scalars(select(Inbox).where(Inbox.id.in_(wanted)))}
    settings = {iid: routing_settings(i) for iid, i in inboxes.items()}
    auto = [iid for iid, s in settings.items() if s.auto_assign]

    def room(agent: AgentSnapshot) -> frozenset[int]:
        """The auto-assigning inboxes where this agent has room now."""
        return frozenset(
            i
            for i in agent.inbox_ids
            if i in auto and agent.has_room(settings[i].max_conversations_per_agent)
        )

    free = [a for a in agents if room(a)]
    if not free:
        return False
    reach = reaches(free, room)
    after: WaitingConversation | None = None
    while page := await waiting_conversations(
        session=session, reach=reach, limit=DRAIN_PAGE, after=after
    ):
        for waiting in page:
            inbox_settings = settings[waiting.inbox_id]
            if not choose_agent(
                free,
                waiting,
                policy=inbox_settings.policy,
                inbox_default=inbox_settings.max_conversations_per_agent,
            ):
                continue
            conversation = await session.scalar(
                select(Conversation)
                .where(
                    Conversation.id == waiting.id,
                    Conversation.queued_at.is_not(None),
                    Conversation.assignee_id.is_(None),
                    Conversation.status != "resolved",
                )
                .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
                .with_for_update(of=Conversation, skip_locked=True)
                .execution_options(populate_existing=True)
            )
            if conversation is None:
                continue  # taken, or being assigned by another node
            if await _try_candidates(session, conversation, inbox_settings, free, None):
                return True
        after = page[-1]
    return False


async def do_take_conversation(
    session: AsyncSession, *, actor: AgentPrincipal, conversation: Conversation
) -> Conversation:
    """An agent takes a waiting conversation for themselves (if the inbox allows it), within
    their capacity."""
    inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    settings = routing_settings(inbox)
    if actor.user.role == "agent" and not settings.agents_can_take:
        raise PermissionDenied(
            "Agents may not take conversations from this inbox's queue.", code="take_not_allowed"
        )
    if conversation.assignee_id == actor.user_id:
        return conversation
    if conversation.assignee_id is not None:
        raise Conflict("Someone else already has this conversation.", code="already_assigned")
    if conversation.status == "resolved":
        raise Conflict("This conversation is resolved.", code="conversation_resolved")
    await _require_member(session, conversation.inbox_id, actor.user)
    state = await lock_agent_state(session, actor.user_id)
    capacity = capacity_for(state.max_conversations, settings)
    if not await try_assign(
        session,
        conversation=conversation,
        agent=actor.user,
        actor=actor,
        capacity=capacity,
        require_online=False,
        how="take",
    ):
        raise Conflict(
            f"You already have {capacity} open conversations, your limit.",
            code="at_capacity",
            name="您",
            capacity=capacity,
        )
    if end_bot_phase(conversation, "assigned"):
        send_event_on_commit(session, events.conversation_changed(conversation))
    return conversation


async def _require_member(session: AsyncSession, inbox_id: int, user: User) -> None:
    if not user.is_active:
        raise InvalidInput("No such active user.", code="unknown_user")
    if user.role != "admin" and await session.get(InboxMember, (inbox_id, user.id)) is None:
        raise InvalidInput(
            "That agent is not a member of this inbox.", code="assignee_not_in_inbox"
        )


async def do_transfer_conversation(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    assignee_id: int | None = None,
    team_id: int | None = None,
    note: str | None = None,
    force: bool = False,
) -> Conversation:
    """Hand a conversation to an agent, or to a team (it joins that team's queue), with an
    optional note. Supervisors and admins may transfer any conversation and may `force` past an
    agent's capacity; an agent may transfer only an unassigned conversation or their own. The
    history stays; an activity line records who, to whom, and why."""
    is_lead = actor.user.role in ("admin", "supervisor")
    if not is_lead and conversation.assignee_id not in (None, actor.user_id):
        raise PermissionDenied(
            "Only supervisors can transfer a colleague's conversation.",
            code="not_your_conversation",
        )
    if force and not is_lead:
        raise PermissionDenied(
            "Only supervisors can assign past capacity.", code="force_not_allowed"
        )
    if (assignee_id is None) == (team_id is None):
        raise InvalidInput("Give an agent or a team.", code="transfer_target")
    note = (note or "").strip()[:1000] or None
    end_bot_phase(conversation, "transferred")  # a failure below rolls this back too
    inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    settings, hours = inbox_clock(inbox)
    if assignee_id is not None:
        user = await session.get(User, assignee_id)
        if user is None:
            raise InvalidInput("No such active user.", code="unknown_user")
        await _require_member(session, conversation.inbox_id, user)
        if user.id == conversation.assignee_id:
            return conversation
        state = await lock_agent_state(session, user.id)
        capacity = None if force else capacity_for(state.max_conversations, settings)
        if not await try_assign(
            session,
            conversation=conversation,
            agent=user,
            actor=actor,
            capacity=capacity,
            require_online=False,
            how="transfer",
            note=note,
        ):
            raise Conflict(
                f"{user.name} is at their limit of {capacity}.",
                code="at_capacity",
                name=user.name,
                capacity=capacity,
            )
        return conversation
    team = await session.get(Team, team_id)
    if team is None:
        raise InvalidInput("Unknown team.", code="unknown_team")
    previous = conversation.assignee
    conversation.team_id = team.id
    await unassign_to_queue(session, conversation, inbox, hours)
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={
            "type": "transferred",
            "by": actor.user.name,
            "from": previous.name if previous else None,
            "team": team.name,
            "note": note,
        },
    )
    send_event_on_commit(session, events.conversation_changed(conversation))
    return conversation


async def unassign_to_queue(
    session: AsyncSession,
    conversation: Conversation,
    inbox: Inbox,
    hours: BusinessHours,
    *,
    arrival: datetime | None = None,
) -> None:
    conversation.assignee_id = None
    set_committed_value(conversation, "assignee", None)
    if conversation.status not in ("resolved", "snoozed"):  # snoozed: it queues when it wakes
        await enqueue(session, conversation=conversation, inbox=inbox, hours=hours, arrival=arrival)


async def do_set_priority(
    session: AsyncSession, *, actor: AgentPrincipal, conversation: Conversation, priority: str
) -> Conversation:
    if priority == conversation.priority:
        return conversation
    inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    settings, hours = inbox_clock(inbox)
    previous = conversation.priority
    conversation.priority = priority
    _set_sla_dues(conversation, settings, hours)
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={
            "type": "priority_changed",
            "from": previous,
            "to": priority,
            "by": actor.user.name,
        },
    )
    if conversation.queued_at is not None:
        request_routing_on_commit(session, conversation.inbox_id)  # its place in the queue moved
    send_event_on_commit(session, events.conversation_changed(conversation))
    return conversation
