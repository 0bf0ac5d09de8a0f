"""How many chats an agent takes at once, for the staffing advice: the agents in the report's
scope (members of its inboxes, of its team or the supervisor's teams) and their capacity, their
own limit (agent_states.max_conversations) or else the inbox's default
(routing settings max_conversations_per_agent)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.inboxes.models import Inbox, InboxMember
from kefu.reports.filters import ReportFilters
from kefu.routing.models import AgentState
from kefu.routing.settings import RoutingSettings, routing_settings
from kefu.teams.models import TeamMember
from kefu.users.models import User

CapacitySource = Literal["agents", "inbox_default", "override"]


@dataclass(frozen=True, slots=True)
class ScopeCapacity:
    used: int  # chats per agent the advice assumes
    average: float | None  # the mean capacity of the agents in scope (None: no agents)
    agents: int  # agents in scope who take chats (capacity ≥ 1)
    inbox_default: int
    source: CapacitySource


def nearest_whole(value: float) -> int:
    """Erlang counts whole servers: the nearest whole number, a tie rounded down (2.5 -> 2),
    at least one. Down on a tie errs on the side of more staff."""
    return max(1, math.ceil(value - 0.5))


async def scope_capacity(
    *, session: AsyncSession, filters: ReportFilters, override: int | None = None
) -> ScopeCapacity:
    inbox_query = select(Inbox)
    if filters.inbox_id is not None:
        inbox_query = inbox_query.where(Inbox.id == filters.inbox_id)
    if filters.channel is not None:
        inbox_query = inbox_query.where(Inbox.channel_type == filters.channel)
    inboxes = list(await session.scalars(inbox_query))
    defaults = [routing_settings(inbox).max_conversations_per_agent for inbox in inboxes]
    if not defaults:
        defaults = [RoutingSettings().max_conversations_per_agent]
    default = nearest_whole(sum(defaults) / len(defaults))

    agents = (
        select(User.id, AgentState.max_conversations)
        .outerjoin(AgentState, AgentState.user_id == User.id)
        .where(
            User.is_active.is_(True),
            User.id.in_(
                select(InboxMember.user_id).where(
                    InboxMember.inbox_id.in_([inbox.id for inbox in inboxes])
                )
            ),
        )
    )
    if filters.team_id is not None:
        agents = agents.where(
            User.id.in_(select(TeamMember.user_id).where(TeamMember.team_id == filters.team_id))
        )
    if filters.team_ids is not None:
        agents = agents.where(
            User.id.in_(
                select(TeamMember.user_id).where(TeamMember.team_id.in_(sorted(filters.team_ids)))
            )
        )
    if filters.agent_id is not None:
        agents = agents.where(User.id == filters.agent_id)
    limits = [own if own is not None else default for _, own in await session.execute(agents)]
    takers = [limit for limit in limits if limit >= 1]  # 0: takes no new chats: not staff here
    average = sum(takers) / len(takers) if takers else None
    if override is not None:
        return ScopeCapacity(override, average, len(takers), default, "override")
    if average is None:
        return ScopeCapacity(default, None, 0, default, "inbox_default")
    return ScopeCapacity(nearest_whole(average), average, len(takers), default, "agents")
