"""Who may take a conversation and who gets it: pure functions over snapshots.

The database re-checks the winner's capacity under a row lock (routing/assignment.py); these
functions only decide whom to try first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass
class AgentSnapshot:
    user_id: int
    load: int  # unresolved conversations assigned to the agent, across all inboxes
    max_conversations: int | None  # the agent's own limit; None: the inbox's default
    last_assigned_at: datetime | None
    skills: frozenset[str]
    inbox_ids: frozenset[int]
    team_ids: frozenset[int]

    def capacity(self, inbox_default: int) -> int:
        return self.max_conversations if self.max_conversations is not None else inbox_default

    def has_room(self, inbox_default: int) -> bool:
        return self.load < self.capacity(inbox_default)


@dataclass(frozen=True)
class WaitingConversation:
    id: int
    inbox_id: int
    team_id: int | None
    required_skills: frozenset[str]
    priority: str
    queued_at: datetime


def can_serve(agent: AgentSnapshot, conversation: WaitingConversation) -> bool:
    """Member of the inbox, of the conversation's team (if it has one), with every skill."""
    return (
        conversation.inbox_id in agent.inbox_ids
        and (conversation.team_id is None or conversation.team_id in agent.team_ids)
        and conversation.required_skills <= agent.skills
    )


def choose_agent(
    agents: list[AgentSnapshot],
    conversation: WaitingConversation,
    *,
    policy: str,
    inbox_default: int,
    preferred_user_id: int | None = None,
) -> list[AgentSnapshot]:
    """The agents who can take the conversation now, best first.

    balanced: fewest open conversations; ties to whoever has waited longest since their last
    assignment (then the lower id, for a stable order). round_robin: whoever has waited longest
    since their last assignment, whatever their load. A preferred agent (the one who served a
    reopened conversation) goes first when eligible.
    """
    eligible = [a for a in agents if can_serve(a, conversation) and a.has_room(inbox_default)]
    if policy == "round_robin":
        eligible.sort(key=lambda a: (a.last_assigned_at or _NEVER, a.user_id))
    else:
        eligible.sort(key=lambda a: (a.load, a.last_assigned_at or _NEVER, a.user_id))
    if preferred_user_id is not None:
        eligible.sort(key=lambda a: a.user_id != preferred_user_id)  # stable: keeps the rest
    return eligible


def queue_key(
    priority: str, queued_at: datetime, conversation_id: int
) -> tuple[int, datetime, int]:
    """Queue order: priority (urgent first), then arrival, then id (a total order)."""
    return (PRIORITY_RANK.get(priority, 2), queued_at, conversation_id)


def estimate_wait_seconds(
    ahead: int, free_or_busy_slots: int, average_handle_seconds: float
) -> float | None:
    """Expected wait for a customer with `ahead` people in front: the slots of the online agents
    who can serve them free up, on average, every `average_handle_seconds / slots`; None if no
    agent is online (nobody can say when one will be)."""
    if free_or_busy_slots <= 0:
        return None
    return (ahead + 1) * average_handle_seconds / free_or_busy_slots
