"""Where uploaded files live: a small interface (base.Storage) and the default local-disk store."""

from kefu.storage.base import Storage, StorageError
from kefu.storage.local import LocalStorage

__all__ = ["LocalStorage", "Storage", "StorageError"]
