from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kefu.contacts.schemas import clean_email, clean_name, clean_phone


class IdentitySettingsOut(BaseModel):
    """Admins only: the inbox's identity secret (None until generated)."""

    secret: str | None
    require_verified: bool
    rotated_at: datetime | None


class IdentitySettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    require_verified: bool


class WidgetIdentifyIn(BaseModel):
    """The host site's logged-in user, as the widget got it from the page: `hash` is the hex
    HMAC-SHA256 of `id` under the inbox's identity secret, computed on the site's server."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=50)
    hash: str | None = Field(default=None, max_length=200)
    # Optional: HMAC-SHA256 of "<id>\n<email>\n<phone>" (blank for a missing one) under the same
    # secret. `hash` vouches only for the user id; with this the host site also vouches for the
    # email and phone, which makes them verified and lets kefu merge the customer's contacts on
    # other channels with the same details automatically (kefu.channels.matching).
    details_hash: str | None = Field(default=None, max_length=200)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        value = clean_name(value)
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else clean_name(value) or None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return clean_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return clean_phone(value)


class WidgetIdentifyOut(BaseModel):
    visitor_token: str
    # Whether the HMAC was right: the token stands for the verified contact of this user id.
    verified: bool
