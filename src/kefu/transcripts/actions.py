"""The customer's request for their transcript by email.

Against abuse (kefu sending mail to strangers on a visitor's say-so): the transcript goes only
to the contact's own address, the one we already have (pre-chat form, identified visitor). A
visitor without one may type one, and it becomes the contact's address; from then on every
transcript goes there and nowhere else. Each contact may ask three times an hour.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import VisitorPrincipal
from kefu.contacts.actions import do_record_prechat_details
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.errors import Conflict, InvalidInput, RateLimited
from kefu.messages.actions import append_message
from kefu.outbox.actions import count_recent_jobs, enqueue_job
from kefu.transcripts.queries import transcript_messages

TRANSCRIPT_JOB = "transcript.email"
RATE_WINDOW = timedelta(hours=1)
RATE_LIMIT = 3


def mask_email(address: str) -> str:
    """ "m***@example.com": enough for the customer to recognise it, not to read it off."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


async def do_request_transcript(
    session: AsyncSession,
    *,
    actor: VisitorPrincipal,
    conversation: Conversation,
    email: str | None,
    email_enabled: bool,
) -> str:
    """Queue the transcript email; returns the (masked) address it goes to."""
    if not email_enabled:
        raise Conflict("Transcripts by email are not available.", code="email_unavailable")
    if conversation.contact_id != actor.contact_id or conversation.inbox_id != actor.inbox_id:
        raise InvalidInput("Not your conversation.", code="not_your_conversation")
    contact = await session.get(Contact, actor.contact_id)
    assert contact is not None
    typed = email.strip().lower() if email else None
    if contact.email:
        if typed and typed != contact.email.lower():
            raise InvalidInput(
                "Transcripts go only to the address we have for you.", code="email_mismatch"
            )
        address = contact.email
    elif typed:
        await do_record_prechat_details(
            session, contact=contact, name=None, email=typed, phone=None
        )
        address = typed
    else:
        raise InvalidInput("Which address should we send it to?", code="email_required")
    key = f"contact:{contact.id}"
    if await count_recent_jobs(session, kind=TRANSCRIPT_JOB, key=key, within=RATE_WINDOW) >= (
        RATE_LIMIT
    ):
        raise RateLimited("Too many transcripts; try again later.", retry_after=600)
    messages = await transcript_messages(
        session=session, conversation_id=conversation.id, include_notes=False
    )
    if not messages:
        raise InvalidInput("There is nothing to send yet.", code="empty_transcript")
    await enqueue_job(
        session,
        TRANSCRIPT_JOB,
        {"conversation_id": conversation.id, "to": address},
        key=key,
    )
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={"type": "transcript_requested"},
    )
    return mask_email(address)
