"""Writers for tags: the catalogue (admins), and the tags on a conversation (every agent who may
see it; a name not yet in the catalogue is added to it with a default colour).

`Conversation.tags` (names, in the order added) and the `conversation_tags` rows are always
written together, here, under the conversation's row lock, so that the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import AgentPrincipal, Principal
from kefu.conversations import events
from kefu.conversations.models import Conversation, new_report_version
from kefu.db import dialect_insert, utcnow
from kefu.errors import Conflict, InvalidInput
from kefu.events import types
from kefu.events.bus import send_event_on_commit
from kefu.events.types import Event
from kefu.messages.actions import append_message
from kefu.tags.models import ConversationTag, Tag
from kefu.tags.names import clean_colour, clean_tag_name, default_colour, tag_key
from kefu.tags.queries import tags_by_key
from kefu.users.models import User

MAX_TAGS_PER_CONVERSATION = 30
MAX_CATALOGUE = 1000


def unique_by_key(names: Iterable[str]) -> list[str]:
    """Names without repeats (regardless of case and width), each in its first spelling."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(tag_key(name), name)
    return list(seen.values())


async def _catalogue_room(session: AsyncSession, wanted: int) -> None:
    count = int(await session.scalar(select(func.count(Tag.id))) or 0)
    if count + wanted > MAX_CATALOGUE:
        raise InvalidInput(
            f"The tag list is full ({MAX_CATALOGUE} tags).",
            code="tag_catalogue_full",
            max=MAX_CATALOGUE,
        )


