"""Merge suggestions (kefu.channels.matching proposes them): reading them as far as the agent may
see both contacts, accepting (the merge itself, supervisors and admins) and dismissing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal
from kefu.contacts.merge import do_merge_contacts
from kefu.contacts.models import Contact, ContactMergeSuggestion
from kefu.contacts.queries import access_contact, contact_scope, get_contact
from kefu.db import utcnow
from kefu.errors import Conflict, NotFound, PermissionDenied

STATUSES = ("pending", "accepted", "dismissed")


@dataclass(frozen=True, slots=True)
class SuggestionView:
    suggestion: ContactMergeSuggestion
    contact: Contact  # the survivors of the two ids it was made for
    other: Contact


async def _visible_ids(
    session: AsyncSession, actor: AgentPrincipal, contact_ids: set[int]
) -> set[int]:
    scope = await contact_scope(session=session, actor=actor)
    if scope is None or not contact_ids:
        return contact_ids
    rows = await session.scalars(select(Contact.id).where(Contact.id.in_(contact_ids), scope))
    return set(rows)


async def list_suggestions(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    status: str = "pending",
    contact: Contact | None = None,
    limit: int = 100,
) -> list[SuggestionView]:
    """Newest first; only pairs whose two contacts the agent may both see. A pending pair whose
    contacts were merged meanwhile (another way) is left out."""
    query = select(ContactMergeSuggestion).where(ContactMergeSuggestion.status == status)
    if contact is not None:
        ids = [contact.id, *await _tombstones_of(session, contact.id)]
        query = query.where(
            or_(
                ContactMergeSuggestion.contact_id.in_(ids),
                ContactMergeSuggestion.other_contact_id.in_(ids),
            )
        )
    rows = list(
        await session.scalars(query.order_by(ContactMergeSuggestion.id.desc()).limit(limit))
    )
    views: list[SuggestionView] = []
    for row in rows:
        left = await get_contact(session=session, contact_id=row.contact_id)
        right = await get_contact(session=session, contact_id=row.other_contact_id)
        if left is None or right is None or (status == "pending" and left.id == right.id):
            continue
        if contact is not None and right.id == contact.id:
            left, right = right, left  # the contact asked about first
        views.append(SuggestionView(row, left, right))
    visible = await _visible_ids(
        session, actor, {v.contact.id for v in views} | {v.other.id for v in views}
    )
    return [v for v in views if v.contact.id in visible and v.other.id in visible]


async def _tombstones_of(session: AsyncSession, contact_id: int) -> list[int]:
    rows = await session.scalars(select(Contact.id).where(Contact.merged_into_id == contact_id))
    return list(rows)


async def access_suggestion(
    session: AsyncSession, *, actor: AgentPrincipal, suggestion_id: int
) -> SuggestionView:
    """The suggestion if the agent may see both its contacts; else NotFound."""
    row = await session.get(ContactMergeSuggestion, suggestion_id)
    if row is None:
        raise NotFound("Merge suggestion not found.", code="suggestion_not_found")
    try:
        left = await access_contact(session=session, actor=actor, contact_id=row.contact_id)
        right = await access_contact(session=session, actor=actor, contact_id=row.other_contact_id)
    except NotFound as exc:
        raise NotFound("Merge suggestion not found.", code="suggestion_not_found") from exc
    return SuggestionView(row, left, right)


def _require_decider(actor: AgentPrincipal) -> None:
    if actor.user.role not in ("admin", "supervisor"):
        raise PermissionDenied(
            "Only supervisors and admins can merge contacts.", code="merge_not_allowed"
        )


def _require_pending(row: ContactMergeSuggestion) -> None:
    if row.status != "pending":
        raise Conflict("This suggestion was already decided.", code="suggestion_decided")


async def do_accept_suggestion(
    session: AsyncSession, *, actor: AgentPrincipal, view: SuggestionView
) -> Contact:
    """Merge the pair (the older contact survives); the merge marks the suggestion accepted."""
    _require_decider(actor)
    _require_pending(view.suggestion)
    row = view.suggestion
    if view.contact.id == view.other.id:  # merged meanwhile by other means
        row.status, row.decided_by_id, row.decided_at = "accepted", actor.user_id, utcnow()
        return view.contact
    primary, secondary = sorted((view.contact, view.other), key=lambda c: (c.created_at, c.id))
    survivor = await do_merge_contacts(session, actor=actor, primary=primary, secondary=secondary)
    # The merge settles the pair it merged; the row may name tombstones of them.
    row.status, row.decided_by_id, row.decided_at = "accepted", actor.user_id, utcnow()
    return survivor


async def do_dismiss_suggestion(
    session: AsyncSession, *, actor: AgentPrincipal, view: SuggestionView
) -> ContactMergeSuggestion:
    """Two different people after all: never proposed again."""
    _require_decider(actor)
    _require_pending(view.suggestion)
    row = view.suggestion
    row.status, row.decided_by_id, row.decided_at = "dismissed", actor.user_id, utcnow()
    return row
