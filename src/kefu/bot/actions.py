"""The bot's writers: one turn's outcome in one transaction (`do_apply_bot_turn`), and the
admins' settings (`do_update_bot_settings`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified

from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import BOT, Principal
from kefu.bot.engine import Plan
from kefu.bot.models import BotTurn
from kefu.bot.phase import BOT_STATE, end_bot_phase
from kefu.bot.settings import BotSettings
from kefu.contacts.actions import announce_contact, do_record_prechat_details
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.db import utcnow
from kefu.events.bus import send_event_on_commit
from kefu.inboxes.models import Inbox
from kefu.kb.models import KbArticle
from kefu.messages.actions import append_message
from kefu.routing.actions import route_after_bot

SECRETS_KEY = "bot_secrets"  # inbox.settings: the sealed generative API key


async def do_apply_bot_turn(
    session: AsyncSession,
    *,
    conversation_id: int,
    seen_seq: int,
    upto_seq: int,
    message_id: int | None,
    locale: str,
    plan: Plan,
) -> bool:
    """Write what the bot decided for the customer's messages up to `upto_seq`, if, under the
    conversation's row lock, it is still in the bot phase and nobody has answered since the
    bot read it (bot_state.seq still `seen_seq`). False (nothing written) otherwise: another
    node answered, an agent took over, or the conversation was resolved."""
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
        .with_for_update(of=Conversation)
        .execution_options(populate_existing=True)
    )
    if (
        conversation is None
        or conversation.routing_state != BOT_STATE
        or conversation.status in ("resolved", "snoozed")
        or int((conversation.bot_state or {}).get("seq", 0)) != seen_seq
    ):
        return False
    inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    previous: dict[str, Any] = dict(conversation.bot_state or {})
    if plan.feedback and isinstance(previous.get("answer_turn"), int):
        await _record_feedback(session, previous["answer_turn"], plan.feedback)
    if plan.summary:
        await append_message(
            session,
            conversation=conversation,
            kind="activity",
            actor=BOT,
            activity={"type": "bot_handoff", "reason": plan.reason, "summary": plan.summary},
        )
    for text, quick_replies in plan.replies:
        if text.strip():
            await append_message(
                session,
                conversation=conversation,
                kind="outgoing",
                actor=BOT,
                text=text,
                quick_replies=quick_replies,
            )
    if plan.contact is not None:
        contact = conversation.contact
        await do_record_prechat_details(
            session,
            contact=contact,
            name=None,
            email=plan.contact.email if not contact.email else None,
            phone=plan.contact.phone if not contact.phone else None,
        )
        await announce_contact(session, contact)
    state = {**plan.state, "seq": upto_seq}
    if plan.end_bot:
        conversation.routing_state = "routed"
        state["ended"] = plan.reason or plan.outcome
    if plan.route:
        await route_after_bot(
            session,
            conversation=conversation,
            inbox=inbox,
            quiet=plan.quiet,
            urgent=plan.raise_priority,
        )
    if plan.record_turn:
        turn = BotTurn(
            conversation_id=conversation.id,
            inbox_id=conversation.inbox_id,
            message_id=message_id,
            locale=locale,
            question=plan.question,
            outcome=plan.outcome,
            reason=plan.reason,
            source_kind=plan.source_kind,
            source_id=plan.source_id,
            score=plan.score,
        )
        session.add(turn)
        await session.flush()
        if state.get("answer_turn") is True:
            state["answer_turn"] = turn.id
    if state.get("answer_turn") is True:
        state.pop("answer_turn")
    conversation.bot_state = state
    flag_modified(conversation, "bot_state")
    send_event_on_commit(session, events.conversation_changed(conversation))
    return True


async def _record_feedback(session: AsyncSession, turn_id: int, feedback: str) -> None:
    """On the answer's turn; an article answer also counts on the article ("was this
    helpful?", as the help centre counts)."""
    turn = await session.get(BotTurn, turn_id)
    if turn is None or turn.feedback is not None:
        return
    turn.feedback = feedback
    if turn.source_kind == "article" and turn.source_id is not None:
        column = KbArticle.helpful_yes if feedback == "helped" else KbArticle.helpful_no
        await session.execute(
            update(KbArticle).where(KbArticle.id == turn.source_id).values({column: column + 1})
        )


async def do_update_bot_settings(
    session: AsyncSession,
    *,
    actor: Principal,
    inbox: Inbox,
    settings: BotSettings,
    sealed_api_key: str | None,
    replace_key: bool,
) -> BotSettings:
    """Admins only. `replace_key`: store `sealed_api_key` (None removes the key); otherwise
    the stored key is kept."""
    require_admin(actor)
    values = {**(inbox.settings or {}), "bot": settings.model_dump(mode="json", by_alias=True)}
    if replace_key:
        if sealed_api_key:
            values[SECRETS_KEY] = sealed_api_key
        else:
            values.pop(SECRETS_KEY, None)
    inbox.settings = values
    flag_modified(inbox, "settings")
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="inbox.bot_updated",
        target_type="inbox",
        target_id=inbox.id,
        enabled=settings.enabled,
    )
    return settings


def idle_in_bot_phase(inbox_id: int, quiet_since: datetime) -> Select[Conversation]:
    """The inbox's conversations still with the bot (not queued for a person), quiet since
    `quiet_since`."""
    return select(Conversation).where(
        Conversation.inbox_id == inbox_id,
        Conversation.routing_state == BOT_STATE,
        Conversation.status == "open",
        Conversation.queued_at.is_(None),
        Conversation.last_activity_at < quiet_since,
    )


async def do_resolve_idle_bot_conversations(
    session: AsyncSession, *, inbox: Inbox, quiet_since: datetime, limit: int = 100
) -> int:
    """Resolve the inbox's conversations that are still with the bot, quiet since
    `quiet_since`: the customer left (their question answered, or not asked). Not those the
    bot queued for a person. A customer who writes again reopens it with the bot."""
    query = (
        idle_in_bot_phase(inbox.id, quiet_since)
        .order_by(Conversation.id)
        .limit(limit)
        .options(joinedload(Conversation.contact), joinedload(Conversation.assignee))
        .with_for_update(of=Conversation, skip_locked=True)
    )
    closed = 0
    for conversation in await session.scalars(query):
        end_bot_phase(conversation, "idle")
        conversation.status = "resolved"
        conversation.resolved_at = utcnow()
        await append_message(
            session,
            conversation=conversation,
            kind="activity",
            actor=BOT,
            activity={"type": "status_changed", "from": "open", "to": "resolved", "by": "bot"},
        )
        send_event_on_commit(session, events.conversation_changed(conversation))
        closed += 1
    return closed


async def do_mark_turns_reviewed(
    session: AsyncSession, *, turn_ids: Sequence[int], inbox_ids: list[int] | None
) -> int:
    """The learning loop dealt with these turns (a Q&A pair was made from their group, or it
    was dismissed): they leave the report. Only turns of `inbox_ids` (None: any)."""
    query = (
        update(BotTurn)
        .where(BotTurn.id.in_(list(turn_ids)), BotTurn.reviewed_at.is_(None))
        .values(reviewed_at=utcnow())
    )
    if inbox_ids is not None:
        query = query.where(BotTurn.inbox_id.in_(inbox_ids))
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)
