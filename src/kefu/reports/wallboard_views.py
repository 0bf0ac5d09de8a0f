"""GET /api/v1/reports/wallboard: the live board, for every signed-in staff member over the
inboxes they belong to (admins: all). Agents see the board too (a team's TV shows the same
queue to everyone), but other agents' loads only as counts, as on /agents/status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.reports.filters import zone
from kefu.reports.wallboard import WallboardOut, wallboard

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("/wallboard", response_model=WallboardOut)
async def get_wallboard(
    actor: Agent,
    runtime: RuntimeDep,
    tz: Annotated[str, Query(min_length=1, max_length=64)] = "UTC",
) -> WallboardOut:
    """Waiting conversations and the longest wait (per inbox too), open and unassigned
    conversations, agents' presence and load, and SLA breaches since local midnight in `tz`."""
    async with runtime.db.read() as session:
        return await wallboard(session=session, actor=actor, tz=zone(tz))
