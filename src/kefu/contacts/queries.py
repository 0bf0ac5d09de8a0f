"""Reads of contacts. Who may see a contact (docs/contacts.md): admins see all; everyone else the
contacts of the inboxes they belong to (a conversation or an identity there), plus any contact of
a conversation conversation_scope lets them see. A contact's conversations are always filtered by
conversation_scope, so a contact page shows an agent only the conversations they may open."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from kefu.auth.principals import AgentPrincipal
from kefu.contacts.models import SITE_USER, Contact, ContactActivity, ContactIdentity, ContactNote
from kefu.conversations.models import Conversation
from kefu.conversations.queries import conversation_scope
from kefu.errors import NotFound
from kefu.inboxes.models import InboxMember
from kefu.inboxes.queries import visible_inbox_ids
from kefu.users.models import User

PAGE_SIZE = 50


async def contact_scope(
    *, session: AsyncSession, actor: AgentPrincipal
) -> ColumnElement[bool] | None:
    """The SQL condition on `Contact` rows this agent may see; None: all of them."""
    inboxes = await visible_inbox_ids(session=session, actor=actor)
    if inboxes is None:
        return None
    conditions: list[ColumnElement[bool]] = [
        exists().where(Conversation.contact_id == Contact.id, Conversation.inbox_id.in_(inboxes)),
        exists().where(
            ContactIdentity.contact_id == Contact.id, ContactIdentity.inbox_id.in_(inboxes)
        ),
    ]
    conversations = await conversation_scope(session=session, actor=actor)
    if conversations is not None:
        conditions.append(exists().where(Conversation.contact_id == Contact.id, conversations))
    return or_(*conditions)


async def get_contact(*, session: AsyncSession, contact_id: int) -> Contact | None:
    """The contact, or the survivor it was merged into."""
    contact = await session.get(Contact, contact_id)
    if contact is not None and contact.merged_into_id is not None:
        contact = await session.get(Contact, contact.merged_into_id)
    return contact


async def access_contact(
    *, session: AsyncSession, actor: AgentPrincipal, contact_id: int
) -> Contact:
    """The contact (a merged-away id gives its survivor) if the agent may see it; else NotFound."""
    contact = await get_contact(session=session, contact_id=contact_id)
    if contact is None:
        raise NotFound("Contact not found.")
    scope = await contact_scope(session=session, actor=actor)
    if scope is not None:
        allowed = await session.scalar(select(Contact.id).where(Contact.id == contact.id, scope))
        if allowed is None:
            raise NotFound("Contact not found.")
    return contact


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_contacts(
    *,
    session: AsyncSession,
    actor: AgentPrincipal,
    q: str | None = None,
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Contact], int | None]:
    """Newest first; `q` matches a substring of the name, email, phone or company (any case).
    Full-text search is kefu.search's; this is the CRM list's filter box."""
    query = select(Contact).where(Contact.merged_into_id.is_(None))
    scope = await contact_scope(session=session, actor=actor)
    if scope is not None:
        query = query.where(scope)
    if q and q.strip():
        pattern = f"%{_escape_like(q.strip().lower())}%"
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (Contact.name, Contact.email, Contact.phone, Contact.company)
                )
            )
        )
    if before_id is not None:
        query = query.where(Contact.id < before_id)
    rows = list(
        (await session.execute(query.order_by(Contact.id.desc()).limit(limit + 1))).scalars()
    )
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit else None)


async def identities_of(
    *, session: AsyncSession, contact_ids: Iterable[int]
) -> dict[int, list[ContactIdentity]]:
    ids = list(contact_ids)
    found: dict[int, list[ContactIdentity]] = {i: [] for i in ids}
    if ids:
        rows = await session.execute(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id.in_(ids))
            .order_by(ContactIdentity.id)
        )
        for identity in rows.scalars():
            found[identity.contact_id].append(identity)
    return found


async def is_verified(*, session: AsyncSession, contact_id: int) -> bool:
    """Whether the contact holds a host site's verified user id (in any inbox)."""
    found = await session.scalar(
        select(ContactIdentity.id)
        .where(ContactIdentity.contact_id == contact_id, ContactIdentity.channel_type == SITE_USER)
        .limit(1)
    )
    return found is not None


async def list_contact_conversations(
    *,
    session: AsyncSession,
    actor: AgentPrincipal,
    contact: Contact,
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Conversation], int | None]:
    """The contact's conversations across every inbox and channel, newest first, as far as
    conversation_scope lets this agent see."""
    query = (
        select(Conversation)
        .where(Conversation.contact_id == contact.id)
        .options(selectinload(Conversation.contact), selectinload(Conversation.assignee))
    )
    scope = await conversation_scope(session=session, actor=actor)
    if scope is not None:
        query = query.where(scope)
    if before_id is not None:
        query = query.where(Conversation.id < before_id)
    query = query.order_by(Conversation.id.desc()).limit(limit + 1)
    rows = list((await session.execute(query)).scalars())
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit else None)


async def list_notes(
    *, session: AsyncSession, contact: Contact, limit: int = 200
) -> Sequence[ContactNote]:
    rows = await session.execute(
        select(ContactNote)
        .where(ContactNote.contact_id == contact.id)
        .options(selectinload(ContactNote.author))
        .order_by(ContactNote.id.desc())
        .limit(limit)
    )
    return rows.scalars().all()


async def list_activities(
    *, session: AsyncSession, contact: Contact, limit: int = 100
) -> Sequence[ContactActivity]:
    rows = await session.execute(
        select(ContactActivity)
        .where(ContactActivity.contact_id == contact.id)
        .options(selectinload(ContactActivity.actor))
        .order_by(ContactActivity.id.desc())
        .limit(limit)
    )
    return rows.scalars().all()


async def contact_audience(*, session: AsyncSession, contact_ids: Sequence[int]) -> tuple[int, ...]:
    """The users whose consoles hear about these contacts: active admins, and the members of
    every inbox where the contacts have a conversation or an identity."""
    inboxes = (
        select(Conversation.inbox_id)
        .where(Conversation.contact_id.in_(contact_ids))
        .union(select(ContactIdentity.inbox_id).where(ContactIdentity.contact_id.in_(contact_ids)))
    )
    members = select(InboxMember.user_id).where(InboxMember.inbox_id.in_(inboxes))
    admins = select(User.id).where(User.role == "admin", User.is_active.is_(True))
    rows = await session.execute(members.union(admins))
    return tuple(sorted({int(r[0]) for r in rows}))
