"""Checking a note's @mentions before it is stored.

A mention names a user or a team by id ({"type": "user" | "team", "id": ..}); the note's text
keeps a readable "@Name". Only internal notes mention (never a reply to the customer). A user who
cannot see the conversation, an inactive or unknown user, an unknown team: a 4xx, nothing
stored. A team mention reaches those of its members who can see the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.conversations.models import Conversation
from kefu.errors import InvalidInput
from kefu.notifications.queries import can_see, users_who_see
from kefu.notifications.schemas import MentionIn
from kefu.teams.models import Team, TeamMember
from kefu.users.models import User


@dataclass
class CheckedMentions:
    stored: list[dict[str, Any]] = field(default_factory=list)  # what the message keeps
    user_ids: set[int] = field(default_factory=set)  # who is notified


async def check_mentions(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    mentions: Sequence[MentionIn],
    private: bool,
) -> CheckedMentions:
    checked = CheckedMentions()
    if not mentions:
        return checked
    if not private:
        raise InvalidInput(
            "Mentions are only for internal notes, never for the customer.",
            code="mention_in_reply",
        )
    wanted = list(dict.fromkeys((m.type, m.id) for m in mentions))
    user_ids = [i for kind, i in wanted if kind == "user"]
    team_ids = [i for kind, i in wanted if kind == "team"]
    users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(user_ids)))}
    for user_id in user_ids:
        user = users.get(user_id)
        if user is None or not user.is_active:
            raise InvalidInput("Mentioned user not found.", code="unknown_user")
        if not await can_see(session=session, user=user, conversation_id=conversation.id):
            raise InvalidInput(
                f"{user.name} cannot see this conversation.",
                code="mention_not_visible",
                name=user.name,
            )
        checked.user_ids.add(user.id)
    if team_ids:
        teams = set(await session.scalars(select(Team.id).where(Team.id.in_(team_ids))))
        if len(teams) != len(team_ids):
            raise InvalidInput("Mentioned team not found.", code="unknown_team")
        members = await session.scalars(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id.in_(team_ids), User.is_active.is_(True))
        )
        seeing = await users_who_see(
            session=session, conversation_id=conversation.id, users=set(members)
        )
        checked.user_ids.update(u.id for u in seeing)
    checked.stored = [{"type": kind, "id": i} for kind, i in wanted]
    return checked
