"""One customer, one history (kefu.channels.matching): phone numbers and addresses normalised;
a verified match merges at once (WhatsApp's number == the host site's signed number), an
uncertain one is proposed; two new contacts with the same verified number at once end as one."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kefu.channels.matching import mask, normalize_email, normalize_phone
from kefu.contacts.models import ContactActivity, ContactMergeSuggestion
from kefu.identity.actions import details_message, user_hash
from kefu.runtime import Runtime
from tests.channels.matching_helpers import (
    channel_inbox,
    contact_id_of,
    live_contacts,
    provider,
    receive,
)
from tests.conftest import Workspace, agent_client
from tests.contacts.helpers import chat, contact_of

__all__ = ["provider"]  # the fixture, imported for this module's tests

PHONE = "+886912345678"


@pytest.mark.parametrize(
    "raw",
    ["0912-345-678", "0912 345 678", "+886 912 345 678", "886912345678", "+886-912-345-678"],
)
def test_taiwan_numbers_normalise_to_e164(raw: str) -> None:
    assert normalize_phone(raw) == PHONE


def test_other_numbers_and_addresses() -> None:
    assert normalize_phone("+1 (650) 253-0000") == "+16502530000"
    assert normalize_phone("16502530000") == "+16502530000"  # a wa_id without "+"
    assert normalize_phone("02 2345 6789") == "+886223456789"
    assert normalize_phone("12") is None and normalize_phone("call me") is None
    assert normalize_phone("") is None and normalize_phone(None) is None
    assert normalize_email("  Chen@Example.COM ") == "chen@example.com"
    assert normalize_email("nobody") is None and normalize_email("@") is None
    assert mask("phone", PHONE) == "+886*****5678"
    assert mask("email", "chen@example.com") == "c***@example.com"


async def identify_site_user(
    app: FastAPI, client: httpx.AsyncClient, workspace: Workspace, *, phone: str, signed: bool
) -> int:
    """A website visitor who chats, then is identified by the host site with its phone number
    (signed with details_hash when `signed`); returns the contact id."""
    admin = await agent_client(app, workspace.admin.email)
    inbox = workspace.inbox
    secret = (await admin.post(f"/api/v1/inboxes/{inbox.id}/identity/secret")).json()["secret"]
    token = await chat(client, inbox, "網站上的問題")
    user = {
        "id": "u-7",
        "name": "林先生",
        "email": "lin@example.com",
        "phone": phone,
        "hash": user_hash(secret, "u-7"),
    }
    if signed:
        user["details_hash"] = user_hash(secret, details_message("u-7", user["email"], phone))
    r = await client.post(
        f"/api/v1/widget/{inbox.public_key}/session",
        json=user,
        headers={"x-kefu-visitor": token},
    )
    assert r.status_code == 200 and r.json()["verified"], r.text
    contact_id = await contact_of(admin, "網站上的問題")
    await admin.aclose()
    return contact_id


async def test_whatsapp_number_merges_into_the_identified_site_user(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    provider: tuple[object, str],
) -> None:
    site_contact = await identify_site_user(
        app, client, workspace, phone="0912-345-678", signed=True
    )
    wa = await channel_inbox(runtime, provider[1], name="WhatsApp", members=[workspace.agent.id])
    # WhatsApp vouches for the sender's number (its wa_id, digits without "+").
    await receive(runtime, wa, "886912345678", verified_phone="886912345678", text="我的訂單")
    assert await contact_id_of(runtime, wa, "886912345678") == site_contact
    assert [c.id for c in await live_contacts(runtime)] == [site_contact]
    async with runtime.db.read() as session:
        merged = await session.scalar(
            select(ContactActivity).where(
                ContactActivity.contact_id == site_contact, ContactActivity.action == "merged"
            )
        )
        assert merged is not None and merged.details["reason"] == "same verified phone"
        assert await session.scalar(select(ContactMergeSuggestion.id)) is None
    # The contact's timeline: the website conversation and the WhatsApp one.
    admin = await agent_client(app, workspace.admin.email)
    timeline = (await admin.get(f"/api/v1/contacts/{site_contact}/conversations")).json()
    assert {c["inbox_id"] for c in timeline["items"]} == {workspace.inbox.id, wa.id}
    profile = (await admin.get(f"/api/v1/contacts/{site_contact}")).json()
    assert {i["channel_type"] for i in profile["identities"]} >= {"site_user", "fake"}
    await admin.aclose()


async def test_unsigned_site_details_are_only_proposed(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    workspace: Workspace,
    provider: tuple[object, str],
) -> None:
    """The user hash vouches for the user id only: a phone sent along without details_hash
    could be anyone's, so it never merges by itself."""
    site_contact = await identify_site_user(
        app, client, workspace, phone="0912 345 678", signed=False
    )
    wa = await channel_inbox(runtime, provider[1], name="WhatsApp", members=[workspace.agent.id])
    await receive(runtime, wa, "886912345678", verified_phone="+886912345678")
    wa_contact = await contact_id_of(runtime, wa, "886912345678")
    assert wa_contact != site_contact
    async with runtime.db.read() as session:
        [suggestion] = (await session.scalars(select(ContactMergeSuggestion))).all()
    assert (suggestion.contact_id, suggestion.other_contact_id) == (site_contact, wa_contact)
    assert (suggestion.reason, suggestion.matched_value, suggestion.status) == (
        "same_phone",
        PHONE,
        "pending",
    )


