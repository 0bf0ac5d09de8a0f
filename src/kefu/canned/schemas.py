from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kefu.canned.models import CannedResponse

Scope = Literal["personal", "shared"]
Locale = Literal["zh-TW", "en"]
MAX_CONTENT_CHARS = 5000


class CannedOut(BaseModel):
    id: int
    scope: Scope
    shortcut: str
    title: str
    content: str
    locale: Locale | None
    owner_id: int | None
    updated_at: datetime


class CannedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Scope = "personal"
    shortcut: str = Field(max_length=100)
    title: str = Field(max_length=100)
    content: str = Field(max_length=MAX_CONTENT_CHARS)
    locale: Locale | None = None


class CannedUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=100)
    content: str | None = Field(default=None, max_length=MAX_CONTENT_CHARS)
    locale: Locale | None = None


def canned_out(canned: CannedResponse) -> CannedOut:
    return CannedOut(
        id=canned.id,
        scope="shared" if canned.owner_id is None else "personal",
        shortcut=canned.shortcut,
        title=canned.title,
        content=canned.content,
        locale=canned.locale or None,
        owner_id=canned.owner_id,
        updated_at=canned.updated_at,
    )
