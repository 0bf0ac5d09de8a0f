"""Agents' channel endpoints: a conversation's channel state (reply window, templates), sending
a template, and retrying a failed delivery."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.sealing import SecretBox
from kefu.bounds import IdPath
from kefu.channels.actions import do_send_template
from kefu.channels.base import SendFailed, SendRetryable, Template
from kefu.channels.delivery import do_retry_delivery
from kefu.channels.outbound import window_closes_at
from kefu.channels.settings import adapter_of, load_channel
from kefu.conversations.queries import access_conversation
from kefu.db import utcnow
from kefu.errors import InvalidInput, ProviderUnavailable
from kefu.inboxes.models import Inbox
from kefu.inboxes.queries import access_inbox
from kefu.messages.actions import check_may_reply
from kefu.messages.schemas import MessageOut, message_out

router = APIRouter(prefix="/api/v1", tags=["channels"])


class ConversationChannelOut(BaseModel):
    channel_type: str
    # Providers with a customer-service window (WhatsApp, Messenger): when free-form replies
    # stop being allowed; outside it only templates (WhatsApp) can be sent.
    window_closes_at: datetime | None
    window_open: bool
    templates_supported: bool


class TemplateOut(BaseModel):
    name: str
    language: str
    category: str
    body_text: str
    parameter_count: int


class TemplateSendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=2, max_length=15)
    parameters: list[str] = Field(default_factory=list, max_length=20)
    text: str = Field(min_length=1, max_length=4096)


@router.get("/conversations/{conversation_id}/channel", response_model=ConversationChannelOut)
async def conversation_channel(
    conversation_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> ConversationChannelOut:
    async with runtime.db.read() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    adapter = adapter_of(inbox)
    closes = window_closes_at(inbox, conversation)
    return ConversationChannelOut(
        channel_type=inbox.channel_type,
        window_closes_at=closes,
        window_open=closes is None or utcnow() < closes,
        templates_supported=adapter is not None and adapter.supports_templates,
    )


@router.get("/inboxes/{inbox_id}/templates", response_model=list[TemplateOut])
async def list_templates(inbox_id: IdPath, actor: Agent, runtime: RuntimeDep) -> list[TemplateOut]:
    """The provider's approved templates, fetched live (they are managed in the provider's
    console, not in kefu)."""
    async with runtime.db.read() as session:
        inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
    if adapter_of(inbox) is None:
        raise InvalidInput("This inbox is not a channel inbox.", code="not_a_channel_inbox")
    channel = load_channel(inbox, SecretBox(runtime.settings.effective_secret_key))
    try:
        templates = await channel.adapter.list_templates(
            channel.context(runtime.worker.http, inbox.id)
        )
    except (SendFailed, SendRetryable) as exc:
        raise ProviderUnavailable(
            f"The provider did not answer: {exc.reason}", code="provider_error"
        ) from exc
    return [
        TemplateOut(
            name=t.name,
            language=t.language,
            category=t.category,
            body_text=t.body_text,
            parameter_count=t.parameter_count,
        )
        for t in templates
    ]


@router.post(
    "/conversations/{conversation_id}/templates", response_model=MessageOut, status_code=201
)
async def send_template(
    conversation_id: IdPath, body: TemplateSendIn, actor: Agent, runtime: RuntimeDep
) -> MessageOut:
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        message = await do_send_template(
            session,
            actor=actor,
            conversation=conversation,
            template=Template(body.name, body.language, tuple(body.parameters)),
            text=body.text,
        )
    return message_out(message, contact_name=conversation.contact.name)


@router.post(
    "/conversations/{conversation_id}/messages/{message_id}/retry", response_model=MessageOut
)
async def retry_delivery(
    conversation_id: IdPath, message_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> MessageOut:
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        await check_may_reply(session, actor=actor, conversation=conversation)
        message = await do_retry_delivery(
            session, actor=actor, conversation=conversation, message_id=message_id
        )
    return message_out(message, contact_name=conversation.contact.name)
