"""The file types kefu accepts, what they are called, and which ones are never accepted.

An inbox allows a subset of SUPPORTED (all of them by default). Anything else is refused,
whatever its name or declared type: markup (HTML, SVG, XML) and scripts, because a browser might
run them; executables and unknown binary formats, because a customer or agent might.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Group = Literal["image", "pdf", "text", "office", "archive"]


@dataclass(frozen=True, slots=True)
class FileType:
    mime: str
    extensions: tuple[str, ...]  # the first is the canonical one
    group: Group

    @property
    def previewable(self) -> bool:
        """Raster images: shown inline (an <img> never runs anything)."""
        return self.group == "image"


_TYPES = (
    FileType("image/png", ("png",), "image"),
    FileType("image/jpeg", ("jpg", "jpeg", "jfif", "jpe"), "image"),
    FileType("image/gif", ("gif",), "image"),
    FileType("image/webp", ("webp",), "image"),
    FileType("application/pdf", ("pdf",), "pdf"),
    FileType("text/plain", ("txt", "log", "md", "text"), "text"),
    FileType("text/csv", ("csv",), "text"),
    FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ("docx",),
        "office",
    ),
    FileType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",), "office"
    ),
    FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ("pptx",),
        "office",
    ),
    FileType("application/msword", ("doc",), "office"),
    FileType("application/vnd.ms-excel", ("xls",), "office"),
    FileType("application/vnd.ms-powerpoint", ("ppt",), "office"),
    FileType("application/vnd.oasis.opendocument.text", ("odt",), "office"),
    FileType("application/vnd.oasis.opendocument.spreadsheet", ("ods",), "office"),
    FileType("application/vnd.oasis.opendocument.presentation", ("odp",), "office"),
    FileType("application/zip", ("zip",), "archive"),
)

SUPPORTED: dict[str, FileType] = {t.mime: t for t in _TYPES}
BY_EXTENSION: dict[str, FileType] = {ext: t for t in _TYPES for ext in t.extensions}

# Other names browsers and systems give the same types (the declared Content-Type of a part).
ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "application/x-pdf": "application/pdf",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "text/x-markdown": "text/plain",
    "text/markdown": "text/plain",
    "text/x-log": "text/plain",
    "application/csv": "text/csv",
    "text/comma-separated-values": "text/csv",
}

# Declared types that say nothing about the content: never a lie.
UNINFORMATIVE = frozenset({"", "application/octet-stream", "binary/octet-stream"})

# Declared as (or named like) one of these: refused outright, whatever the bytes are.
UNSAFE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-sh",
        "application/x-executable",
    }
)
UNSAFE_EXTENSIONS = frozenset(
    {
        # markup and scripts a browser would run
        "html", "htm", "shtml", "xhtml", "xht", "mht", "mhtml", "svg", "svgz", "xml", "xsl",
        "js", "mjs", "hta",
        # programs and scripts an operating system would run
        "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "jar", "vbs",
        "vbe", "wsf", "wsh", "ps1", "psm1", "lnk", "reg", "sh", "apk", "app", "dmg", "deb",
        "rpm", "appimage", "iso",
    }
)  # fmt: skip

DEFAULT_ALLOWED = tuple(SUPPORTED)


def normalise_declared(value: str | None) -> str:
    """`Image/JPG; charset=x` -> `image/jpeg`."""
    mime = (value or "").split(";", 1)[0].strip().lower()
    return ALIASES.get(mime, mime)
