"""Login, logout, the current user, users (admin) and personal API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kefu.auth.dependencies import SESSION_COOKIE, Agent, RuntimeDep
from kefu.auth.passwords import verify_password
from kefu.bounds import IdPath
from kefu.errors import NotAuthenticated
from kefu.users import actions, queries
from kefu.users.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    LoginIn,
    SessionOut,
    UserCreate,
    UserOut,
    UserUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["users"])


@router.post("/auth/login", response_model=SessionOut)
async def login(
    body: LoginIn, request: Request, response: Response, runtime: RuntimeDep
) -> SessionOut:
    client = request.client.host if request.client else "?"
    key = f"{client}|{body.email.lower()}"
    runtime.login_limiter.hit(key)
    async with runtime.db.read() as session:
        user = await queries.get_user_by_email(session=session, email=body.email)
    ok = verify_password(user.password_hash if user else None, body.password)
    if user is None or not ok or not user.is_active:
        raise NotAuthenticated("Wrong email or password.", code="bad_credentials")
    runtime.login_limiter.reset(key)
    cookie = runtime.signer.sign_session(user.id, user.session_epoch)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=runtime.settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.cookie_secure,
        path="/",
    )
    return SessionOut(user=UserOut.model_validate(user), csrf_token=runtime.signer.csrf_for(cookie))


@router.post("/auth/logout", status_code=204)
async def logout(actor: Agent, response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/auth/me", response_model=SessionOut)
async def me(actor: Agent, request: Request, runtime: RuntimeDep) -> SessionOut:
    cookie = request.cookies.get(SESSION_COOKIE)
    csrf = runtime.signer.csrf_for(cookie) if cookie and actor.via == "session" else None
    return SessionOut(user=UserOut.model_validate(actor.user), csrf_token=csrf)


@router.get("/users", response_model=list[UserOut])
async def list_users(actor: Agent, runtime: RuntimeDep) -> list[UserOut]:
    async with runtime.db.read() as session:
        users = await queries.list_users(session=session, actor=actor)
    return [UserOut.model_validate(u) for u in users]


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(body: UserCreate, actor: Agent, runtime: RuntimeDep) -> UserOut:
    async with runtime.db.write() as session:
        user = await actions.do_create_user(session, actor=actor, **body.model_dump())
    return UserOut.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserOut)
async def update_user(
    user_id: IdPath, body: UserUpdate, actor: Agent, runtime: RuntimeDep
) -> UserOut:
    async with runtime.db.write() as session:
        user = await queries.access_user(session=session, actor=actor, user_id=user_id)
        user = await actions.do_update_user(
            session, actor=actor, user=user, **body.model_dump(exclude_unset=True)
        )
    return UserOut.model_validate(user)


@router.get("/me/tokens", response_model=list[ApiTokenOut])
async def list_tokens(actor: Agent, runtime: RuntimeDep) -> list[ApiTokenOut]:
    async with runtime.db.read() as session:
        rows = await queries.list_api_tokens(session=session, actor=actor)
    return [ApiTokenOut.model_validate(r) for r in rows]


@router.post("/me/tokens", response_model=ApiTokenCreated, status_code=201)
async def create_token(body: ApiTokenCreate, actor: Agent, runtime: RuntimeDep) -> ApiTokenCreated:
    async with runtime.db.write() as session:
        row, token = await actions.do_create_api_token(session, actor=actor, name=body.name)
    return ApiTokenCreated(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        token=token,
    )


@router.delete("/me/tokens/{token_id}", status_code=204)
async def delete_token(token_id: IdPath, actor: Agent, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as session:
        await actions.do_delete_api_token(session, actor=actor, token_id=token_id)
    return Response(status_code=204)
