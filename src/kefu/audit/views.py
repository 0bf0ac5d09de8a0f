from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.audit.queries import list_audit_entries
from kefu.audit.schemas import AuditEntryOut, AuditPage
from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdQuery

router = APIRouter(prefix="/api/v1/audit-log", tags=["audit"])


@router.get("", response_model=AuditPage)
async def audit_log(
    actor: Agent,
    runtime: RuntimeDep,
    before_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    async with runtime.db.read() as session:
        rows, next_before = await list_audit_entries(
            session=session, actor=actor, before_id=before_id, limit=limit
        )
    return AuditPage(
        items=[AuditEntryOut.model_validate(r) for r in rows], next_before_id=next_before
    )
