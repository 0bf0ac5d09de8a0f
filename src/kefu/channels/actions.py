"""Channel writers: what the jobs record after fetching from a provider (files for a message,
a contact's profile), and an agent's template message."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kefu.attachments.actions import NewAttachment, insert_attachments
from kefu.auth.principals import AgentPrincipal
from kefu.channels.base import Profile, Template
from kefu.channels.delivery import announce_message, load_message
from kefu.channels.outbound import channel_inbox
from kefu.channels.settings import adapter_of
from kefu.contacts.actions import announce_contact
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.errors import InvalidInput
from kefu.messages.actions import append_message, check_may_reply, clean_text
from kefu.messages.models import Message

MAX_NAME_CHARS = 200


async def do_attach_fetched_media(
    session: AsyncSession,
    *,
    message_id: int,
    files: Sequence[NewAttachment],
    refused: Sequence[dict[str, str]] = (),
) -> bool:
    """Add the files fetched for an inbound message; False if the message is gone."""
    message = await load_message(session, message_id)
    if message is None:
        return False
    rows = await insert_attachments(session, message, files) if files else []
    set_committed_value(message, "attachments", [*message.attachments, *rows])
    payload = dict(message.channel_payload or {})
    payload.pop("pending_media", None)
    if refused:
        payload["refused_media"] = [*payload.get("refused_media", []), *refused]
    message.channel_payload = payload or None
    await announce_message(session, message)
    return True


async def do_note_media_failure(session: AsyncSession, *, message_id: int, error: str) -> None:
    """The provider's files could not be fetched (the job gave up): the agent sees so."""
    message = await load_message(session, message_id)
    if message is None:
        return
    payload = dict(message.channel_payload or {})
    payload.pop("pending_media", None)
    payload["media_error"] = error[:500]
    message.channel_payload = payload
    await announce_message(session, message)


async def do_apply_channel_profile(
    session: AsyncSession, *, contact_id: int, profile: Profile
) -> None:
    """The provider's name and picture fill blanks only (an agent's edits win)."""
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.merged_into_id is not None:
        return
    changed = False
    if not contact.name and profile.name and profile.name.strip():
        contact.name = profile.name.strip()[:MAX_NAME_CHARS]
        changed = True
    url = profile.avatar_url
    if not contact.avatar_url and url and url.startswith("https://") and len(url) <= 500:
        contact.avatar_url = url
        changed = True
    if changed:
        await announce_contact(session, contact)


async def do_send_template(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    template: Template,
    text: str,
) -> Message:
    """An approved template (WhatsApp), the only message a provider accepts outside its reply
    window. `text` is what the agent saw (the body with its parameters), kept as the message's
    text; the template itself travels in channel_payload."""
    inbox = await channel_inbox(session, conversation)
    adapter = adapter_of(inbox) if inbox is not None else None
    if adapter is None or not adapter.supports_templates:
        raise InvalidInput("This channel has no templates.", code="templates_not_supported")
    await check_may_reply(session, actor=actor, conversation=conversation)
    return await append_message(
        session,
        conversation=conversation,
        kind="outgoing",
        actor=actor,
        text=clean_text(text),
        channel_payload={
            "template": {
                "name": template.name,
                "language": template.language,
                "parameters": list(template.parameters),
            }
        },
    )
