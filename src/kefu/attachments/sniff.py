"""What a file really is, from its bytes (never from its name or declared type).

`filetype` recognises binary formats by their magic numbers; ZIP containers are then opened to
tell Office documents from plain archives; what has no magic number is text only if it has no
NUL or other control bytes. Markup is looked for first, so that an HTML page or SVG image is
recognised as such whatever it is called.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import filetype  # type: ignore[import-untyped]

from kefu.attachments.catalogue import normalise_declared

OCTET_STREAM = "application/octet-stream"
ZIP = "application/zip"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
OPEN_DOCUMENT = (
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
)

# How much of a file is kept in memory for sniffing (JPEG dimensions may sit after a large EXIF
# block, markup after a long preamble).
HEAD_BYTES = 64 * 1024

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# A document that starts with one of these (after white space) is markup (the HTML sniffing
# patterns of the WHATWG MIME Sniffing Standard, plus XML and SVG).
_MARKUP_START = re.compile(
    rb"^<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|!--|\?xml|svg|object|embed|meta|link|img|form|base|frameset)(?:[\s/>]|$)",
    re.IGNORECASE,
)
# ... or that contains one of these anywhere in its head.
_MARKUP_ANYWHERE = re.compile(
    rb"<(?:!doctype\s+html|html[\s>]|script|svg[\s>]|iframe|\?xml|body[\s>]|object[\s>]"
    rb"|embed[\s>]|meta[\s>]|frameset)",
    re.IGNORECASE,
)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def markup_type(head: bytes) -> str | None:
    """ "image/svg+xml" or "text/html" (or "text/xml") if the bytes are markup, else None."""
    text = head
    for bom in _BOMS:
        if text.startswith(bom):
            text = text[len(bom) :]
            break
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16: strip the zero bytes so that the patterns below still see the tags.
        text = text.replace(b"\x00", b"")
    start = text.lstrip()
    if _MARKUP_START.match(start) is None and _MARKUP_ANYWHERE.search(text) is None:
        return None
    lowered = text.lower()
    if b"<svg" in lowered:
        return "image/svg+xml"
    if start.startswith(b"<?xml") and b"<html" not in lowered:
        return "text/xml"
    return "text/html"


def looks_like_text(head: bytes) -> bool:
    """No NUL or other control bytes (tab, newlines, form feed and escape are fine): text in
    UTF-8 or a legacy encoding such as Big5. UTF-16 (full of NULs) does not count."""
    return bool(head) and _CONTROL.search(head) is None


def sniff(head: bytes, path: Path | None = None) -> str:
    """The MIME type of a file from its first bytes (`head`), and for ZIP containers from its
    directory (read from `path`). Unrecognised binary data is application/octet-stream."""
    markup = markup_type(head)
    if markup is not None:
        return markup
    kind = filetype.guess(head)
    if kind is not None:
        mime = normalise_declared(str(kind.mime))
        if path is not None and (mime == ZIP or mime in (DOCX, XLSX, PPTX, *OPEN_DOCUMENT)):
            return _zip_kind(path, mime)
        return mime
    return "text/plain" if looks_like_text(head) else OCTET_STREAM


def _zip_kind(path: Path, guessed: str) -> str:
    """Office Open XML and OpenDocument files are ZIP archives: their entries say which."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                # open().read(n): only n bytes are inflated (a zip bomb stays compressed).
                with archive.open("mimetype") as member:
                    declared = member.read(100).decode("ascii", "replace").strip()
                if declared in OPEN_DOCUMENT:
                    return declared
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        return guessed if guessed == ZIP else ZIP
    if "[Content_Types].xml" in names:
        for entry, mime in (
            ("word/document.xml", DOCX),
            ("xl/workbook.xml", XLSX),
            ("ppt/presentation.xml", PPTX),
        ):
            if entry in names:
                return mime
    return ZIP


def image_size(mime: str, head: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, WebP or JPEG from its header, or None."""
    try:
        size = _image_size(mime, head)
    except (struct.error, IndexError):
        return None
    if size is None or not (0 < size[0] <= 100_000 and 0 < size[1] <= 100_000):
        return None
    return size


def _image_size(mime: str, head: bytes) -> tuple[int, int] | None:
    if mime == "image/png" and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    if mime == "image/gif":
        width, height = struct.unpack("<HH", head[6:10])
        return int(width), int(height)
    if mime == "image/webp" and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        chunk = head[12:16]
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", head[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L":
            b = head[21:25]
            return 1 + (b[0] | (b[1] & 0x3F) << 8), 1 + (b[1] >> 6 | b[2] << 2 | (b[3] & 0xF) << 10)
        if chunk == b"VP8X":
            w, h = head[24:27], head[27:30]
            return 1 + int.from_bytes(w, "little"), 1 + int.from_bytes(h, "little")
        return None
    if mime == "image/jpeg":
        return _jpeg_size(head)
    return None


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        length = int.from_bytes(head[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", head[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None
