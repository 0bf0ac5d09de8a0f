from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.errors import NotFound
from kefu.teams.models import Team, TeamMember


async def list_teams(*, session: AsyncSession) -> Sequence[Team]:
    return (await session.execute(select(Team).order_by(Team.id))).scalars().all()


async def team_member_ids(
    *, session: AsyncSession, team_ids: Sequence[int]
) -> dict[int, list[int]]:
    rows = await session.execute(
        select(TeamMember.team_id, TeamMember.user_id).where(TeamMember.team_id.in_(team_ids))
    )
    members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    for team_id, user_id in rows:
        members[team_id].append(user_id)
    return members


async def access_team(*, session: AsyncSession, team_id: int) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound("Team not found.")
    return team
