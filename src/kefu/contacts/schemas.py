from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kefu.attributes.schemas import AttributeChanges
from kefu.bounds import Id
from kefu.users.schemas import UserBrief

# Stricter than a login's: one @, a dotted domain, nothing that breaks out of a mailto: or a header.
EMAIL_FORMAT = re.compile(r"^[^@\s<>\"'(),;:\\]+@[^@\s<>\"'(),;:\\.]+(\.[^@\s<>\"'(),;:\\.]+)+$")
PHONE_FORMAT = re.compile(r"^\+?[0-9()\-. ]{3,50}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ContactBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str | None


class IdentityOut(BaseModel):
    channel_type: str
    inbox_id: int
    # Only the host site's user id (site_user); a web visitor's random id is nobody's business.
    external_id: str | None
    verified: bool
    created_at: datetime


class ContactSummary(BaseModel):
    """A contact in lists and in events."""

    id: int
    name: str
    email: str | None
    phone: str | None
    company: str | None
    avatar_url: str | None
    verified: bool
    created_at: datetime
    last_seen_at: datetime | None


class ContactOut(ContactSummary):
    attributes: dict[str, Any]
    identities: list[IdentityOut]


class ContactPage(BaseModel):
    items: list[ContactSummary]
    next_before_id: int | None


def clean_name(value: str) -> str:
    value = value.strip()
    if CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def clean_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip().lower()
    if not EMAIL_FORMAT.match(value):
        raise ValueError("not an email address")
    return value


def clean_phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not PHONE_FORMAT.match(value) or not any(ch.isdigit() for ch in value):
        raise ValueError("only digits, spaces and + ( ) - . are allowed")
    return value


def clean_avatar_url(value: str | None) -> str | None:
    """http(s) with a host, nothing else: never javascript:, data: or a relative path."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ValueError("not a URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    if parts.username or parts.password or CONTROL.search(value) or " " in value:
        raise ValueError("must be a plain http(s) URL")
    return value


class ContactUpdate(BaseModel):
    """Fields left out stay as they are; null (or "") clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=50)
    company: str | None = Field(default=None, max_length=200)
    avatar_url: str | None = Field(default=None, max_length=500)
    attributes: AttributeChanges | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else clean_name(value)

    @field_validator("company")
    @classmethod
    def _company(cls, value: str | None) -> str | None:
        return None if value is None else clean_name(value) or None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return clean_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return clean_phone(value)

    @field_validator("avatar_url")
    @classmethod
    def _avatar(cls, value: str | None) -> str | None:
        return clean_avatar_url(value)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    author: UserBrief | None
    created_at: datetime


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    actor: UserBrief | None
    details: dict[str, Any]
    created_at: datetime


class MergeIn(BaseModel):
    """Merge `other_id` into the contact of the URL, which survives."""

    model_config = ConfigDict(extra="forbid")

    other_id: Id
