"""Attachment metadata in message payloads (REST and realtime), per audience, and the inbox
settings as the API shows them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from kefu.attachments.catalogue import SUPPORTED
from kefu.attachments.links import agent_link, contact_link
from kefu.attachments.settings import MAX_FILES_PER_MESSAGE, attachment_settings
from kefu.inboxes.models import Inbox
from kefu.messages.models import Attachment

AttachmentKind = Literal["image", "file"]


class AttachmentOut(BaseModel):
    """A file as agents see it. `url` is relative to kefu's origin; the console's session
    cookie (or an API token) authenticates it."""

    id: int
    file_name: str
    content_type: str
    size: int
    kind: AttachmentKind  # image: shown inline (raster); file: downloaded
    width: int | None = None
    height: int | None = None
    url: str


class VisitorAttachmentOut(BaseModel):
    """A file as the customer sees it: no internal id; `url` is a signed link, relative to
    kefu's origin, that expires (docs/attachments.md)."""

    file_name: str
    content_type: str
    size: int
    kind: AttachmentKind
    width: int | None = None
    height: int | None = None
    url: str


def attachment_kind(content_type: str) -> AttachmentKind:
    known = SUPPORTED.get(content_type)
    return "image" if known is not None and known.previewable else "file"


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.id,
        file_name=attachment.file_name,
        content_type=attachment.content_type,
        size=attachment.size,
        kind=attachment_kind(attachment.content_type),
        width=attachment.width,
        height=attachment.height,
        url=agent_link(attachment),
    )


def visitor_attachment_out(attachment: Attachment) -> VisitorAttachmentOut:
    return VisitorAttachmentOut(
        file_name=attachment.file_name,
        content_type=attachment.content_type,
        size=attachment.size,
        kind=attachment_kind(attachment.content_type),
        width=attachment.width,
        height=attachment.height,
        url=contact_link(attachment),
    )


class WidgetAttachmentsOut(BaseModel):
    """What the widget needs to offer uploads: the limit and the types (for the file picker)."""

    max_bytes: int
    types: list[str]
    extensions: list[str]
    max_files: int


def widget_attachments(inbox: Inbox, *, hard_cap: int) -> WidgetAttachmentsOut | None:
    """For the widget's configuration: None when customers may not send files."""
    settings = attachment_settings(inbox)
    if not settings.customer_uploads:
        return None
    return WidgetAttachmentsOut(
        max_bytes=settings.limit(hard_cap),
        types=settings.allowed_types,
        extensions=[f".{e}" for m in settings.allowed_types for e in SUPPORTED[m].extensions],
        max_files=MAX_FILES_PER_MESSAGE,
    )
