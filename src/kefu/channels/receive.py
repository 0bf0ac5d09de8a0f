"""The one way into kefu for every channel's transport (webhook view, SMTP listener, IMAP
poller): keep the files that came inline, apply the events in one transaction, and only then
return, so the caller acknowledges the provider after the commit."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kefu.attachments.actions import NewAttachment
from kefu.channels.base import InboundEvent
from kefu.channels.inbound import (
    ReceiveResult,
    all_received_before,
    do_receive_channel_events,
)
from kefu.channels.media import MediaRefused, store_media
from kefu.db import Database
from kefu.errors import NotFound
from kefu.inboxes.models import Inbox
from kefu.storage import Storage

log = logging.getLogger(__name__)


async def receive_events(
    *,
    db: Database,
    storage: Storage,
    inbox_id: int,
    events: Sequence[InboundEvent],
    max_file_bytes: int,
) -> ReceiveResult:
    async with db.read() as session:  # a redelivery: answered without taking the writer
        if await all_received_before(session, inbox_id=inbox_id, events=events):
            return ReceiveResult(duplicates=len(events), duplicate_indexes=set(range(len(events))))
    stored: dict[int, list[NewAttachment]] = {}
    refused: dict[int, list[dict[str, str]]] = {}
    for index, event in enumerate(events):
        for media in event.media:
            if media.data is None:
                continue  # fetched from the provider after the commit (kefu.channels.jobs)
            try:
                kept = await store_media(
                    storage,
                    media.data,
                    file_name=media.file_name,
                    content_type=media.content_type,
                    max_bytes=max_file_bytes,
                )
            except MediaRefused as exc:
                refused.setdefault(index, []).append(exc.as_dict())
                continue
            stored.setdefault(index, []).append(kept)
    try:
        async with db.write() as session:
            inbox = await session.get(Inbox, inbox_id)
            if inbox is None:
                raise NotFound("No such inbox.", code="inbox_not_found")
            result = await do_receive_channel_events(
                session, inbox=inbox, events=events, stored=stored, refused=refused
            )
    except BaseException:
        await _delete(storage, [f for files in stored.values() for f in files])
        raise
    await _delete(storage, [f for i in result.duplicate_indexes for f in stored.get(i, ())])
    return result


async def _delete(storage: Storage, files: Sequence[NewAttachment]) -> None:
    for item in files:
        try:
            await storage.delete(item.storage_key)
        except Exception:
            log.exception("could not delete unused channel file %s", item.storage_key)
