from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import Principal
from kefu.errors import Conflict, InvalidInput
from kefu.events import types
from kefu.events.bus import send_event_on_commit
from kefu.events.types import Event
from kefu.teams.models import Team, TeamMember
from kefu.users.models import User


async def check_user_ids(session: AsyncSession, user_ids: Sequence[int]) -> list[int]:
    """De-duplicate and make sure every id names an existing user."""
    wanted = sorted(set(user_ids))
    if wanted:
        found = await session.scalar(select(func.count()).where(User.id.in_(wanted)))
        if found != len(wanted):
            raise InvalidInput("Unknown user id in member list.", code="unknown_user")
    return wanted


async def do_create_team(
    session: AsyncSession,
    *,
    actor: Principal,
    name: str,
    description: str = "",
    member_ids: Sequence[int] = (),
) -> Team:
    require_admin(actor)
    team = Team(name=name.strip(), description=description)
    session.add(team)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("A team with this name already exists.", code="team_name_taken") from exc
    await _set_members(session, team, member_ids)
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="team.created",
        target_type="team",
        target_id=team.id,
        name=team.name,
    )
    return team


async def do_update_team(
    session: AsyncSession,
    *,
    actor: Principal,
    team: Team,
    name: str | None = None,
    description: str | None = None,
    member_ids: Sequence[int] | None = None,
) -> Team:
    require_admin(actor)
    if name is not None:
        team.name = name.strip()
    if description is not None:
        team.description = description
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("A team with this name already exists.", code="team_name_taken") from exc
    if member_ids is not None:
        await _set_members(session, team, member_ids)
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="team.updated",
        target_type="team",
        target_id=team.id,
        name=name,
        member_ids=list(member_ids) if member_ids is not None else None,
    )
    return team


async def _set_members(session: AsyncSession, team: Team, member_ids: Sequence[int]) -> None:
    wanted = await check_user_ids(session, member_ids)
    await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    session.add_all(TeamMember(team_id=team.id, user_id=uid) for uid in wanted)
    await session.flush()
    # Open consoles in `own`-visibility inboxes see their teams' conversations: they follow this.
    send_event_on_commit(
        session,
        Event(
            type=types.TEAM_CHANGED,
            inbox_id=None,
            agent={"type": types.TEAM_CHANGED, "team_id": team.id, "member_ids": list(wanted)},
        ),
    )
