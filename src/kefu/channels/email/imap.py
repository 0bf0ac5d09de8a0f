"""IMAP polling of an existing mailbox (stdlib imaplib, run in a thread).

The cursor is the mailbox's UIDVALIDITY and the last UID imported (RFC 3501 2.3.1.1: UIDs only
grow while UIDVALIDITY stays the same). Each poll fetches the messages after the cursor, oldest
first, and hands each to `deliver(raw, cursor_after_it)`, which commits the mail and the new
cursor in one transaction; only then is the message flagged \\Seen (optional). A poll cut short
(a restart, a dropped connection) resumes after the last committed message: nothing is lost,
and the Message-ID de-duplication covers the rest.

The first poll of a mailbox (or after UIDVALIDITY changed: the server rebuilt it) imports the
unread (\\Seen-less) messages and then follows UIDs: mail already read by people before the inbox
was connected stays out of kefu. Messages are fetched with BODY.PEEK[], which does not set
\\Seen by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

IMAP_TIMEOUT_SECONDS = 60
DEFAULT_BATCH = 100


class ImapPollError(Exception):
    """The mailbox could not be polled (connection, login, folder); the next poll tries again."""


@dataclass(frozen=True, slots=True)
class ImapCursor:
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True, slots=True)
class ImapAccount:
    host: str
    port: int
    tls: Literal["starttls", "tls", "none"]
    username: str
    password: str
    folder: str = "INBOX"
    mark_seen: bool = True


Deliver = Callable[[bytes, ImapCursor], Awaitable[None]]


def _quoted(mailbox: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib sends arguments as they are)."""
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Session:
    """The blocking IMAP conversation; every method runs in a worker thread."""

    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self.conn: imaplib.IMAP4 | None = None

    def _check(self, result: tuple[str, Sequence[object]], what: str) -> Sequence[object]:
        status, data = result
        if status != "OK":
            detail = b" ".join(item for item in data if isinstance(item, bytes))
            raise ImapPollError(f"IMAP {what}: {status} {detail.decode('utf-8', 'replace')}")
        return data

    def open(self) -> tuple[int, int | None]:
        """Connect, log in, select the folder: (UIDVALIDITY, UIDNEXT or None)."""
        account = self.account
        try:
            if account.tls == "tls":
                self.conn = imaplib.IMAP4_SSL(
                    account.host,
                    account.port,
                    ssl_context=ssl.create_default_context(),
                    timeout=IMAP_TIMEOUT_SECONDS,
                )
            else:
                self.conn = imaplib.IMAP4(account.host, account.port, timeout=IMAP_TIMEOUT_SECONDS)
                if account.tls == "starttls":
                    self.conn.starttls(ssl.create_default_context())
            self._check(self.conn.login(account.username, account.password), "LOGIN")
            self._check(self.conn.select(_quoted(account.folder)), "SELECT")
        except (OSError, imaplib.IMAP4.error) as error:
            raise ImapPollError(f"IMAP {account.host}:{account.port}: {error}") from error
        return self._code("UIDVALIDITY") or 0, self._code("UIDNEXT")

    def _code(self, name: str) -> int | None:
        assert self.conn is not None
        _, values = self.conn.response(name)
        for value in values or []:
            if isinstance(value, bytes) and value.strip().isdigit():
                return int(value)
        return None

    def search(self, criteria: str) -> list[int]:
        assert self.conn is not None
        data = self._check(self.conn.uid("SEARCH", criteria), "UID SEARCH")
        found: list[int] = []
        for line in data:
            if isinstance(line, bytes):
                found += [int(token) for token in line.split() if token.isdigit()]
        return sorted(set(found))

    def fetch(self, uid: int) -> bytes | None:
        """The message's bytes, or None when it was expunged meanwhile."""
        assert self.conn is not None
        data = self._check(self.conn.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                head = item[0] if isinstance(item[0], bytes) else b""
                match = re.search(rb"UID (\d+)", head)
                if match is None or int(match.group(1)) == uid:
                    return item[1]
        return None

    def mark_seen(self, uid: int) -> None:
        assert self.conn is not None
        self._check(self.conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"), "UID STORE")

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.logout()
        except (OSError, imaplib.IMAP4.error):
            # The connection is gone already: still release the socket.
            with contextlib.suppress(OSError):
                self.conn.shutdown()
        self.conn = None


async def poll_mailbox(
    account: ImapAccount,
    cursor: ImapCursor | None,
    deliver: Deliver,
    *,
    batch: int = DEFAULT_BATCH,
) -> ImapCursor:
    """Import the messages after `cursor` (at most `batch` of them); returns the cursor to keep
    for the next poll (the caller stores it: it may have moved without a delivery, e.g. past
    already-read mail on the first poll)."""
    session = _Session(account)
    try:
        return await _poll(session, account, cursor, deliver, batch)
    except (OSError, imaplib.IMAP4.error) as error:
        # A dropped connection or a server error mid-poll: what was delivered stays delivered
        # (its cursor is committed with it); the next poll resumes after it.
        raise ImapPollError(f"IMAP {account.host}:{account.port}: {error}") from error
    finally:
        await asyncio.to_thread(session.close)


async def _poll(
    session: _Session,
    account: ImapAccount,
    cursor: ImapCursor | None,
    deliver: Deliver,
    batch: int,
) -> ImapCursor:
    uidvalidity, uidnext = await asyncio.to_thread(session.open)
    if cursor is None or cursor.uidvalidity != uidvalidity:
        uids = await asyncio.to_thread(session.search, "UNSEEN")
        if uidnext is not None:
            baseline = uidnext - 1
        else:
            everything = await asyncio.to_thread(session.search, "ALL")
            baseline = everything[-1] if everything else 0
        start = ImapCursor(uidvalidity, 0)
    else:
        # "n:*" always includes the newest message even when its UID is below n (RFC 3501
        # 6.4.8), so the result is filtered.
        found = await asyncio.to_thread(session.search, f"UID {cursor.last_uid + 1}:*")
        uids = [uid for uid in found if uid > cursor.last_uid]
        baseline = 0
        start = cursor
    current = start
    for uid in uids[:batch]:
        raw = await asyncio.to_thread(session.fetch, uid)
        current = ImapCursor(uidvalidity, uid)
        if raw is None:
            continue
        await deliver(raw, current)
        if account.mark_seen:
            await asyncio.to_thread(session.mark_seen, uid)
    if len(uids) <= batch and baseline > current.last_uid:
        current = ImapCursor(uidvalidity, baseline)
    return current
