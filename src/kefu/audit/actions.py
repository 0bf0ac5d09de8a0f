"""Audit entries are written by the admin actions, inside their own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.models import AuditEntry


def record_audit(
    session: AsyncSession,
    *,
    actor_user_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            actor_user_id=actor_user_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )
    )
