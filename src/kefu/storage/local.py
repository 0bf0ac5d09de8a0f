"""Files on local disk under one directory (by default `<KEFU_DATA_DIR>/attachments`).

Keys are `ab/<32 hex digits>`: random (so two uploads of the same bytes are two objects, and
deleting one never touches another's), spread over 256 sub-directories. A file is written to a
temporary name in the same directory and renamed into place, so a reader never sees half a file.
Blocking file I/O runs in worker threads.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from kefu.storage.base import StorageError

KEY_PATTERN = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")
CHUNK_BYTES = 64 * 1024


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, key: str) -> Path:
        """The file behind `key`; StorageError for anything that is not one of our keys (so no
        key, however corrupted, can name a path outside the root)."""
        if not KEY_PATTERN.match(key):
            raise StorageError(f"not a storage key: {key!r}")
        return self.root / key

    async def put(self, source: BinaryIO) -> str:
        token = secrets.token_hex(16)
        key = f"{token[:2]}/{token}"
        await asyncio.to_thread(self._write, self.root / key, source)
        return key

    @staticmethod
    def _write(target: Path, source: BinaryIO) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        try:
            source.seek(0)
            with open(partial, "xb") as out:
                shutil.copyfileobj(source, out, CHUNK_BYTES)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self.path_for(key)
        try:
            handle = await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError as exc:
            raise StorageError(f"no such object: {key}") from exc
        return _chunks(handle)

    async def delete(self, key: str) -> None:
        path = self.path_for(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    def keys(self) -> list[str]:
        """Every stored key (tests and maintenance: finding orphans)."""
        if not self.root.exists():
            return []
        return sorted(
            f"{p.parent.name}/{p.name}"
            for p in self.root.glob("*/*")
            if KEY_PATTERN.match(f"{p.parent.name}/{p.name}")
        )


async def _chunks(handle: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()
