"""A WhatsApp Cloud API inbox's settings and secrets (validated when an admin saves them)."""

from __future__ import annotations

from pydantic import Field, field_validator

from kefu.channels.base import ChannelConfig, ChannelSecrets

GRAPH_API_BASE = "https://graph.facebook.com"


def clean_api_base(value: str) -> str:
    """An http(s) base URL without a trailing slash (tests point it at a local fake server)."""
    value = value.strip().rstrip("/")
    if not value.startswith(("https://", "http://")) or "?" in value or "#" in value:
        raise ValueError("api_base must be an http(s) URL without query or fragment")
    return value


class WhatsAppConfig(ChannelConfig):
    api_base: str = GRAPH_API_BASE
    api_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$")
    # The business phone number's id (not the number itself) from the app's WhatsApp setup page.
    phone_number_id: str = Field(pattern=r"^\d{1,32}$")
    # The WhatsApp Business Account id: its message templates are listed from it.
    waba_id: str = Field(pattern=r"^\d{1,32}$")

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        return clean_api_base(value)


class WhatsAppSecrets(ChannelSecrets):
    # A system user's permanent token with whatsapp_business_messaging (and _management for
    # templates); sent as a Bearer header, never in a URL.
    access_token: str = Field(min_length=1)
    app_secret: str = Field(min_length=1)  # signs the webhooks (X-Hub-Signature-256)
    verify_token: str = Field(min_length=1)  # the admin's own string, echoed by the handshake
