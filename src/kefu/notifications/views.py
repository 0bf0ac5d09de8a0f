"""The notification centre, notification preferences, conversation participants (followers)
and the @mention picker's candidates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.bounds import IdPath
from kefu.conversations.queries import access_conversation
from kefu.errors import InvalidInput
from kefu.notifications import actions, participants, queries
from kefu.notifications.schemas import (
    MarkReadIn,
    MentionableOut,
    NamedOut,
    NotificationOut,
    NotificationPage,
    ParticipantAdd,
    ParticipantOut,
    Preferences,
    PreferencesOut,
    UnreadOut,
    notification_out,
    participant_out,
)
from kefu.users.queries import get_user

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get("/notifications", response_model=NotificationPage)
async def list_notifications(
    actor: Agent,
    runtime: RuntimeDep,
    unread: bool = False,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = queries.PAGE_SIZE,
) -> NotificationPage:
    """The actor's notifications, most recent first, with the unread count (the bell's)."""
    async with runtime.db.read() as session:
        items, next_cursor = await queries.list_notifications(
            session=session, actor=actor, unread_only=unread, cursor=cursor, limit=limit
        )
        count = await queries.unread_count(session=session, actor=actor)
    return NotificationPage(
        items=[notification_out(n) for n in items], next_cursor=next_cursor, unread_count=count
    )


@router.post("/notifications/read", response_model=UnreadOut)
async def mark_all_read(body: MarkReadIn, actor: Agent, runtime: RuntimeDep) -> UnreadOut:
    """Mark every notification read, or (with `conversation_id`) those of one conversation."""
    async with runtime.db.write() as session:
        if body.conversation_id is not None:
            await access_conversation(
                session=session, actor=actor, conversation_id=body.conversation_id
            )
        count = await actions.do_mark_notifications_read(
            session, actor=actor, conversation_id=body.conversation_id
        )
    return UnreadOut(unread_count=count)


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
async def mark_read(notification_id: IdPath, actor: Agent, runtime: RuntimeDep) -> NotificationOut:
    async with runtime.db.write() as session:
        notification = await queries.access_notification(
            session=session, actor=actor, notification_id=notification_id
        )
        notification = await actions.do_mark_notification_read(
            session, actor=actor, notification=notification
        )
    return notification_out(notification)


@router.get("/me/notification-preferences", response_model=PreferencesOut)
async def get_preferences(actor: Agent, runtime: RuntimeDep) -> PreferencesOut:
    async with runtime.db.read() as session:
        preferences = await queries.get_preferences(session=session, user_id=actor.user_id)
    return actions.preferences_out(preferences)


@router.put("/me/notification-preferences", response_model=PreferencesOut)
async def put_preferences(body: Preferences, actor: Agent, runtime: RuntimeDep) -> PreferencesOut:
    async with runtime.db.write() as session:
        return await actions.do_update_preferences(session, actor=actor, preferences=body)


@router.get("/conversations/{conversation_id}/participants", response_model=list[ParticipantOut])
async def list_participants(
    conversation_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> list[ParticipantOut]:
    async with runtime.db.read() as session:
        await access_conversation(session=session, actor=actor, conversation_id=conversation_id)
        rows = await queries.list_participants(session=session, conversation_id=conversation_id)
    return [participant_out(p) for p in rows]


@router.post("/conversations/{conversation_id}/participants", response_model=list[ParticipantOut])
async def add_participant(
    conversation_id: IdPath, body: ParticipantAdd, actor: Agent, runtime: RuntimeDep
) -> list[ParticipantOut]:
    """Follow the conversation (`user_id` = yourself), or add a colleague (supervisors)."""
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        user = await get_user(session=session, user_id=body.user_id)
        if user is None:
            raise InvalidInput("No such user.", code="unknown_user")
        await participants.do_add_participant(
            session, actor=actor, conversation=conversation, user=user
        )
        rows = await queries.list_participants(session=session, conversation_id=conversation_id)
    return [participant_out(p) for p in rows]


@router.delete(
    "/conversations/{conversation_id}/participants/{user_id}", response_model=list[ParticipantOut]
)
async def remove_participant(
    conversation_id: IdPath, user_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> list[ParticipantOut]:
    """Unfollow (yourself), or remove a colleague (supervisors)."""
    async with runtime.db.write() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        await participants.do_remove_participant(
            session, actor=actor, conversation=conversation, user_id=user_id
        )
        rows = await queries.list_participants(session=session, conversation_id=conversation_id)
    return [participant_out(p) for p in rows]


@router.get("/conversations/{conversation_id}/mentionable", response_model=MentionableOut)
async def mentionable(conversation_id: IdPath, actor: Agent, runtime: RuntimeDep) -> MentionableOut:
    """Whom a note in this conversation may @mention: people who can see it, and their teams."""
    async with runtime.db.read() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        users, teams = await queries.mentionable(session=session, conversation=conversation)
    return MentionableOut(
        users=[NamedOut(id=u.id, name=u.name) for u in users],
        teams=[NamedOut(id=t.id, name=t.name) for t in teams],
    )
