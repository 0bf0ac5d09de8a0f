"""IMAP polling with imaplib against a small IMAP4rev1 server (fake_imap.py) over real TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kefu.channels.email.imap import ImapAccount, ImapCursor, ImapPollError, poll_mailbox
from tests.channels.email.fake_imap import FakeImap, serve_imap

FIXTURES = Path(__file__).parent / "fixtures"


def mail(n: int) -> bytes:
    return f"From: c{n}@example.com\r\nMessage-ID: <m{n}@example.com>\r\n\r\nhi {n}\r\n".encode()


@dataclass
class Store:
    """What the database would hold: the mails delivered and the cursor committed with them."""

    delivered: list[bytes] = field(default_factory=list)
    cursor: ImapCursor | None = None
    fail_on: int | None = None  # raise when delivering this many-th mail

    async def deliver(self, raw: bytes, cursor: ImapCursor) -> None:
        if self.fail_on == len(self.delivered) + 1:
            raise RuntimeError("database unavailable")
        self.delivered.append(raw)
        self.cursor = cursor

    async def poll(self, imap: FakeImap, **account: object) -> ImapCursor:
        values: dict[str, object] = {
            "host": "127.0.0.1",
            "port": imap.port,
            "tls": "none",
            "username": "support@shop.example.com",
            "password": "imap secret",
        }
        values.update(account)
        self.cursor = await poll_mailbox(ImapAccount(**values), self.cursor, self.deliver)  # type: ignore[arg-type]
        return self.cursor


@pytest.fixture
async def imap() -> AsyncIterator[FakeImap]:
    async with serve_imap(FakeImap()) as server:
        yield server


async def test_first_poll_imports_unread_mail_then_only_new_mail_once(imap: FakeImap) -> None:
    imap.add(mail(1), seen=True)  # read by a person before the inbox was connected
    imap.add(mail(2))
    imap.add(mail(3), seen=True)
    imap.add((FIXTURES / "big5_new.eml").read_bytes())
    store = Store()

    cursor = await store.poll(imap)
    assert store.delivered == [mail(2), (FIXTURES / "big5_new.eml").read_bytes()]
    assert cursor == ImapCursor(imap.uidvalidity, 4)
    assert imap.seen() == [1, 2, 3, 4]  # flagged \Seen after they were committed
    assert any("LOGIN" in command for command in imap.commands)
    assert all("RFC822" not in command for command in imap.commands)  # BODY.PEEK[]

    imap.add(mail(5))
    await store.poll(imap)
    assert store.delivered[-1] == mail(5) and len(store.delivered) == 3
    # Nothing new: "6:*" still matches UID 5 on the wire (RFC 3501), which is not re-imported.
    assert await store.poll(imap) == ImapCursor(imap.uidvalidity, 5)
    assert len(store.delivered) == 3


async def test_an_empty_mailbox_starts_after_its_last_uid(imap: FakeImap) -> None:
    imap.add(mail(1), seen=True)
    imap.add(mail(2), seen=True)
    store = Store()
    assert await store.poll(imap) == ImapCursor(imap.uidvalidity, 2)
    assert store.delivered == []


async def test_a_failed_delivery_leaves_the_mail_for_the_next_poll(imap: FakeImap) -> None:
    for n in (1, 2, 3):
        imap.add(mail(n))
    store = Store(fail_on=2)
    with pytest.raises(RuntimeError):
        await store.poll(imap)
    assert store.delivered == [mail(1)]
    assert store.cursor == ImapCursor(imap.uidvalidity, 1)
    assert imap.seen() == [1]  # only what was committed
    store.fail_on = None
    await store.poll(imap)
    assert store.delivered == [mail(1), mail(2), mail(3)]


async def test_a_connection_dropped_mid_poll_loses_and_repeats_nothing(imap: FakeImap) -> None:
    for n in (1, 2, 3):
        imap.add(mail(n))
    imap.drop_at_fetch = 2  # the server (or kefu) goes away during the second fetch
    store = Store()
    with pytest.raises(ImapPollError):
        await store.poll(imap)
    assert store.delivered == [mail(1)]
    imap.drop_at_fetch = None
    await store.poll(imap)
    assert store.delivered == [mail(1), mail(2), mail(3)]


async def test_a_new_uidvalidity_starts_over_from_unread_mail(imap: FakeImap) -> None:
    imap.add(mail(1))
    store = Store()
    await store.poll(imap, mark_seen=False)
    assert imap.seen() == []  # left unread when asked to
    imap.add(mail(2))
    imap.rebuild(uidvalidity=1800000000)
    cursor = await store.poll(imap, mark_seen=False)
    assert cursor == ImapCursor(1800000000, 2)
    # Both are unread, so both come again: the Message-ID de-duplication keeps one of each.
    assert store.delivered == [mail(1), mail(1), mail(2)]


async def test_batches_are_limited(imap: FakeImap) -> None:
    for n in range(1, 6):
        imap.add(mail(n))
    store = Store()
    account = ImapAccount("127.0.0.1", imap.port, "none", imap.username, imap.password)
    store.cursor = await poll_mailbox(account, None, store.deliver, batch=2)
    assert store.cursor.last_uid == 2 and len(store.delivered) == 2
    store.cursor = await poll_mailbox(account, store.cursor, store.deliver, batch=2)
    assert store.cursor.last_uid == 4


async def test_wrong_password_or_folder_is_a_poll_error(imap: FakeImap) -> None:
    imap.add(mail(1))
    store = Store()
    with pytest.raises(ImapPollError, match="AUTHENTICATIONFAILED|Invalid credentials"):
        await store.poll(imap, password="wrong")
    with pytest.raises(ImapPollError, match="SELECT"):
        await store.poll(imap, folder="Support Mail")
    assert store.delivered == []
    assert any('SELECT "Support Mail"' in command for command in imap.commands)
