"""FastAPI dependencies that say who is asking.

Console requests carry the session cookie; state-changing ones must also echo the CSRF token in
the X-CSRF-Token header. API clients send `Authorization: Bearer kefu_...` and need no CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from kefu.auth.principals import AgentPrincipal, VisitorPrincipal
from kefu.auth.tokens import API_TOKEN_PREFIX, hash_api_token
from kefu.contacts.models import Contact
from kefu.errors import NotAuthenticated, PermissionDenied
from kefu.runtime import Runtime
from kefu.users.models import User
from kefu.users.queries import get_user, get_user_by_token_hash

SESSION_COOKIE = "kefu_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


async def authenticate_agent(conn: HTTPConnection, *, check_csrf: bool) -> AgentPrincipal:
    """Resolve the console session or bearer token of an HTTP request or WebSocket."""
    runtime = get_runtime(conn)
    authorization = conn.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        return await _from_api_token(runtime, token)
    cookie = conn.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated("Log in first.")
    claims = runtime.signer.read_session(cookie, max_age=runtime.settings.session_max_age_seconds)
    if claims is None:
        raise NotAuthenticated("Your session has expired; log in again.")
    async with runtime.db.read() as session:
        user = await get_user(session=session, user_id=claims.user_id)
    if user is None or not user.is_active or user.session_epoch != claims.epoch:
        raise NotAuthenticated("Your session has expired; log in again.")
    if check_csrf:
        sent = conn.headers.get(CSRF_HEADER, "")
        if not sent or sent != runtime.signer.csrf_for(cookie):
            raise PermissionDenied("Missing or wrong CSRF token.", code="csrf_failed")
    return AgentPrincipal(user=user, via="session")


async def _from_api_token(runtime: Runtime, token: str) -> AgentPrincipal:
    if not token.startswith(API_TOKEN_PREFIX):
        raise NotAuthenticated("Invalid API token.")
    async with runtime.db.read() as session:
        user: User | None = await get_user_by_token_hash(
            session=session, token_hash=hash_api_token(token)
        )
    if user is None:
        raise NotAuthenticated("Invalid API token.")
    return AgentPrincipal(user=user, via="token")


# Declared so that /openapi.json documents both ways in; authenticate_agent does the checking.
_bearer = HTTPBearer(auto_error=False, description="Personal API token: `Bearer kefu_…`")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="Console session (+ X-CSRF-Token on writes)"
)


async def current_agent(
    request: Request,
    _token: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    _session: Annotated[str | None, Security(_cookie)],
) -> AgentPrincipal:
    return await authenticate_agent(request, check_csrf=request.method not in SAFE_METHODS)


def read_visitor_token(runtime: Runtime, token: str | None, inbox_id: int) -> VisitorPrincipal:
    """The visitor the token was signed for (no database read: see resolve_visitor)."""
    claims = runtime.signer.read_visitor(token or "")
    if claims is None or claims.inbox_id != inbox_id:
        raise NotAuthenticated("Invalid visitor token.", code="invalid_visitor_token")
    return VisitorPrincipal(contact_id=claims.contact_id, inbox_id=claims.inbox_id)


async def resolve_visitor(session: AsyncSession, visitor: VisitorPrincipal) -> VisitorPrincipal:
    """A token signed for a contact that was merged away stands for the survivor (tombstones
    point one hop: kefu/contacts/merge.py)."""
    survivor = await session.scalar(
        select(Contact.merged_into_id).where(Contact.id == visitor.contact_id)
    )
    if survivor is None:
        return visitor
    return VisitorPrincipal(contact_id=survivor, inbox_id=visitor.inbox_id)


async def authenticate_visitor(
    runtime: Runtime, token: str | None, inbox_id: int, *, session: AsyncSession
) -> VisitorPrincipal:
    """The visitor of a widget token, for one inbox, merged contacts resolved."""
    return await resolve_visitor(session, read_visitor_token(runtime, token, inbox_id))


Agent = Annotated[AgentPrincipal, Depends(current_agent)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
