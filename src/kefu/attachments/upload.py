"""Read a multipart/form-data upload as it streams in, within limits.

Starlette's form parser keeps no per-file limit (only the whole body is bounded), so uploads are
parsed here with python-multipart's streaming parser: each file goes to a temporary file while
its size, SHA-256 and first bytes (for sniffing) are taken; the request is refused the moment a
file passes the inbox's limit, or there are too many files or fields. Temporary files are always
removed when the `read_upload` block ends, whatever happened.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from kefu.attachments.sniff import HEAD_BYTES
from kefu.errors import InvalidInput, PayloadTooLarge

FILE_FIELD = "files"
MAX_FIELD_BYTES = 64 * 1024  # a 10,000-character message in UTF-8 fits
MAX_FIELDS = 8
MAX_PART_HEADERS = 8
# Room for the text fields and the multipart framing, on top of the files themselves.
OVERHEAD_BYTES = MAX_FIELDS * MAX_FIELD_BYTES


@dataclass
class StagedFile:
    """One uploaded file, in a temporary file until it is stored."""

    path: Path
    raw_name: str
    declared_type: str
    size: int = 0
    sha256: str = ""
    head: bytes = b""
    _hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)

    def open(self) -> BinaryIO:
        return open(self.path, "rb")


@dataclass
class Upload:
    fields: dict[str, str]
    files: list[StagedFile]


def format_limit(max_bytes: int) -> str:
    """10485760 -> "10 MB" (binary megabytes, as file managers mostly show them)."""
    mb = max_bytes / (1024 * 1024)
    return f"{mb:.0f} MB" if mb >= 10 or mb == int(mb) else f"{mb:.1f} MB"


def too_large(max_bytes: int) -> PayloadTooLarge:
    limit = format_limit(max_bytes)
    return PayloadTooLarge(
        f"The file is too large (the limit is {limit}).", code="attachment_too_large", limit=limit
    )


class _Parser:
    def __init__(
        self, *, max_file_bytes: int, max_files: int, field_names: Collection[str], tmp: Path
    ) -> None:
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.field_names = field_names
        self.tmp = tmp
        self.fields: dict[str, str] = {}
        self.files: list[StagedFile] = []
        self.handles: list[BinaryIO] = []
        self.writes: list[tuple[BinaryIO, bytes]] = []
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._name = ""
        self._file: StagedFile | None = None
        self._handle: BinaryIO | None = None
        self._data = bytearray()

    # python-multipart callbacks (synchronous: file writes are queued for a thread) -----------

    def on_part_begin(self) -> None:
        self._headers = {}
        self._file = None
        self._handle = None
        self._data = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]
        if len(self._header_name) > 200:
            raise _bad("A part header is too long.")

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > 4096:
            raise _bad("A part header is too long.")

    def on_header_end(self) -> None:
        if len(self._headers) >= MAX_PART_HEADERS:
            raise _bad("Too many part headers.")
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        raw = self._headers.get(b"content-disposition", b"").decode("latin-1")
        disposition, options = parse_options_header(raw)
        if disposition != b"form-data" or b"name" not in options:
            raise _bad("Every part needs a form-data name.")
        self._name = _decode(options[b"name"])
        if b"filename" in options:
            if self._name != FILE_FIELD:
                raise _bad(f"Files go in the '{FILE_FIELD}' field.")
            if len(self.files) >= self.max_files:
                raise InvalidInput(
                    f"At most {self.max_files} files per message.",
                    code="too_many_attachments",
                    max=self.max_files,
                )
            fd, name = tempfile.mkstemp(prefix="kefu-upload-", dir=self.tmp)
            self._handle = os.fdopen(fd, "wb")
            self.handles.append(self._handle)
            declared = self._headers.get(b"content-type", b"").decode("latin-1")
            self._file = StagedFile(
                path=Path(name), raw_name=_decode(options[b"filename"]), declared_type=declared
            )
            self.files.append(self._file)
        else:
            if self._name not in self.field_names or self._name in self.fields:
                raise _bad(f"Unexpected or repeated field {self._name[:40]!r}.")
            if len(self.fields) >= MAX_FIELDS:
                raise _bad("Too many fields.")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        staged = self._file
        if staged is None:
            if len(self._data) + len(chunk) > MAX_FIELD_BYTES:
                raise _bad(f"The field {self._name!r} is too long.")
            self._data += chunk
            return
        staged.size += len(chunk)
        if staged.size > self.max_file_bytes:
            raise too_large(self.max_file_bytes)
        staged._hash.update(chunk)
        if len(staged.head) < HEAD_BYTES:
            staged.head += chunk[: HEAD_BYTES - len(staged.head)]
        assert self._handle is not None
        self.writes.append((self._handle, chunk))

    def on_part_end(self) -> None:
        if self._file is not None:
            self._file.sha256 = self._file._hash.hexdigest()
        else:
            try:
                self.fields[self._name] = self._data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _bad(f"The field {self._name!r} is not UTF-8.") from exc

    def flush(self) -> None:
        """Write the queued file data (in a worker thread)."""
        writes, self.writes = self.writes, []
        for handle, chunk in writes:
            handle.write(chunk)

    def close(self) -> None:
        for handle in self.handles:
            handle.close()


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, code="bad_upload")


@asynccontextmanager
async def read_upload(
    request: Request,
    *,
    max_file_bytes: int,
    max_files: int,
    field_names: Collection[str],
    tmp: Path | None = None,
) -> AsyncIterator[Upload]:
    """Parse the request's multipart body; the files exist until the block ends."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise _bad("Send files as multipart/form-data.")
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > (
        max_files * max_file_bytes + OVERHEAD_BYTES
    ):
        raise too_large(max_file_bytes)
    parser = _Parser(
        max_file_bytes=max_file_bytes,
        max_files=max_files,
        field_names=field_names,
        tmp=tmp or Path(tempfile.gettempdir()),
    )
    callbacks = {
        "on_part_begin": parser.on_part_begin,
        "on_part_data": parser.on_part_data,
        "on_part_end": parser.on_part_end,
        "on_header_field": parser.on_header_field,
        "on_header_value": parser.on_header_value,
        "on_header_end": parser.on_header_end,
        "on_headers_finished": parser.on_headers_finished,
    }
    try:
        try:
            multipart = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
            async for chunk in request.stream():
                multipart.write(chunk)
                if parser.writes:
                    await asyncio.to_thread(parser.flush)
            multipart.finalize()
            if parser.writes:
                await asyncio.to_thread(parser.flush)
        except FormParserError as exc:
            raise _bad("The multipart body is malformed.") from exc
        finally:
            parser.close()
        if any(not f.sha256 for f in parser.files):
            raise _bad("The multipart body ended in the middle of a file.")
        yield Upload(fields=parser.fields, files=parser.files)
    finally:
        for staged in parser.files:
            staged.path.unlink(missing_ok=True)
