"""Writers for users and API tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.actions import record_audit
from kefu.auth.passwords import hash_password
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import AgentPrincipal, Principal
from kefu.auth.tokens import hash_api_token, new_api_token
from kefu.errors import Conflict, NotFound, PermissionDenied
from kefu.users.models import ApiToken, User
from kefu.users.queries import get_user_by_email


async def do_create_user(
    session: AsyncSession,
    *,
    actor: Principal,
    email: str,
    name: str,
    password: str,
    role: str = "agent",
    locale: str = "zh-TW",
) -> User:
    require_admin(actor)
    if await get_user_by_email(session=session, email=email) is not None:
        raise Conflict("A user with this email already exists.", code="email_taken")
    user = User(
        email=email.strip().lower(),
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        locale=locale,
        is_active=True,
        session_epoch=0,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("A user with this email already exists.", code="email_taken") from exc
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="user.created",
        target_type="user",
        target_id=user.id,
        email=user.email,
        role=role,
    )
    return user


async def do_update_user(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    user: User,
    name: str | None = None,
    role: str | None = None,
    locale: str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> User:
    is_self = actor.user_id == user.id
    if not actor.is_admin and (not is_self or role is not None or is_active is not None):
        raise PermissionDenied("Only admins can change roles or deactivate users.")
    if actor.is_admin and is_self and (role not in (None, "admin") or is_active is False):
        raise Conflict("Admins cannot demote or deactivate themselves.", code="self_lockout")
    changes: dict[str, object] = {}
    if name is not None:
        user.name = changes["name"] = name.strip()
    if role is not None:
        user.role = changes["role"] = role
    if locale is not None:
        user.locale = changes["locale"] = locale
    if is_active is not None:
        user.is_active = changes["is_active"] = is_active
    if password is not None:
        user.password_hash = hash_password(password)
        user.session_epoch += 1  # signs every existing session out
        changes["password"] = "changed"
    if not is_self or role is not None or is_active is not None:
        record_audit(
            session,
            actor_user_id=actor.user_id,
            action="user.updated",
            target_type="user",
            target_id=user.id,
            **changes,
        )
    return user


async def do_create_api_token(
    session: AsyncSession, *, actor: AgentPrincipal, name: str
) -> tuple[ApiToken, str]:
    token = new_api_token()
    row = ApiToken(
        user_id=actor.user_id, name=name, token_hash=hash_api_token(token), prefix=token[:9]
    )
    session.add(row)
    await session.flush()
    record_audit(
        session,
        actor_user_id=actor.user_id,
        action="api_token.created",
        target_type="api_token",
        target_id=row.id,
        name=name,
    )
    return row, token


async def do_delete_api_token(
    session: AsyncSession, *, actor: AgentPrincipal, token_id: int
) -> None:
    row = (
        await session.execute(
            select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == actor.user_id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("API token not found.")
    await session.delete(row)
    record_audit(
        session,
        actor_user_id=actor.user_id,
        action="api_token.deleted",
        target_type="api_token",
        target_id=token_id,
    )
