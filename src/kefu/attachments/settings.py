"""An inbox's attachment settings (stored in `inboxes.settings["attachments"]`).

`max_bytes` is also bounded by the node's hard cap (KEFU_MAX_UPLOAD_BYTES): an admin cannot set
more, and if the cap is lowered later, the lower value wins.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kefu.attachments.catalogue import DEFAULT_ALLOWED, SUPPORTED
from kefu.inboxes.models import Inbox

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MIB
MAX_FILES_PER_MESSAGE = 5


class AttachmentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Customers may send files from the widget (agents always may, within the same limits).
    customer_uploads: bool = True
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1024, le=2**31 - 1)
    allowed_types: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED), min_length=1, max_length=len(SUPPORTED)
    )

    @field_validator("allowed_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in SUPPORTED]
        if unknown:
            raise ValueError(f"unsupported type {unknown[0]!r}; supported: {', '.join(SUPPORTED)}")
        return [mime for mime in SUPPORTED if mime in value]  # catalogue order, no duplicates

    def limit(self, hard_cap: int) -> int:
        return min(self.max_bytes, hard_cap)


def attachment_settings(inbox: Inbox) -> AttachmentSettings:
    """The inbox's settings; defaults for anything unset (or, defensively, unreadable)."""
    raw = inbox.settings.get("attachments") if inbox.settings else None
    if not raw:
        return AttachmentSettings()
    try:
        return AttachmentSettings.model_validate(raw)
    except ValueError:
        return AttachmentSettings()
