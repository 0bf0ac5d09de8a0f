"""Decide whether each uploaded file may be kept, and under which name and type.

Content, not names: the type is what the bytes are (sniff.py). A file is refused when
- it is empty (422 attachment_empty);
- its bytes, declared type or name extension say HTML, SVG, XML, a script or a program, or its
  bytes are no supported format, or the inbox does not allow the type
  (415 attachment_type_not_allowed);
- its declared type or its name's extension claims another supported type than its bytes are
  (422 attachment_type_mismatch: a "photo.png" that is a PDF, a declared image/jpeg that is not).
A name without a known extension gets the right one appended ("scan" -> "scan.pdf").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from kefu.attachments.catalogue import (
    BY_EXTENSION,
    SUPPORTED,
    UNINFORMATIVE,
    UNSAFE_EXTENSIONS,
    UNSAFE_TYPES,
    normalise_declared,
)
from kefu.attachments.names import sanitise_file_name, split_extension, with_extension
from kefu.attachments.settings import AttachmentSettings
from kefu.attachments.sniff import image_size, sniff
from kefu.attachments.upload import StagedFile
from kefu.errors import InvalidInput, UnsupportedMediaType

_LABELS = {
    "text/html": "HTML",
    "image/svg+xml": "SVG",
    "text/xml": "XML",
    "application/x-msdownload": "EXE",
    "application/octet-stream": "?",
}


@dataclass(frozen=True)
class CheckedFile:
    staged: StagedFile
    file_name: str
    content_type: str
    width: int | None = None
    height: int | None = None


def type_label(mime: str) -> str:
    """A short name for a type in error messages: "PNG", "PDF", "HTML"."""
    if mime in _LABELS:
        return _LABELS[mime]
    known = SUPPORTED.get(mime)
    return known.extensions[0].upper() if known else mime


def _refused(name: str, mime: str) -> UnsupportedMediaType:
    label = type_label(mime)
    return UnsupportedMediaType(
        f"{name}: files of this type ({label}) cannot be sent here.",
        code="attachment_type_not_allowed",
        name=name,
        type=label,
    )


def _mismatch(name: str, actual: str, claimed: str) -> InvalidInput:
    return InvalidInput(
        f"{name}: the file is {type_label(actual)}, not {type_label(claimed)} as its name or "
        "type says.",
        code="attachment_type_mismatch",
        name=name,
        actual=type_label(actual),
        claimed=type_label(claimed),
    )


def _conflicts(claimed: str, actual: str) -> bool:
    """Whether a declared type (or the type a name's extension stands for) contradicts the
    sniffed one. Only claims kefu can check count: a supported type or any image; an unknown
    declared type (application/json for a text file) says nothing checkable."""
    if claimed in UNINFORMATIVE or claimed == actual:
        return False
    if claimed not in SUPPORTED and not claimed.startswith("image/"):
        return False
    if SUPPORTED[actual].group == "text" and claimed.startswith("text/"):
        return False
    # Windows with Excel installed declares .csv files as Excel sheets.
    return not (actual == "text/csv" and claimed == "application/vnd.ms-excel")


def _check_no_folders(raw_name: str | None) -> None:
    """A browser sends a bare file name; one with folders in it (`../`, `C:\\`) is an attack or a
    broken client: refused outright, rather than quietly cut down to its last part."""
    raw = raw_name or ""
    if "/" in raw or "\\" in raw or raw.strip() in (".", ".."):
        raise InvalidInput(
            "File names must not contain folders.", code="attachment_bad_name", name=raw[:100]
        )


async def check_file(staged: StagedFile, settings: AttachmentSettings) -> CheckedFile:
    _check_no_folders(staged.raw_name)
    name = sanitise_file_name(staged.raw_name)
    if staged.size == 0:
        raise InvalidInput(f"{name} is empty.", code="attachment_empty", name=name)
    _, ext = split_extension(name)
    declared = normalise_declared(staged.declared_type)
    if ext in UNSAFE_EXTENSIONS:
        raise _refused(name, ext.upper())
    if declared in UNSAFE_TYPES:
        raise _refused(name, declared)
    # Opening a ZIP's directory reads the file: not on the event loop.
    mime = await asyncio.to_thread(sniff, staged.head, staged.path)
    if mime == "text/plain" and (ext == "csv" or declared == "text/csv"):
        mime = "text/csv"
    if mime not in SUPPORTED or mime not in settings.allowed_types:
        raise _refused(name, mime)
    if _conflicts(declared, mime):
        raise _mismatch(name, mime, declared)
    named = BY_EXTENSION.get(ext)
    if named is not None and _conflicts(named.mime, mime):
        raise _mismatch(name, mime, named.mime)
    if named is None:
        name = with_extension(name, SUPPORTED[mime].extensions[0])
    size = image_size(mime, staged.head) if SUPPORTED[mime].previewable else None
    return CheckedFile(
        staged=staged,
        file_name=name,
        content_type=mime,
        width=size[0] if size else None,
        height=size[1] if size else None,
    )


async def check_files(files: list[StagedFile], settings: AttachmentSettings) -> list[CheckedFile]:
    """Every file checked; the first refusal raises (nothing has been stored yet)."""
    return [await check_file(staged, settings) for staged in files]
