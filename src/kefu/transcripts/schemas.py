from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kefu.users.schemas import EMAIL_PATTERN


class TranscriptRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Only when the contact has no address yet (otherwise it must be absent or the same).
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)


class TranscriptRequestOut(BaseModel):
    # Masked: "m***@example.com".
    sent_to: str
