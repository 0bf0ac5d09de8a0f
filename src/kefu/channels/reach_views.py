"""Reaching a contact on their other channels: where they can be written to, and the agent's
first message there (kefu.channels.reach)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import Id, IdPath
from kefu.channels.reach import do_continue_on_channel, masked_external_id, reachable_channels
from kefu.contacts.queries import access_contact
from kefu.conversations.queries import get_conversation
from kefu.conversations.schemas import ConversationOut, conversation_out
from kefu.inboxes.queries import access_inbox
from kefu.messages.schemas import MessageOut, message_out

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


class ContactChannelOut(BaseModel):
    inbox_id: int
    inbox_name: str
    channel_type: str
    # The provider's id for the customer, masked (null: an email inbox that would write to the
    # contact's address).
    external_id: str | None
    open_conversation_id: int | None


class ContinueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inbox_id: Id
    text: str = Field(min_length=1, max_length=10_000)
    subject: str | None = Field(default=None, max_length=500)  # email


class ContinueOut(BaseModel):
    conversation: ConversationOut
    message: MessageOut


@router.get("/{contact_id}/channels", response_model=list[ContactChannelOut])
async def contact_channels(
    contact_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> list[ContactChannelOut]:
    """The channel inboxes (of the agent's) where this contact can be written to."""
    async with runtime.db.read() as session:
        contact = await access_contact(session=session, actor=actor, contact_id=contact_id)
        found = await reachable_channels(session, actor=actor, contact=contact)
    return [
        ContactChannelOut(
            inbox_id=r.inbox.id,
            inbox_name=r.inbox.name,
            channel_type=r.inbox.channel_type,
            external_id=masked_external_id(r.external_id),
            open_conversation_id=r.open_conversation_id,
        )
        for r in found
    ]


@router.post("/{contact_id}/conversations", response_model=ContinueOut, status_code=201)
async def continue_on_channel(
    contact_id: IdPath, body: ContinueIn, actor: Agent, runtime: RuntimeDep
) -> ContinueOut:
    """Write to the contact in another channel inbox (its open conversation there, or a new
    one). 422 `no_channel_identity`: the customer never wrote to that channel; 422
    `channel_window_closed`: outside the provider's reply window, only templates may go."""
    async with runtime.db.write() as session:
        contact = await access_contact(session=session, actor=actor, contact_id=contact_id)
        inbox = await access_inbox(session=session, actor=actor, inbox_id=body.inbox_id)
        conversation, message = await do_continue_on_channel(
            session,
            actor=actor,
            contact=contact,
            inbox=inbox,
            text=body.text,
            subject=body.subject,
        )
        await session.flush()
        loaded = await get_conversation(session=session, conversation_id=conversation.id)
        assert loaded is not None
        return ContinueOut(
            conversation=conversation_out(loaded),
            message=message_out(message, contact_name=contact.name),
        )
