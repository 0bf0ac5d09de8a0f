"""The contacts API (the console's CRM view): list, profile, edit, notes, the trail, the
cross-inbox conversation timeline, and merge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.principals import AgentPrincipal
from kefu.bounds import IdPath, IdQuery
from kefu.contacts import actions, queries
from kefu.contacts.events import contact_summary
from kefu.contacts.merge import do_merge_contacts
from kefu.contacts.models import SITE_USER, Contact, ContactIdentity
from kefu.contacts.schemas import (
    ActivityOut,
    ContactOut,
    ContactPage,
    ContactUpdate,
    IdentityOut,
    MergeIn,
    NoteIn,
    NoteOut,
)
from kefu.conversations.schemas import ConversationOut, conversation_out
from kefu.inboxes.queries import visible_inbox_ids

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


class ContactConversationPage(BaseModel):
    items: list[ConversationOut]
    next_before_id: int | None


def _identity_out(identity: ContactIdentity) -> IdentityOut:
    site_user = identity.channel_type == SITE_USER
    return IdentityOut(
        channel_type=identity.channel_type,
        inbox_id=identity.inbox_id,
        external_id=identity.external_id if site_user else None,
        verified=site_user,
        created_at=identity.created_at,
    )


async def _profile(session: AsyncSession, actor: AgentPrincipal, contact: Contact) -> ContactOut:
    identities = (await queries.identities_of(session=session, contact_ids=[contact.id]))[
        contact.id
    ]
    verified = any(i.channel_type == SITE_USER for i in identities)
    visible = await visible_inbox_ids(session=session, actor=actor)
    shown: Sequence[ContactIdentity] = [
        i for i in identities if visible is None or i.inbox_id in visible
    ]
    summary = contact_summary(contact, verified=verified)
    return ContactOut(
        **summary.model_dump(),
        attributes=dict(contact.attributes or {}),
        identities=[_identity_out(i) for i in shown],
    )


@router.get("", response_model=ContactPage)
async def list_contacts(
    actor: Agent,
    runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    before_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ContactPage:
    async with runtime.db.read() as session:
        rows, next_before = await queries.list_contacts(
            session=session, actor=actor, q=q, before_id=before_id, limit=limit
        )
        identities = await queries.identities_of(session=session, contact_ids=[c.id for c in rows])
    items = [
        contact_summary(c, verified=any(i.channel_type == SITE_USER for i in identities[c.id]))
        for c in rows
    ]
    return ContactPage(items=items, next_before_id=next_before)


@router.get("/{contact_id}", response_model=ContactOut)
async def get_contact(contact_id: IdPath, actor: Agent, runtime: RuntimeDep) -> ContactOut:
    """A merged-away contact's id answers with its survivor (compare `id`)."""
    async with runtime.db.read() as session:
        contact = await queries.access_contact(session=session, actor=actor, contact_id=contact_id)
        return await _profile(session, actor, contact)


@router.patch("/{contact_id}", response_model=ContactOut)
async def update_contact(
    contact_id: IdPath, body: ContactUpdate, actor: Agent, runtime: RuntimeDep
) -> ContactOut:
    async with runtime.db.write() as session:
        contact = await queries.access_contact(session=session, actor=actor, contact_id=contact_id)
        contact = await actions.do_update_contact(
            session, actor=actor, contact=contact, changes=body.model_dump(exclude_unset=True)
        )
        return await _profile(session, actor, contact)


@router.get("/{contact_id}/conversations", response_model=ContactConversationPage)
async def contact_conversations(
    contact_id: IdPath,
    actor: Agent,
    runtime: RuntimeDep,
    before_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ContactConversationPage:
    """Every conversation of the contact, across inboxes and channels, newest first, as far as
    the agent may see them."""
    async with runtime.db.read() as session:
        contact = await queries.access_contact(session=session, actor=actor, contact_id=contact_id)
        rows, next_before = await queries.list_contact_conversations(
            session=session, actor=actor, contact=contact, before_id=before_id, limit=limit
        )
    return ContactConversationPage(
        items=[conversation_out(c) for c in rows], next_before_id=next_before
    )


@router.get("/{contact_id}/notes", response_model=list[NoteOut])
async def list_notes(contact_id: IdPath, actor: Agent, runtime: RuntimeDep) -> list[NoteOut]:
    async with runtime.db.read() as session:
        contact = await queries.access_contact(session=session, actor=actor, contact_id=contact_id)
        notes = await queries.list_notes(session=session, contact=contact)
    return [NoteOut.model_validate(n) for n in notes]


@router.post("/{contact_id}/notes", response_model=NoteOut, status_code=201)
async def add_note(contact_id: IdPath, body: NoteIn, actor: Agent, runtime: RuntimeDep) -> NoteOut:
    async with runtime.db.write() as session:
        contact = await queries.access_contact(session=session, actor=actor, contact_id=contact_id)
        note = await actions.do_add_note(session, actor=actor, contact=contact, text=body.text)
    return NoteOut.model_validate(note)


@router.delete("/{contact_id}/notes/{note_id}", status_code=204)
async def delete_note(
    contact_id: IdPath, note_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as session:
        contact = await queries.access_contact(session=session, actor=actor, contact_id=contact_id)
        await actions.do_delete_note(session, actor=actor, contact=contact, note_id=note_id)
    return Response(status_code=204)


@router.get("/{contact_id}/activity", response_model=list[ActivityOut])
async def contact_activity(
    contact_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> list[ActivityOut]:
    """The trail: edits (from -> to), merges, identification, deleted notes; newest first."""
    async with runtime.db.read() as session:
        contact = await queries.access_contact(session=session, actor=actor, contact_id=contact_id)
        rows = await queries.list_activities(session=session, contact=contact)
    return [ActivityOut.model_validate(r) for r in rows]


@router.post("/{contact_id}/merge", response_model=ContactOut)
async def merge_contact(
    contact_id: IdPath, body: MergeIn, actor: Agent, runtime: RuntimeDep
) -> ContactOut:
    """Merge `other_id` into this contact (which survives). Supervisors and admins, of two
    contacts they can both see."""
    async with runtime.db.write() as session:
        primary = await queries.access_contact(session=session, actor=actor, contact_id=contact_id)
        secondary = await queries.access_contact(
            session=session, actor=actor, contact_id=body.other_id
        )
        survivor = await do_merge_contacts(
            session, actor=actor, primary=primary, secondary=secondary
        )
        return await _profile(session, actor, survivor)