async def ensure_tags(
    session: AsyncSession, names: Sequence[str], *, created_by: int | None
) -> list[Tag]:
    """The catalogue tags for these (already cleaned) names, in order and without repeats,
    creating the missing ones with their default colour. Two nodes creating the same new name
    at once meet on the unique key: both end up with the one row."""
    keys = list(dict.fromkeys(tag_key(n) for n in names))
    found = await tags_by_key(session=session, keys=keys)
    missing = unique_by_key(n for n in names if tag_key(n) not in found)
    if missing:
        await _catalogue_room(session, len(missing))
        now = utcnow()
        await session.execute(
            dialect_insert(session)(Tag)
            .values(
                [
                    {
                        "name": n,
                        "key": tag_key(n),
                        "colour": default_colour(n),
                        "created_by_id": created_by,
                        "created_at": now,
                    }
                    for n in missing
                ]
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        found = await tags_by_key(session=session, keys=keys)
        await _catalogue_changed(session)  # consoles learn the new names' colours
    return [found[k] for k in keys]


def _actor_name(actor: Principal) -> str | None:
    return actor.user.name if isinstance(actor, AgentPrincipal) else None


async def _write_tags(
    session: AsyncSession,
    conversation: Conversation,
    names: list[str],
    *,
    add_ids: Iterable[int] = (),
    remove_ids: Iterable[int] = (),
) -> None:
    conversation.tags = names
    remove = sorted(set(remove_ids))
    if remove:
        await session.execute(
            delete(ConversationTag).where(
                ConversationTag.conversation_id == conversation.id,
                ConversationTag.tag_id.in_(remove),
            )
        )
    add = sorted(set(add_ids))
    if add:
        await session.execute(
            dialect_insert(session)(ConversationTag)
            .values([{"conversation_id": conversation.id, "tag_id": i} for i in add])
            .on_conflict_do_nothing(index_elements=["conversation_id", "tag_id"])
        )


async def _lock_tags(session: AsyncSession, conversation: Conversation) -> list[str]:
    """The conversation's current tags, read under its row lock (two agents tagging at once
    must not overwrite each other's list)."""
    current = await session.scalar(
        select(Conversation.tags).where(Conversation.id == conversation.id).with_for_update()
    )
    return list(current or [])


async def do_change_conversation_tags(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    conversation: Conversation,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> Conversation:
    """Add and remove tags (removals first, so a name in both ends up on). Names are matched
    to the catalogue regardless of case; unknown names are created. Leaves one activity line
    naming what was added and removed; nothing at all when nothing changed. The caller got
    `conversation` through access_conversation."""
    to_add = [clean_tag_name(n) for n in add]
    remove_keys = {tag_key(clean_tag_name(n)) for n in remove}
    current = await _lock_tags(session, conversation)
    kept = [n for n in current if tag_key(n) not in remove_keys]
    removed = [n for n in current if tag_key(n) in remove_keys]
    present = {tag_key(n) for n in kept}
    new_names = [n for n in to_add if tag_key(n) not in present]
    tags = await ensure_tags(session, new_names, created_by=actor.user_id) if new_names else []
    added = [t for t in tags if t.key not in present]
    result = kept + [t.name for t in added]
    if len(result) > MAX_TAGS_PER_CONVERSATION:
        raise InvalidInput(
            f"A conversation has at most {MAX_TAGS_PER_CONVERSATION} tags.",
            code="too_many_tags",
            max=MAX_TAGS_PER_CONVERSATION,
        )
    # A tag removed and added again in one request is no change.
    readded = {t.key for t in added} & {tag_key(n) for n in removed}
    removed = [n for n in removed if tag_key(n) not in readded]
    added = [t for t in added if t.key not in readded]
    if not added and not removed:
        if result != current:  # only a re-spelling: keep the list in catalogue spelling
            conversation.tags = result
        return conversation
    removed_tags = await tags_by_key(session=session, keys=[tag_key(n) for n in removed])
    await _write_tags(
        session,
        conversation,
        result,
        add_ids=[t.id for t in added],
        remove_ids=[t.id for t in removed_tags.values()],
    )
    await append_message(
        session,
        conversation=conversation,
        kind="activity",
        actor=actor,
        activity={
            "type": "tags_changed",
            "by": actor.user.name,
            "added": [t.name for t in added],
            "removed": removed,
        },
    )
    send_event_on_commit(session, events.conversation_changed(conversation))
    return conversation


async def add_rule_tags(
    session: AsyncSession, conversation: Conversation, names: Sequence[str]
) -> list[str]:
    """Tags a routing rule puts on a conversation the caller has locked (do_route_conversation):
    into the catalogue, onto the conversation, within the per-conversation limit (the rest is
    dropped: routing never fails on a tag). The `routed` activity line names them. Returns the
    names added, in catalogue spelling."""
    cleaned: list[str] = []
    for raw in names:
        try:
            cleaned.append(clean_tag_name(raw))
        except InvalidInput:
            continue  # a rule saved with a name the catalogue refuses: skip it
    current = list(conversation.tags or [])
    present = {tag_key(n) for n in current}
    cleaned = [n for n in cleaned if tag_key(n) not in present]
    room = MAX_TAGS_PER_CONVERSATION - len(current)
    cleaned = unique_by_key(cleaned)[: max(room, 0)]
    if not cleaned:
        return []
    try:
        tags = await ensure_tags(session, cleaned, created_by=None)
    except InvalidInput:  # the catalogue is full: only existing tags
        found = await tags_by_key(session=session, keys=[tag_key(n) for n in cleaned])
        tags = [found[tag_key(n)] for n in cleaned if tag_key(n) in found]
    await _write_tags(
        session, conversation, current + [t.name for t in tags], add_ids=[t.id for t in tags]
    )
    return [t.name for t in tags]


# --- the catalogue (admins) -------------------------------------------------------------------


async def _catalogue_changed(session: AsyncSession) -> None:
    """Every console reloads the catalogue (names and colours): a personal event to each
    active user, since the catalogue is not tied to one inbox."""
    user_ids = tuple(await session.scalars(select(User.id).where(User.is_active.is_(True))))
    if user_ids:
        send_event_on_commit(
            session,
            Event(
                type=types.TAGS_CHANGED,
                inbox_id=None,
                agent={"type": types.TAGS_CHANGED},
                user_ids=user_ids,
            ),
        )


async def _name_taken(session: AsyncSession, key: str, except_id: int | None = None) -> None:
    query = select(Tag.id).where(Tag.key == key)
    if except_id is not None:
        query = query.where(Tag.id != except_id)
    if await session.scalar(query) is not None:
        raise Conflict("A tag with this name already exists.", code="tag_name_taken")


async def do_create_tag(
    session: AsyncSession, *, actor: Principal, name: str, colour: str | None = None
) -> Tag:
    require_admin(actor)
    name = clean_tag_name(name)
    colour = clean_colour(colour) if colour is not None else default_colour(name)
    await _name_taken(session, tag_key(name))
    await _catalogue_room(session, 1)
    tag = Tag(
        name=name,
        key=tag_key(name),
        colour=colour,
        created_by_id=actor_user_id(actor),
        created_at=utcnow(),
    )
    session.add(tag)
    await session.flush()
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="tag.created",
        target_type="tag",
        target_id=tag.id,
        name=name,
        colour=colour,
    )
    await _catalogue_changed(session)
    return tag


async def _rewrite_conversations(session: AsyncSession, tag: Tag, new_name: str | None) -> int:
    """Rename (or, with None, drop) `tag` in the name list of every conversation carrying it,
    each under its row lock. No activity lines: the catalogue changed, not the conversations."""
    rows = (
        await session.execute(
            select(Conversation.id, Conversation.tags)
            .where(
                Conversation.id.in_(
                    select(ConversationTag.conversation_id).where(ConversationTag.tag_id == tag.id)
                )
            )
            .with_for_update()
        )
    ).all()
    for row in rows:
        names: list[str] = []
        for name in row.tags or []:
            if tag_key(name) != tag.key:
                names.append(name)
            elif new_name is not None:
                names.append(new_name)
        await session.execute(
            update(Conversation)
            .where(Conversation.id == row.id)
            .values(tags=names, reports_version=new_report_version())  # reports' tag names
            .execution_options(synchronize_session=False)
        )
    return len(rows)


async def do_update_tag(
    session: AsyncSession,
    *,
    actor: Principal,
    tag: Tag,
    name: str | None = None,
    colour: str | None = None,
) -> Tag:
    """Rename and/or recolour; a rename reaches every conversation carrying the tag."""
    require_admin(actor)
    changes: dict[str, str] = {}
    if colour is not None:
        colour = clean_colour(colour)
        if colour != tag.colour:
            changes["colour"] = colour
            tag.colour = colour
    if name is not None:
        name = clean_tag_name(name)
        if name != tag.name:
            await _name_taken(session, tag_key(name), except_id=tag.id)
            await _rewrite_conversations(session, tag, name)
            changes["name"] = name
            tag.name = name
            tag.key = tag_key(name)
    if changes:
        await session.flush()
        record_audit(
            session,
            actor_user_id=actor_user_id(actor),
            action="tag.updated",
            target_type="tag",
            target_id=tag.id,
            **changes,
        )
        await _catalogue_changed(session)
    return tag


async def do_delete_tag(session: AsyncSession, *, actor: Principal, tag: Tag) -> None:
    """Delete from the catalogue and from every conversation carrying it."""
    require_admin(actor)
    count = await _rewrite_conversations(session, tag, None)
    await session.execute(delete(ConversationTag).where(ConversationTag.tag_id == tag.id))
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="tag.deleted",
        target_type="tag",
        target_id=tag.id,
        name=tag.name,
        conversations=count,
    )
    await session.delete(tag)
    await session.flush()
    await _catalogue_changed(session)
