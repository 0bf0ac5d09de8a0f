from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.errors import NotFound, PermissionDenied
from kefu.users.models import ApiToken, User


async def get_user(*, session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_email(*, session: AsyncSession, email: str) -> User | None:
    result = await session.execute(select(User).where(func.lower(User.email) == email.lower()))
    return result.scalar_one_or_none()


async def get_user_by_token_hash(*, session: AsyncSession, token_hash: str) -> User | None:
    result = await session.execute(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, User.is_active.is_(True))
    )
    return result.scalar_one_or_none()


async def list_users(*, session: AsyncSession, actor: AgentPrincipal) -> Sequence[User]:
    """Every agent may see the roster (to assign and @mention); only admins change it."""
    result = await session.execute(select(User).order_by(User.id))
    return result.scalars().all()


async def access_user(*, session: AsyncSession, actor: AgentPrincipal, user_id: int) -> User:
    if not actor.is_admin and actor.user_id != user_id:
        raise PermissionDenied("Only admins can manage other users.")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


async def list_api_tokens(*, session: AsyncSession, actor: AgentPrincipal) -> Sequence[ApiToken]:
    result = await session.execute(
        select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id)
    )
    return result.scalars().all()
