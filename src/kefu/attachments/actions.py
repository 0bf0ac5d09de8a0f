"""Writers for attachments: rows for a new message's files (called by messages.actions), the
files themselves into storage (undone if the message is not written), and the inbox settings."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from kefu.attachments.checks import CheckedFile
from kefu.attachments.schemas import AttachmentKind, attachment_kind
from kefu.attachments.settings import AttachmentSettings
from kefu.attachments.upload import format_limit
from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import Principal
from kefu.errors import InvalidInput
from kefu.inboxes.models import Inbox
from kefu.messages.models import Attachment, Message
from kefu.storage import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """A checked file already in storage, waiting for its message."""

    file_name: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    width: int | None = None
    height: int | None = None


def message_attachment_kind(files: Sequence[NewAttachment]) -> AttachmentKind | None:
    """ "image" if every file is an image, "file" if any is not, None without files."""
    if not files:
        return None
    kinds = {attachment_kind(f.content_type) for f in files}
    return "image" if kinds == {"image"} else "file"


def preview_text(text: str, files: Sequence[NewAttachment]) -> str:
    """The conversation list's preview: the text, else the names of the (non-image) files."""
    if text or message_attachment_kind(files) != "file":
        return text
    return ", ".join(f.file_name for f in files if attachment_kind(f.content_type) == "file")


async def insert_attachments(
    session: AsyncSession, message: Message, files: Sequence[NewAttachment]
) -> list[Attachment]:
    """The rows of a message's files, in the message's transaction."""
    rows = [
        Attachment(
            message_id=message.id,
            conversation_id=message.conversation_id,
            file_name=f.file_name,
            content_type=f.content_type,
            size=f.size,
            storage_key=f.storage_key,
            public_id=secrets.token_hex(16),
            access_key=secrets.token_urlsafe(32),
            sha256=f.sha256,
            width=f.width,
            height=f.height,
            created_at=message.created_at,
        )
        for f in files
    ]
    session.add_all(rows)
    await session.flush()
    return rows


@asynccontextmanager
async def stored_files(
    storage: Storage, files: Sequence[CheckedFile]
) -> AsyncIterator[list[NewAttachment]]:
    """Put the checked files into storage for the block; if the block fails (the message is not
    written: a retry, a refusal, a database error), delete them again, so that no file is left
    without a row."""
    stored: list[NewAttachment] = []
    try:
        for checked in files:
            with checked.staged.open() as source:
                key = await storage.put(source)
            stored.append(
                NewAttachment(
                    file_name=checked.file_name,
                    content_type=checked.content_type,
                    size=checked.staged.size,
                    sha256=checked.staged.sha256,
                    storage_key=key,
                    width=checked.width,
                    height=checked.height,
                )
            )
        yield stored
    except BaseException:
        for item in stored:
            try:
                await storage.delete(item.storage_key)
            except Exception:  # the original error matters more; an orphan is logged
                log.exception("could not delete orphaned upload %s", item.storage_key)
        raise


async def do_update_attachment_settings(
    session: AsyncSession,
    *,
    actor: Principal,
    inbox: Inbox,
    settings: AttachmentSettings,
    hard_cap: int,
) -> AttachmentSettings:
    require_admin(actor)
    if settings.max_bytes > hard_cap:
        limit = format_limit(hard_cap)
        raise InvalidInput(
            f"The size limit cannot be more than {limit} (KEFU_MAX_UPLOAD_BYTES).",
            code="attachment_limit_over_cap",
            limit=limit,
        )
    inbox.settings = {**(inbox.settings or {}), "attachments": settings.model_dump(mode="json")}
    flag_modified(inbox, "settings")
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="inbox.attachments_updated",
        target_type="inbox",
        target_id=inbox.id,
        **settings.model_dump(mode="json"),
    )
    return settings
