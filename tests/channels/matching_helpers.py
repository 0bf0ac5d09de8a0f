"""Shared steps of the one-customer-one-history tests: channel inboxes of the fake provider
(tests/channels/core/fake_adapter.py) and inbound events with contact details, received the way
every transport hands them to the core (kefu.channels.receive)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select

from kefu.auth.principals import SystemPrincipal
from kefu.auth.sealing import SecretBox
from kefu.channels.base import InboundEvent
from kefu.channels.receive import receive_events
from kefu.contacts.models import Contact, ContactIdentity
from kefu.inboxes.actions import do_create_inbox
from kefu.inboxes.models import Inbox
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.settings import RoutingSettings
from kefu.runtime import Runtime
from tests.channels.core.fake_adapter import FakeProvider
from tests.channels.provider_server import serve_asgi

_ids = count(1)


@pytest.fixture
async def provider() -> AsyncIterator[tuple[FakeProvider, str]]:
    fake = FakeProvider()
    async with serve_asgi(fake.app) as base:
        yield fake, base


async def channel_inbox(
    runtime: Runtime, base: str, *, name: str, kind: str = "fake", members: list[int]
) -> Inbox:
    async with runtime.db.write() as session:
        inbox = await do_create_inbox(
            session,
            actor=SystemPrincipal(),
            name=name,
            member_ids=members,
            channel_type=kind,
            channel_config={"api_base": base},
            channel_secrets={"signing_secret": "s", "token": "tok"},
            box=SecretBox(runtime.settings.effective_secret_key),
            allow_private_urls=True,
        )
        quiet = RoutingSettings(
            greeting_enabled=False, queued_reply_enabled=False, outside_hours_reply_enabled=False
        )
        await do_update_inbox_routing(session, actor=SystemPrincipal(), inbox=inbox, settings=quiet)
    return inbox


async def receive(
    runtime: Runtime, inbox: Inbox, user: str, *, kind: str = "message", **details: Any
) -> None:
    """One event from `user` (details: text, verified_phone, phone, email, ...)."""
    event = InboundEvent(
        kind=kind,  # type: ignore[arg-type]
        event_id=f"ev-{next(_ids)}",
        external_user_id=user,
        occurred_at=details.pop("at", datetime.now(UTC)),
        text=details.pop("text", "hello" if kind == "message" else ""),
        external_message_id=f"m-{next(_ids)}" if kind == "message" else None,
        **details,
    )
    await receive_events(
        db=runtime.db,
        storage=runtime.storage,
        inbox_id=inbox.id,
        events=[event],
        max_file_bytes=runtime.settings.max_upload_bytes,
    )


async def contact_id_of(runtime: Runtime, inbox: Inbox, user: str) -> int:
    """The live contact holding this channel identity."""
    async with runtime.db.read() as session:
        contact_id = await session.scalar(
            select(ContactIdentity.contact_id).where(
                ContactIdentity.inbox_id == inbox.id, ContactIdentity.external_id == user
            )
        )
        assert contact_id is not None
        contact = await session.get(Contact, contact_id)
        assert contact is not None and contact.merged_into_id is None
        return contact.id


async def live_contacts(runtime: Runtime) -> list[Contact]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(Contact).where(Contact.merged_into_id.is_(None)).order_by(Contact.id)
        )
        return list(rows)
