"""Bulk actions on a selection of conversations: assign, tags, status (resolve, reopen, pending),
snooze, priority.

Each conversation is its own transaction and goes through the same action as a single change,
so it is checked the same way (access_conversation: one not visible to the agent is reported
`not_found` and left untouched), leaves the same activity line and sends the same events. One
failing item never undoes the others; the answer says, per item, ok or the error code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.bounds import Id
from kefu.conversations.actions import do_assign_conversation, do_set_conversation_status
from kefu.conversations.models import Conversation
from kefu.conversations.queries import access_conversation
from kefu.conversations.schemas import Priority, SettableStatus
from kefu.conversations.snooze import do_snooze_conversation
from kefu.db import Database
from kefu.errors import KefuError
from kefu.routing.actions import do_set_priority
from kefu.tags.actions import do_change_conversation_tags

log = logging.getLogger(__name__)
MAX_BULK = 100


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignChange(_Change):
    type: Literal["assign"]
    assignee_id: Id | None


class TagsChange(_Change):
    type: Literal["tags"]
    add: list[str] = Field(default_factory=list, max_length=30)
    remove: list[str] = Field(default_factory=list, max_length=30)


class StatusChange(_Change):
    type: Literal["status"]
    status: SettableStatus


class SnoozeChange(_Change):
    type: Literal["snooze"]
    until: datetime | None = None


class PriorityChange(_Change):
    type: Literal["priority"]
    priority: Priority


BulkChange = Annotated[
    AssignChange | TagsChange | StatusChange | SnoozeChange | PriorityChange,
    Field(discriminator="type"),
]


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_ids: list[Id] = Field(min_length=1, max_length=MAX_BULK)
    action: BulkChange


@dataclass(frozen=True)
class BulkOutcome:
    conversation_id: int
    error: KefuError | None  # None: done (or nothing to change)


async def _apply(
    session: AsyncSession, actor: AgentPrincipal, conversation: Conversation, change: BulkChange
) -> None:
    if isinstance(change, AssignChange):
        await do_assign_conversation(
            session, actor=actor, conversation=conversation, assignee_id=change.assignee_id
        )
    elif isinstance(change, TagsChange):
        await do_change_conversation_tags(
            session, actor=actor, conversation=conversation, add=change.add, remove=change.remove
        )
    elif isinstance(change, StatusChange):
        await do_set_conversation_status(
            session, actor=actor, conversation=conversation, status=change.status
        )
    elif isinstance(change, SnoozeChange):
        await do_snooze_conversation(
            session, actor=actor, conversation=conversation, until=change.until
        )
    else:
        await do_set_priority(
            session, actor=actor, conversation=conversation, priority=change.priority
        )


async def do_bulk_change(
    db: Database, *, actor: AgentPrincipal, conversation_ids: list[int], change: BulkChange
) -> list[BulkOutcome]:
    """Apply `change` to each conversation (repeats ignored), one transaction each."""
    outcomes: list[BulkOutcome] = []
    for conversation_id in dict.fromkeys(conversation_ids):
        try:
            async with db.write() as session:
                conversation = await access_conversation(
                    session=session, actor=actor, conversation_id=conversation_id
                )
                await _apply(session, actor, conversation, change)
        except KefuError as exc:
            outcomes.append(BulkOutcome(conversation_id, exc))
        except Exception:  # one broken item must not hide what happened to the others
            log.exception("bulk change of conversation %s failed", conversation_id)
            outcomes.append(
                BulkOutcome(
                    conversation_id, KefuError("Something went wrong.", code="internal_error")
                )
            )
        else:
            outcomes.append(BulkOutcome(conversation_id, None))
    return outcomes
