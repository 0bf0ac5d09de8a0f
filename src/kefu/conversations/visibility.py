"""Who may see and answer which conversation: the inbox settings `agent_visibility` and
`reply_permission`, and the one place their rules are written down.

- `agent_visibility = "all"` (default): every member of the inbox sees all its conversations.
- `agent_visibility = "own"`: agents (role `agent`) see only the conversations assigned to them,
  to one of their teams, and the unassigned ones. Supervisors and admins still see all.
- `reply_permission = "anyone"` (default): anyone who sees a conversation may answer it.
- `reply_permission = "assignee"`: only the assignee, supervisors and admins may write to the
  customer; everyone who sees it may still add internal notes.

The same rule filters REST lists and lookups (`conversation_scope`, SQL), and live events
(`may_see`, in the hub), so a conversation never surfaces where it could not be opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from kefu.auth.principals import AgentPrincipal
from kefu.conversations.models import Conversation
from kefu.inboxes.models import Inbox, InboxMember
from kefu.teams.models import TeamMember

AgentVisibility = Literal["all", "own"]
ReplyPermission = Literal["anyone", "assignee"]
LEAD_ROLES = ("admin", "supervisor")


def agent_visibility(inbox_settings: dict[str, Any]) -> AgentVisibility:
    return "own" if inbox_settings.get("agent_visibility") == "own" else "all"


def reply_permission(inbox_settings: dict[str, Any]) -> ReplyPermission:
    return "assignee" if inbox_settings.get("reply_permission") == "assignee" else "anyone"


def may_see(
    *,
    user_id: int,
    team_ids: frozenset[int],
    assignee_id: int | None,
    team_id: int | None,
) -> bool:
    """In an `own`-visibility inbox: may this agent see a conversation with this owner?"""
    return assignee_id is None or assignee_id == user_id or team_id in team_ids


def may_reply(
    *, role: str, user_id: int, inbox_settings: dict[str, Any], assignee_id: int | None
) -> bool:
    if role in LEAD_ROLES or reply_permission(inbox_settings) == "anyone":
        return True
    return assignee_id == user_id


def user_may_see_sql(
    user_id: ColumnElement[int] | InstrumentedAttribute[int],
    role: ColumnElement[str] | InstrumentedAttribute[str],
) -> ColumnElement[bool]:
    """SQL twin of `may_see` for a user given by columns (a recipient list built in SQL), to be
    applied to conversations of `own`-visibility inboxes."""
    return or_(
        role.in_(LEAD_ROLES),
        Conversation.assignee_id.is_(None),
        Conversation.assignee_id == user_id,
        exists().where(TeamMember.team_id == Conversation.team_id, TeamMember.user_id == user_id),
    )


@dataclass(frozen=True)
class Viewer:
    """What an agent's visibility depends on. `inbox_ids` None: every inbox (admins)."""

    inbox_ids: frozenset[int] | None
    restricted_inbox_ids: frozenset[int]
    team_ids: frozenset[int]


async def load_viewer(
    *, session: AsyncSession, actor: AgentPrincipal, with_teams: bool = False
) -> Viewer:
    """`with_teams`: load the agent's teams even if no inbox is restricted yet (a live socket
    must follow an inbox that becomes restricted while it is open)."""
    if actor.is_admin:
        return Viewer(inbox_ids=None, restricted_inbox_ids=frozenset(), team_ids=frozenset())
    rows = (
        await session.execute(
            select(Inbox.id, Inbox.settings)
            .join(InboxMember, InboxMember.inbox_id == Inbox.id)
            .where(InboxMember.user_id == actor.user_id)
        )
    ).all()
    inbox_ids = frozenset(row[0] for row in rows)
    if actor.user.role in LEAD_ROLES:
        return Viewer(inbox_ids=inbox_ids, restricted_inbox_ids=frozenset(), team_ids=frozenset())
    restricted = frozenset(row[0] for row in rows if agent_visibility(row[1] or {}) == "own")
    teams: frozenset[int] = frozenset()
    if restricted or with_teams:
        teams = frozenset(
            await session.scalars(
                select(TeamMember.team_id).where(TeamMember.user_id == actor.user_id)
            )
        )
    return Viewer(inbox_ids=inbox_ids, restricted_inbox_ids=restricted, team_ids=teams)
