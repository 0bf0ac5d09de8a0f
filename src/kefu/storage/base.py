"""The storage interface for uploaded files.

kefu stores each file's bytes under a key that the store itself chooses (random, never derived
from anything a user sent), and keeps the key with the file's metadata in the database. The
contract is deliberately small so that an S3-compatible store can implement it:

- `put(source)` copies a readable binary file object (positioned at 0) into the store and returns
  a new key: an S3 store would `PutObject` under a random key (or upload in parts).
- `open(key)` returns the bytes as an async iterator of chunks; it raises `StorageError` before
  yielding anything if the key does not exist (so that a view can answer 404 rather than
  breaking a response that has started): an S3 store would `GetObject` and stream the body.
- `delete(key)` removes the object; deleting a missing key is not an error (idempotent, as
  S3's `DeleteObject` is).

Keys are ASCII, at most 255 characters, made of `[a-z0-9/]`. Stores must refuse any other key in
`open` and `delete` (a corrupted or hostile key must not name a path outside the store).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import BinaryIO, Protocol


class StorageError(Exception):
    """The key is unknown (or not a key this store could have made)."""


class Storage(Protocol):
    async def put(self, source: BinaryIO) -> str:
        """Store the bytes of `source` (read from its start) and return their new key."""
        ...

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes in chunks; StorageError if `key` is unknown."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""
        ...
