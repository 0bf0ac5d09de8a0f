"""A small IMAP4rev1 server (RFC 3501) for tests: one mailbox, the commands kefu's poller uses
(CAPABILITY, LOGIN, SELECT, UID SEARCH, UID FETCH, UID STORE, NOOP, LOGOUT), real wire format
(tagged responses, literals, UIDVALIDITY / UIDNEXT response codes), so imaplib talks to it as to
Dovecot."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tests.conftest import free_port


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class FakeImap:
    username: str = "support@shop.example.com"
    password: str = "imap secret"
    folder: str = "INBOX"
    uidvalidity: int = 1700000000
    mails: list[StoredMail] = field(default_factory=list)
    next_uid: int = 1
    port: int = 0
    commands: list[str] = field(default_factory=list)
    # Close the connection instead of answering the n-th UID FETCH (a crash mid-poll).
    drop_at_fetch: int | None = None
    fetches: int = 0

    def add(self, raw: bytes, *, seen: bool = False) -> int:
        uid = self.next_uid
        self.next_uid += 1
        self.mails.append(StoredMail(uid, raw, {"\\Seen"} if seen else set()))
        return uid

    def rebuild(self, uidvalidity: int) -> None:
        """The server renumbered the mailbox (UIDVALIDITY changes, RFC 3501 2.3.1.1)."""
        self.uidvalidity = uidvalidity
        self.next_uid = 1
        for mail in self.mails:
            mail.uid = self.next_uid
            self.next_uid += 1

    def seen(self) -> list[int]:
        return [mail.uid for mail in self.mails if "\\Seen" in mail.flags]

    # -- the protocol ------------------------------------------------------------------------

    def _uids(self, spec: str) -> list[int]:
        """A UID set: "3", "3:7", "5:*", "1,4:6" ("*" is the largest UID in use)."""
        largest = max((mail.uid for mail in self.mails), default=0)
        wanted: set[int] = set()
        for item in spec.split(","):
            low, _, high = item.partition(":")
            first = largest if low == "*" else int(low)
            last = first if not high else largest if high == "*" else int(high)
            first, last = min(first, last), max(first, last)
            wanted |= {mail.uid for mail in self.mails if first <= mail.uid <= last}
        return sorted(wanted)

    def _search(self, criteria: str) -> list[int]:
        tokens = criteria.upper().split()
        found = {mail.uid for mail in self.mails}
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token == "ALL":
                pass
            elif token == "UNSEEN":
                found &= {mail.uid for mail in self.mails if "\\Seen" not in mail.flags}
            elif token == "SEEN":
                found &= set(self.seen())
            elif token == "UID":
                index += 1
                found &= set(self._uids(tokens[index]))
            else:
                raise ValueError(token)
            index += 1
        return sorted(found)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def line(text: str) -> None:
            writer.write(text.encode() + b"\r\n")

        authenticated = selected = False
        line("* OK fake IMAP4rev1 server ready")
        try:
            while True:
                request = await reader.readline()
                if not request:
                    return
                text = request.decode().rstrip("\r\n")
                self.commands.append(text)
                tag, _, rest = text.partition(" ")
                command, _, args = rest.partition(" ")
                command = command.upper()
                if command == "UID":
                    sub, _, args = args.partition(" ")
                    command = f"UID {sub.upper()}"
                if command == "CAPABILITY":
                    line("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                    line(f"{tag} OK CAPABILITY completed")
                elif command == "NOOP":
                    line(f"{tag} OK NOOP completed")
                elif command == "LOGOUT":
                    line("* BYE logging out")
                    line(f"{tag} OK LOGOUT completed")
                    await writer.drain()
                    return
                elif command == "LOGIN":
                    user, password = _strings(args)
                    if (user, password) != (self.username, self.password):
                        line(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
                    else:
                        authenticated = True
                        line(f"{tag} OK LOGIN completed")
                elif not authenticated:
                    line(f"{tag} BAD not authenticated")
                elif command == "SELECT":
                    [name] = _strings(args)
                    if name != self.folder:
                        line(f"{tag} NO [NONEXISTENT] Mailbox doesn't exist: {name}")
                        continue
                    selected = True
                    line(f"* {len(self.mails)} EXISTS")
                    line("* 0 RECENT")
                    line("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
                    line(f"* OK [UIDVALIDITY {self.uidvalidity}] UIDs valid")
                    line(f"* OK [UIDNEXT {self.next_uid}] Predicted next UID")
                    line(f"{tag} OK [READ-WRITE] SELECT completed")
                elif not selected:
                    line(f"{tag} BAD no mailbox selected")
                elif command == "UID SEARCH":
                    found = self._search(args)
                    line("* SEARCH" + "".join(f" {uid}" for uid in found))
                    line(f"{tag} OK SEARCH completed")
                elif command == "UID FETCH":
                    self.fetches += 1
                    if self.drop_at_fetch == self.fetches:
                        writer.close()
                        return
                    spec, _, items = args.partition(" ")
                    for uid in self._uids(spec):
                        mail = next(m for m in self.mails if m.uid == uid)
                        seq = self.mails.index(mail) + 1
                        peek = "BODY.PEEK[]" in items.upper()
                        name = "BODY[]" if peek or "BODY[]" in items.upper() else "RFC822"
                        if not peek:
                            mail.flags.add("\\Seen")
                        writer.write(
                            f"* {seq} FETCH (UID {uid} {name} {{{len(mail.raw)}}}\r\n".encode()
                            + mail.raw
                            + b")\r\n"
                        )
                    line(f"{tag} OK FETCH completed")
                elif command == "UID STORE":
                    spec, operation, flags = args.split(" ", 2)
                    names = set(flags.strip("()").split())
                    for uid in self._uids(spec):
                        mail = next(m for m in self.mails if m.uid == uid)
                        if operation.upper().startswith("+"):
                            mail.flags |= names
                        elif operation.upper().startswith("-"):
                            mail.flags -= names
                        else:
                            mail.flags = names
                    line(f"{tag} OK STORE completed")
                else:
                    line(f"{tag} BAD unknown command")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


def _strings(args: str) -> list[str]:
    """IMAP astrings: atoms or quoted strings with \\ escapes."""
    out: list[str] = []
    for quoted, atom in re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', args):
        out.append(re.sub(r"\\(.)", r"\1", quoted) if quoted or not atom else atom)
    return out


@asynccontextmanager
async def serve_imap(imap: FakeImap) -> AsyncIterator[FakeImap]:
    imap.port = free_port()
    server = await asyncio.start_server(imap._session, "127.0.0.1", imap.port)
    try:
        yield imap
    finally:
        server.close()
        await server.wait_closed()
