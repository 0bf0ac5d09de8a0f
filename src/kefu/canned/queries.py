"""Reads of canned responses. An agent sees the shared ones and their own personal ones; another
agent's personal response does not exist for them (NotFound), admins included."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.canned.models import CannedResponse
from kefu.errors import NotFound


def _visible(actor: AgentPrincipal):  # type: ignore[no-untyped-def]
    return or_(CannedResponse.owner_id.is_(None), CannedResponse.owner_id == actor.user_id)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_canned(
    *,
    session: AsyncSession,
    actor: AgentPrincipal,
    scope: str | None = None,
    q: str | None = None,
    locale: str | None = None,
) -> Sequence[CannedResponse]:
    """The actor's personal responses first, then the shared ones, each by shortcut. `q`
    matches the shortcut, title or content (a substring, so Chinese needs no word breaks)."""
    query = select(CannedResponse).where(_visible(actor))
    if scope == "personal":
        query = query.where(CannedResponse.owner_id.is_not(None))
    elif scope == "shared":
        query = query.where(CannedResponse.owner_id.is_(None))
    if locale:
        query = query.where(CannedResponse.locale.in_(("", locale)))
    if q and q.strip():
        pattern = _like(q.strip().lstrip("/").lower())
        query = query.where(
            or_(
                CannedResponse.shortcut.like(pattern, escape="\\"),
                CannedResponse.title.ilike(pattern, escape="\\"),
                CannedResponse.content.ilike(pattern, escape="\\"),
            )
        )
    query = query.order_by(
        CannedResponse.owner_id.is_(None), CannedResponse.shortcut, CannedResponse.locale
    )
    return (await session.scalars(query)).all()


async def access_canned(
    *, session: AsyncSession, actor: AgentPrincipal, canned_id: int
) -> CannedResponse:
    canned = await session.scalar(
        select(CannedResponse).where(CannedResponse.id == canned_id, _visible(actor))
    )
    if canned is None:
        raise NotFound("Canned response not found.")
    return canned
