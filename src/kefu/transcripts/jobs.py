"""The outbox handler that emails a transcript."""

from __future__ import annotations

import logging
from typing import Any

from kefu.conversations.queries import get_conversation
from kefu.inboxes.models import Inbox
from kefu.outbox.registry import JobContext, job_handler
from kefu.transcripts.actions import TRANSCRIPT_JOB
from kefu.transcripts.mail import build_email, send_email
from kefu.transcripts.queries import transcript_messages, transcript_view
from kefu.transcripts.render import render_html, render_text

log = logging.getLogger(__name__)


@job_handler(TRANSCRIPT_JOB)
async def email_transcript(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Render the transcript as it is now (messages since the request included) and send it.
    Never internal notes. In the inbox's language, as the widget's automatic texts are."""
    async with ctx.db.read() as session:
        conversation = await get_conversation(
            session=session, conversation_id=int(payload["conversation_id"])
        )
        if conversation is None:
            log.info("transcript job %s: the conversation is gone", ctx.job_id)
            return
        inbox = await session.get(Inbox, conversation.inbox_id)
        assert inbox is not None
        view = await transcript_view(
            session=session, conversation=conversation, locale=inbox.locale, for_customer=True
        )
        messages = await transcript_messages(
            session=session, conversation_id=conversation.id, include_notes=False
        )
    message = build_email(
        ctx.settings,
        to=str(payload["to"]),
        subject=view.t("subject", inbox=view.inbox_name),
        text=render_text(view, messages),
        html=render_html(view, messages),
    )
    await send_email(ctx.settings, message)
