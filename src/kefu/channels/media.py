"""Files customers send on channels, kept like widget uploads (kefu.attachments): the type is
read from the bytes, and unsafe types (HTML, SVG, programs) are refused. A customer cannot
choose what their app sends, so every supported type is accepted whatever the inbox's upload
settings say, up to KEFU_MAX_UPLOAD_BYTES; a refused file is named on the message (and an
email's original, with every attachment, is always kept as original.eml)."""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

from kefu.attachments.actions import NewAttachment
from kefu.attachments.checks import check_file
from kefu.attachments.settings import AttachmentSettings
from kefu.attachments.sniff import HEAD_BYTES
from kefu.attachments.upload import StagedFile, format_limit
from kefu.errors import KefuError
from kefu.storage import Storage

ORIGINAL_EMAIL_TYPE = "message/rfc822"


class MediaRefused(Exception):
    def __init__(self, file_name: str, reason: str) -> None:
        super().__init__(reason)
        self.file_name = file_name
        self.reason = reason

    def as_dict(self) -> dict[str, str]:
        return {"file_name": self.file_name, "reason": self.reason}


async def store_media(
    storage: Storage,
    data: bytes,
    *,
    file_name: str | None,
    content_type: str | None,
    max_bytes: int,
) -> NewAttachment:
    """Check and store one inbound file (MediaRefused when it cannot be kept)."""
    name = (file_name or "file").strip() or "file"
    if len(data) > max_bytes:
        raise MediaRefused(name, f"larger than {format_limit(max_bytes)}")
    sha256 = hashlib.sha256(data).hexdigest()
    if content_type == ORIGINAL_EMAIL_TYPE:
        # The message as received, kept whole; served only as a download (attachment, nosniff).
        key = await storage.put(io.BytesIO(data))
        return NewAttachment(
            file_name="original.eml",
            content_type=ORIGINAL_EMAIL_TYPE,
            size=len(data),
            sha256=sha256,
            storage_key=key,
        )
    with tempfile.TemporaryDirectory(prefix="kefu-media-") as folder:
        path = Path(folder) / "file"
        path.write_bytes(data)
        staged = StagedFile(
            path=path,
            raw_name=name.replace("/", "_").replace("\\", "_"),
            declared_type=content_type or "",
            size=len(data),
            sha256=sha256,
            head=data[:HEAD_BYTES],
        )
        try:
            checked = await check_file(staged, _ANY_SUPPORTED)
        except KefuError as exc:
            raise MediaRefused(name, exc.message) from exc
        with staged.open() as source:
            key = await storage.put(source)
    return NewAttachment(
        file_name=checked.file_name,
        content_type=checked.content_type,
        size=len(data),
        sha256=sha256,
        storage_key=key,
        width=checked.width,
        height=checked.height,
    )


_ANY_SUPPORTED = AttachmentSettings(max_bytes=2**31 - 1)
