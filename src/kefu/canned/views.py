"""Canned responses: everyone lists and uses the shared ones and their own personal ones."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdPath
from kefu.canned import actions, queries
from kefu.canned.schemas import CannedCreate, CannedOut, CannedUpdate, Locale, canned_out
from kefu.errors import InvalidInput

router = APIRouter(prefix="/api/v1/canned-responses", tags=["canned responses"])


@router.get("", response_model=list[CannedOut])
async def list_canned(
    actor: Agent,
    runtime: RuntimeDep,
    scope: Literal["all", "personal", "shared"] = "all",
    q: Annotated[str | None, Query(max_length=200)] = None,
    locale: Locale | None = None,
) -> list[CannedOut]:
    if q and "\x00" in q:  # PostgreSQL text cannot hold it: refuse rather than fail
        raise InvalidInput("The search contains a NUL character.", code="bad_text")
    async with runtime.db.read() as session:
        items = await queries.list_canned(
            session=session,
            actor=actor,
            scope=None if scope == "all" else scope,
            q=q,
            locale=locale,
        )
    return [canned_out(c) for c in items]


@router.post("", response_model=CannedOut, status_code=201)
async def create_canned(body: CannedCreate, actor: Agent, runtime: RuntimeDep) -> CannedOut:
    async with runtime.db.write() as session:
        canned = await actions.do_create_canned(session, actor=actor, **body.model_dump())
    return canned_out(canned)


@router.get("/{canned_id}", response_model=CannedOut)
async def get_canned(canned_id: IdPath, actor: Agent, runtime: RuntimeDep) -> CannedOut:
    async with runtime.db.read() as session:
        canned = await queries.access_canned(session=session, actor=actor, canned_id=canned_id)
    return canned_out(canned)


@router.patch("/{canned_id}", response_model=CannedOut)
async def update_canned(
    canned_id: IdPath, body: CannedUpdate, actor: Agent, runtime: RuntimeDep
) -> CannedOut:
    async with runtime.db.write() as session:
        canned = await queries.access_canned(session=session, actor=actor, canned_id=canned_id)
        canned = await actions.do_update_canned(
            session, actor=actor, canned=canned, changes=body.model_dump(exclude_unset=True)
        )
    return canned_out(canned)


@router.delete("/{canned_id}", status_code=204)
async def delete_canned(canned_id: IdPath, actor: Agent, runtime: RuntimeDep) -> None:
    async with runtime.db.write() as session:
        canned = await queries.access_canned(session=session, actor=actor, canned_id=canned_id)
        await actions.do_delete_canned(session, actor=actor, canned=canned)
