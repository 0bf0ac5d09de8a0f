"""Role checks shared by every domain's actions."""

from __future__ import annotations

from kefu.auth.principals import AgentPrincipal, Principal, SystemPrincipal
from kefu.errors import PermissionDenied


def require_admin(actor: Principal) -> None:
    """Admins and the system (CLI, demo set-up) may administer; nobody else."""
    if isinstance(actor, SystemPrincipal):
        return
    if isinstance(actor, AgentPrincipal) and actor.is_admin:
        return
    raise PermissionDenied("Only admins can do this.")


def actor_user_id(actor: Principal) -> int | None:
    return actor.user_id if isinstance(actor, AgentPrincipal) else None
