"""API models of the routing domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kefu.bounds import Id
from kefu.routing.rules import Priority, RuleActions, RuleConditions

Presence = Literal["online", "busy", "away", "offline"]
Skill = Annotated[str, Field(min_length=1, max_length=50)]


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    presence: Presence


class AgentStatusOut(BaseModel):
    """An agent's presence; load and capacity are shown to supervisors, admins and the agent."""

    user_id: int
    name: str
    role: str
    presence: Presence
    load: int | None
    max_conversations: int | None
    skills: list[str]
    last_assigned_at: datetime | None


class AgentRoutingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # None: the inbox's default capacity applies.
    max_conversations: int | None = Field(default=None, ge=0, le=100)
    skills: list[Skill] = Field(default_factory=list, max_length=30)


class QueueItemOut(BaseModel):
    conversation_id: int
    inbox_id: int
    team_id: int | None
    contact_id: int
    contact_name: str
    queue_number: int | None
    priority: Priority
    position: int
    queued_at: datetime
    wait_seconds: float
    preview: str


class TransferIn(BaseModel):
    """To an agent (assignee_id) or to a team's queue (team_id): exactly one."""

    model_config = ConfigDict(extra="forbid")

    assignee_id: Id | None = None
    team_id: Id | None = None
    note: str | None = Field(default=None, max_length=1000)
    # Supervisors only: assign past the agent's capacity.
    force: bool = False


class PriorityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: Priority


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    conditions: RuleConditions = RuleConditions()
    actions: RuleActions = RuleActions()


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    enabled: bool | None = None
    conditions: RuleConditions | None = None
    actions: RuleActions | None = None


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    position: int
    enabled: bool
    conditions: RuleConditions
    actions: RuleActions


class RuleOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule_ids: list[Id] = Field(max_length=500)


class SlaBreachOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    inbox_id: int
    kind: Literal["first_response", "next_response", "resolution"]
    due_at: datetime
    breached_at: datetime
