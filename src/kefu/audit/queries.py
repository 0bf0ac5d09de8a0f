from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.models import AuditEntry
from kefu.auth.permissions import require_admin
from kefu.auth.principals import AgentPrincipal


async def list_audit_entries(
    *, session: AsyncSession, actor: AgentPrincipal, before_id: int | None, limit: int
) -> tuple[Sequence[AuditEntry], int | None]:
    """Newest first; admins only."""
    require_admin(actor)
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = list((await session.execute(query.limit(limit + 1))).scalars())
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit else None)