async def test_claimed_details_are_proposed_never_merged(
    runtime: Runtime, workspace: Workspace, provider: tuple[object, str]
) -> None:
    line = await channel_inbox(runtime, provider[1], name="LINE", members=[workspace.agent.id])
    mail = await channel_inbox(runtime, provider[1], name="Mail", members=[workspace.agent.id])
    wa = await channel_inbox(
        runtime, provider[1], name="WhatsApp", kind="fakewin", members=[workspace.agent.id]
    )
    await receive(runtime, line, "U1", phone="0912-345-678", verified_email="chen@example.com")
    await receive(runtime, wa, "886912345678", verified_phone="886912345678")  # vs a claimed phone
    await receive(runtime, mail, "chen@example.com", email="Chen@Example.com")  # a From: address
    a, b, c = (
        await contact_id_of(runtime, line, "U1"),
        await contact_id_of(runtime, wa, "886912345678"),
        await contact_id_of(runtime, mail, "chen@example.com"),
    )
    assert len({a, b, c}) == 3
    async with runtime.db.read() as session:
        query = select(ContactMergeSuggestion).order_by(ContactMergeSuggestion.id)
        rows = (await session.scalars(query)).all()
    assert [(r.contact_id, r.other_contact_id, r.reason) for r in rows] == [
        (a, b, "same_phone"),
        (a, c, "same_email"),
    ]
    # The same customer writing again proposes nothing new.
    await receive(runtime, mail, "chen@example.com", email="chen@example.com")
    async with runtime.db.read() as session:
        assert len((await session.scalars(select(ContactMergeSuggestion))).all()) == 2


async def test_two_new_contacts_with_one_verified_number_at_once_become_one(
    runtime: Runtime, workspace: Workspace, provider: tuple[object, str]
) -> None:
    first = await channel_inbox(runtime, provider[1], name="WA 1", members=[workspace.agent.id])
    second = await channel_inbox(runtime, provider[1], name="WA 2", members=[workspace.agent.id])
    await asyncio.gather(
        receive(runtime, first, "886912345678", verified_phone="886912345678", text="one"),
        receive(runtime, second, "886912345678", verified_phone="+886912345678", text="two"),
    )
    [contact] = await live_contacts(runtime)
    assert contact.verified_phone == PHONE
    assert await contact_id_of(runtime, first, "886912345678") == contact.id
    assert await contact_id_of(runtime, second, "886912345678") == contact.id
    async with runtime.db.read() as session:
        merges = (
            await session.scalars(select(ContactActivity).where(ContactActivity.action == "merged"))
        ).all()
    assert len(merges) == 1
