"""Merge suggestions API (docs/contacts.md, "One customer, one history"): what
kefu.channels.matching proposed, for the agents who can see both contacts; supervisors and
admins accept or dismiss."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdPath
from kefu.channels.matching import mask
from kefu.contacts import queries
from kefu.contacts.events import contact_summary
from kefu.contacts.schemas import ContactSummary
from kefu.contacts.suggestions import (
    SuggestionView,
    access_suggestion,
    do_accept_suggestion,
    do_dismiss_suggestion,
    list_suggestions,
)

router = APIRouter(prefix="/api/v1", tags=["contacts"])
Status = Literal["pending", "accepted", "dismissed"]


class SuggestionOut(BaseModel):
    id: int
    contact: ContactSummary
    other_contact: ContactSummary
    reason: str  # "same_phone" | "same_email"
    # Masked ("+886****5678"): enough to recognise; the full value is on both contacts' pages.
    matched_value: str
    status: str
    created_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None


async def _out(session: AsyncSession, view: SuggestionView) -> SuggestionOut:
    row = view.suggestion
    kind = "phone" if row.reason == "same_phone" else "email"
    verified = {
        cid: await queries.is_verified(session=session, contact_id=cid)
        for cid in (view.contact.id, view.other.id)
    }
    return SuggestionOut(
        id=row.id,
        contact=contact_summary(view.contact, verified=verified[view.contact.id]),
        other_contact=contact_summary(view.other, verified=verified[view.other.id]),
        reason=row.reason,
        matched_value=mask(kind, row.matched_value),
        status=row.status,
        created_at=row.created_at,
        decided_by_id=row.decided_by_id,
        decided_at=row.decided_at,
    )


@router.get("/merge-suggestions", response_model=list[SuggestionOut])
async def all_suggestions(
    actor: Agent,
    runtime: RuntimeDep,
    status: Status = "pending",
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[SuggestionOut]:
    """Newest first; an agent sees the pairs whose two contacts they may both see."""
    async with runtime.db.read() as session:
        views = await list_suggestions(session, actor=actor, status=status, limit=limit)
        return [await _out(session, v) for v in views]


@router.get("/contacts/{contact_id}/merge-suggestions", response_model=list[SuggestionOut])
async def contact_suggestions(
    contact_id: IdPath, actor: Agent, runtime: RuntimeDep, status: Status = "pending"
) -> list[SuggestionOut]:
    async with runtime.db.read() as session:
        contact = await queries.access_contact(session=session, actor=actor, contact_id=contact_id)
        views = await list_suggestions(session, actor=actor, status=status, contact=contact)
        return [await _out(session, v) for v in views]


@router.post("/merge-suggestions/{suggestion_id}/accept", response_model=SuggestionOut)
async def accept_suggestion(
    suggestion_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> SuggestionOut:
    """Merge the two contacts (the older survives). Supervisors and admins."""
    async with runtime.db.write() as session:
        view = await access_suggestion(session, actor=actor, suggestion_id=suggestion_id)
        survivor = await do_accept_suggestion(session, actor=actor, view=view)
        return await _out(session, SuggestionView(view.suggestion, survivor, survivor))


@router.post("/merge-suggestions/{suggestion_id}/dismiss", response_model=SuggestionOut)
async def dismiss_suggestion(
    suggestion_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> SuggestionOut:
    """Two different people: the pair is not proposed again. Supervisors and admins."""
    async with runtime.db.write() as session:
        view = await access_suggestion(session, actor=actor, suggestion_id=suggestion_id)
        await do_dismiss_suggestion(session, actor=actor, view=view)
        return await _out(session, view)
