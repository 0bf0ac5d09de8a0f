"""Continuing with a customer on another channel they have (docs/contacts.md, "One customer, one
history"): where a contact can be reached, and an agent's first message there.

A channel can reach a contact that has an identity in that channel inbox (the provider's id for
them: a LINE userId only works with the LINE channel that saw it). Email is the exception: an
address is all it takes, so the contact's email creates the identity when first used.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import AgentPrincipal, VisitorPrincipal
from kefu.channels.matching import mask, normalize_email
from kefu.channels.settings import adapter_of
from kefu.contacts.models import Contact, ContactIdentity
from kefu.conversations.actions import (
    do_assign_conversation,
    do_set_conversation_status,
    do_start_visitor_conversation,
)
from kefu.conversations.models import Conversation
from kefu.errors import InvalidInput, KefuError
from kefu.inboxes.models import Inbox
from kefu.inboxes.queries import visible_inbox_ids
from kefu.messages.actions import do_send_agent_message
from kefu.messages.models import Message

EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Reachable:
    inbox: Inbox
    external_id: str | None  # None: an email inbox that would use the contact's address
    open_conversation_id: int | None


def masked_external_id(value: str | None) -> str | None:
    if value is None:
        return None
    if "@" in value:
        return mask("email", value)
    return value[:3] + "*" * max(0, len(value) - 6) + value[-3:] if len(value) > 6 else "***"


async def reachable_channels(
    session: AsyncSession, *, actor: AgentPrincipal, contact: Contact
) -> list[Reachable]:
    """The channel inboxes the agent belongs to where this contact can be written to."""
    visible = await visible_inbox_ids(session=session, actor=actor)
    query = select(Inbox).order_by(Inbox.id)
    if visible is not None:
        query = query.where(Inbox.id.in_(visible))
    inboxes = [i for i in await session.scalars(query) if adapter_of(i) is not None]
    identities = {
        (i.inbox_id, i.channel_type): i.external_id
        for i in await session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == contact.id)
        )
    }
    open_conversations = {
        inbox_id: conversation_id
        for conversation_id, inbox_id in await session.execute(
            select(Conversation.id, Conversation.inbox_id)
            .where(Conversation.contact_id == contact.id, Conversation.status != "resolved")
            .order_by(Conversation.id)
        )
    }
    found: list[Reachable] = []
    for inbox in inboxes:
        external_id = identities.get((inbox.id, inbox.channel_type))
        if external_id is None and not (inbox.channel_type == EMAIL and contact.email):
            continue
        found.append(Reachable(inbox, external_id, open_conversations.get(inbox.id)))
    return found


async def _identity_in(session: AsyncSession, contact: Contact, inbox: Inbox) -> str:
    """The contact's external id in this channel inbox, creating the email identity from the
    contact's address; InvalidInput `no_channel_identity` when there is none."""
    external_id = await session.scalar(
        select(ContactIdentity.external_id).where(
            ContactIdentity.contact_id == contact.id,
            ContactIdentity.inbox_id == inbox.id,
            ContactIdentity.channel_type == inbox.channel_type,
        )
    )
    if external_id is not None:
        return external_id
    address = normalize_email(contact.email) if inbox.channel_type == EMAIL else None
    if address is None:
        raise InvalidInput(
            "This customer has not written to this channel yet, so kefu cannot reach them there.",
            code="no_channel_identity",
        )
    try:
        async with session.begin_nested():
            session.add(
                ContactIdentity(
                    contact_id=contact.id,
                    channel_type=EMAIL,
                    inbox_id=inbox.id,
                    external_id=address,
                )
            )
            await session.flush()
    except IntegrityError as exc:  # the address is another contact's identity here
        raise InvalidInput(
            "This email address belongs to another contact in this inbox; merge them first.",
            code="channel_identity_taken",
        ) from exc
    return address


async def do_continue_on_channel(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    contact: Contact,
    inbox: Inbox,
    text: str,
    subject: str | None = None,
) -> tuple[Conversation, Message]:
    """The agent's first message to the contact in another channel inbox: in the contact's open
    conversation there, else a new one assigned to the agent. The caller obtained `contact`
    through access_contact and `inbox` through access_inbox. The message is queued for delivery
    by the channel core; outside the provider's reply window (a WhatsApp customer who has not
    written for 24 hours) it is refused with `channel_window_closed`, and nothing is kept."""
    adapter = adapter_of(inbox)
    if adapter is None:
        raise InvalidInput("This inbox is not a channel inbox.", code="not_a_channel_inbox")
    await _identity_in(session, contact, inbox)
    visitor = VisitorPrincipal(contact_id=contact.id, inbox_id=inbox.id)
    # Email: a new subject is a thread of its own; it gets a key no provider Message-ID has.
    thread_key = f"kefu-{secrets.token_urlsafe(12)}" if adapter.threaded_conversations else ""
    conversation, created = await do_start_visitor_conversation(
        session, actor=visitor, inbox=inbox, thread_key=thread_key, subject=subject
    )
    if conversation.status == "resolved":  # a recently resolved one: the agent reopens it
        conversation = await do_set_conversation_status(
            session, actor=actor, conversation=conversation, status="open"
        )
    if conversation.assignee_id is None:
        try:
            async with session.begin_nested():
                conversation = await do_assign_conversation(
                    session, actor=actor, conversation=conversation, assignee_id=actor.user_id
                )
        except KefuError:
            pass  # at capacity, or taking is not allowed here: it waits in the queue
    message = await do_send_agent_message(
        session, actor=actor, conversation=conversation, text=text
    )
    return conversation, message
