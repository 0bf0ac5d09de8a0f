"""Writers for custom attribute definitions (admins) and for conversations' attribute values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.attributes.models import AttributeDefinition
from kefu.attributes.queries import list_definitions
from kefu.attributes.validation import apply_changes, check_changes
from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import AgentPrincipal, Principal
from kefu.conversations import events
from kefu.conversations.models import Conversation
from kefu.errors import Conflict, InvalidInput
from kefu.events.bus import send_event_on_commit
from kefu.messages.actions import append_message

MAX_DEFINITIONS_PER_SCOPE = 100


async def do_create_definition(
    session: AsyncSession,
    *,
    actor: Principal,
    scope: str,
    key: str,
    label: str,
    type: str,
    options: Sequence[str] = (),
) -> AttributeDefinition:
    require_admin(actor)
    count = await session.scalar(
        select(func.count())
        .select_from(AttributeDefinition)
        .where(AttributeDefinition.scope == scope)
    )
    if (count or 0) >= MAX_DEFINITIONS_PER_SCOPE:
        raise InvalidInput("Too many attributes.", code="too_many_attributes")
    definition = AttributeDefinition(
        scope=scope, key=key, label=label, type=type, options=list(options)
    )
    try:
        async with session.begin_nested():
            session.add(definition)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("An attribute with this key exists.", code="attribute_key_taken") from exc
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="attribute.created",
        target_type="attribute",
        target_id=definition.id,
        scope=scope,
        key=key,
        type=type,
    )
    return definition


async def do_update_definition(
    session: AsyncSession,
    *,
    actor: Principal,
    definition: AttributeDefinition,
    label: str | None = None,
    options: Sequence[str] | None = None,
) -> AttributeDefinition:
    """Removing an option leaves the values already stored (they show until changed)."""
    require_admin(actor)
    changes: dict[str, Any] = {}
    if label is not None:
        definition.label = changes["label"] = label
    if options is not None:
        if definition.type != "list":
            raise InvalidInput("Only list attributes have options.", code="bad_attribute")
        if not options:
            raise InvalidInput("A list attribute needs an option.", code="bad_attribute")
        definition.options = changes["options"] = list(options)
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="attribute.updated",
        target_type="attribute",
        target_id=definition.id,
        **changes,
    )
    return definition


async def do_delete_definition(
    session: AsyncSession, *, actor: Principal, definition: AttributeDefinition
) -> None:
    """Values stay in the owners' JSON (hidden without a definition; a new definition with the
    same key shows them again), as Chatwoot keeps them."""
    require_admin(actor)
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="attribute.deleted",
        target_type="attribute",
        target_id=definition.id,
        scope=definition.scope,
        key=definition.key,
    )
    await session.delete(definition)


async def checked_changes(
    session: AsyncSession, *, scope: str, changes: Mapping[str, Any]
) -> dict[str, Any]:
    definitions = await list_definitions(session=session, scope=scope)
    return check_changes(definitions, changes)


async def do_set_conversation_attributes(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    changes: Mapping[str, Any],
) -> Conversation:
    """Set (None: remove) custom attribute values; the caller obtained the conversation through
    access_conversation. Leaves an activity line naming what changed."""
    checked = await checked_changes(session, scope="conversation", changes=changes)
    before = dict(conversation.attributes or {})
    after = apply_changes(before, checked)
    changed = {k: after.get(k) for k in checked if before.get(k) != after.get(k)}
    if not changed:
        return conversation
    conversation.attributes = after
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={"type": "attributes_changed", "by": actor.user.name, "changes": changed},
    )
    send_event_on_commit(session, events.conversation_changed(conversation))
    return conversation
