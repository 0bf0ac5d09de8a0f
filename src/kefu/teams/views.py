from __future__ import annotations

from fastapi import APIRouter

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdPath
from kefu.teams import actions, queries
from kefu.teams.schemas import TeamCreate, TeamOut, TeamUpdate

router = APIRouter(prefix="/api/v1/teams", tags=["teams"])


@router.get("", response_model=list[TeamOut])
async def list_teams(actor: Agent, runtime: RuntimeDep) -> list[TeamOut]:
    async with runtime.db.read() as session:
        teams = await queries.list_teams(session=session)
        members = await queries.team_member_ids(session=session, team_ids=[t.id for t in teams])
    return [
        TeamOut(id=t.id, name=t.name, description=t.description, member_ids=members[t.id])
        for t in teams
    ]


@router.post("", response_model=TeamOut, status_code=201)
async def create_team(body: TeamCreate, actor: Agent, runtime: RuntimeDep) -> TeamOut:
    async with runtime.db.write() as session:
        team = await actions.do_create_team(session, actor=actor, **body.model_dump())
        members = await queries.team_member_ids(session=session, team_ids=[team.id])
    return TeamOut(
        id=team.id, name=team.name, description=team.description, member_ids=members[team.id]
    )


@router.patch("/{team_id}", response_model=TeamOut)
async def update_team(
    team_id: IdPath, body: TeamUpdate, actor: Agent, runtime: RuntimeDep
) -> TeamOut:
    async with runtime.db.write() as session:
        team = await queries.access_team(session=session, team_id=team_id)
        team = await actions.do_update_team(
            session, actor=actor, team=team, **body.model_dump(exclude_unset=True)
        )
        members = await queries.team_member_ids(session=session, team_ids=[team.id])
    return TeamOut(
        id=team.id, name=team.name, description=team.description, member_ids=members[team.id]
    )
