"""Endpoints of the conversation workflow: snooze, and bulk actions on a selection.
(Unsnoozing is POST .../status {"status": "open"}; tags are in kefu/tags/views.py.)"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdPath
from kefu.conversations.bulk import BulkIn, do_bulk_change
from kefu.conversations.queries import access_conversation
from kefu.conversations.schemas import ConversationOut, conversation_out
from kefu.conversations.snooze import do_snooze_conversation
from kefu.i18n import pick_locale, translate

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


class SnoozeIn(BaseModel):
    """`until`: an ISO 8601 time with its timezone, in the future (within a year); null or
    absent: until the customer writes again."""

    model_config = ConfigDict(extra="forbid")

    until: datetime | None = None


class BulkError(BaseModel):
    code: str
    message: str


class BulkItemOut(BaseModel):
    id: int
    ok: bool
    error: BulkError | None = None


class BulkOut(BaseModel):
    results: list[BulkItemOut]
    succeeded: int
    failed: int


@router.post("/{conversation_id}/snooze", response_model=ConversationOut)
async def snooze(
    conversation_id: IdPath, body: SnoozeIn, actor: Agent, runtime: RuntimeDep
) -> ConversationOut:
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        conversation = await do_snooze_conversation(
            session, actor=actor, conversation=conversation, until=body.until
        )
    return conversation_out(conversation)


@router.post("/bulk", response_model=BulkOut)
async def bulk(body: BulkIn, request: Request, actor: Agent, runtime: RuntimeDep) -> BulkOut:
    """One change to up to 100 conversations; each is checked and applied on its own, and the
    answer reports each (`ok`, or the error's code and message)."""
    outcomes = await do_bulk_change(
        runtime.db, actor=actor, conversation_ids=body.conversation_ids, change=body.action
    )
    locale = pick_locale(request.headers.get("accept-language"))
    results = [
        BulkItemOut(
            id=o.conversation_id,
            ok=o.error is None,
            error=None
            if o.error is None
            else BulkError(
                code=o.error.code,
                message=translate(o.error.code, locale, o.error.message, **o.error.details),
            ),
        )
        for o in outcomes
    ]
    failed = sum(1 for r in results if not r.ok)
    return BulkOut(results=results, succeeded=len(results) - failed, failed=failed)
