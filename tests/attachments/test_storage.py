"""LocalStorage: random keys under its root, whole files or none, no path outside the root."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kefu.storage import LocalStorage, Storage, StorageError


async def read_all(storage: Storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in await storage.open(key)])


async def test_put_open_delete(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    data = b"x" * 200_000  # several chunks
    first = await storage.put(io.BytesIO(data))
    second = await storage.put(io.BytesIO(data))
    assert first != second  # random keys: the same bytes twice are two objects
    assert await read_all(storage, first) == data
    assert storage.keys() == sorted([first, second])
    await storage.delete(first)
    await storage.delete(first)  # idempotent
    with pytest.raises(StorageError):
        await storage.open(first)
    assert await read_all(storage, second) == data
    # Nothing but the stored objects (no half-written .part files).
    assert sorted(p.name for p in (tmp_path / "files").rglob("*") if p.is_file()) == [
        second.split("/")[1]
    ]


@pytest.mark.parametrize(
    "key",
    ["../secret.key", "ab/../../etc/passwd", "/etc/passwd", "ab\\cd", "AB/" + "0" * 32, ""],
)
async def test_keys_that_are_not_ours_name_nothing(tmp_path: Path, key: str) -> None:
    storage = LocalStorage(tmp_path / "files")
    (tmp_path / "secret.key").write_text("secret")
    with pytest.raises(StorageError):
        await storage.open(key)
    with pytest.raises(StorageError):
        await storage.delete(key)
    assert (tmp_path / "secret.key").exists()


async def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError("disk on fire")

    storage = LocalStorage(tmp_path / "files")
    with pytest.raises(OSError):
        await storage.put(Broken(b"data"))
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
