"""File names from uploads, made safe to store, show and hand back in Content-Disposition.

A name is display text, never a path: kefu stores bytes under its own keys (kefu.storage), so
the name only has to be harmless wherever it is shown or saved by a browser. Directory parts
(`../`, `C:\\`), control and invisible formatting characters (a right-to-left override can make
`gpj.exe` read as `exe.jpg`), and characters reserved on Windows are removed; Chinese and other
scripts are kept. The extension is made to agree with the sniffed type (see checks.py).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME_BYTES = 200  # UTF-8 bytes: fits every common file system's 255-byte limit
_RESERVED = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)", re.IGNORECASE)
FALLBACK = "file"


def _visible(char: str) -> bool:
    # Cc: controls; Cf: format characters (bidi overrides, zero-width); Cs/Co/Cn: surrogates,
    # private use and unassigned code points.
    return unicodedata.category(char)[0] != "C" or char == " "


def sanitise_file_name(raw: str | None) -> str:
    """A safe display name from whatever the client sent (never empty)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # the last path component only
    name = "".join(c if _visible(c) else " " for c in name)
    name = _RESERVED.sub("_", name)
    name = _SPACES.sub(" ", name).strip(" .")  # Windows drops trailing dots and spaces
    if _WINDOWS_DEVICES.match(name):
        name = "_" + name
    if not name.strip("._ "):
        name = FALLBACK
    return truncate(name)


def split_extension(name: str) -> tuple[str, str]:
    """("報價單", "pdf") for "報價單.pdf"; ("name", "") without an extension."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not re.fullmatch(r"[A-Za-z0-9]{1,10}", ext):
        return name, ""
    return stem, ext.lower()


def truncate(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """Shorten the stem (keeping the extension) until the name fits `limit` UTF-8 bytes."""
    if len(name.encode()) <= limit:
        return name
    stem, ext = split_extension(name)
    suffix = f".{ext}" if ext else ""
    budget = limit - len(suffix.encode())
    out = stem.encode()[:budget].decode("utf-8", "ignore").rstrip(" .")
    return (out or FALLBACK) + suffix


def with_extension(name: str, extension: str) -> str:
    """`name` ending in `.extension` (appended if it has another or none)."""
    stem, ext = split_extension(name)
    if ext == extension:
        return name
    return truncate(f"{name}.{extension}")


def content_disposition(disposition: str, name: str) -> str:
    """RFC 6266: an ASCII fallback `filename` and the UTF-8 name in `filename*` (RFC 8187)."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%' else "_" for c in name)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
