"""A Messenger inbox's settings and secrets (validated when an admin saves them)."""

from __future__ import annotations

from pydantic import Field, field_validator

from kefu.channels.base import ChannelConfig, ChannelSecrets
from kefu.channels.whatsapp.config import GRAPH_API_BASE, clean_api_base


class MessengerConfig(ChannelConfig):
    api_base: str = GRAPH_API_BASE
    api_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$")
    page_id: str = Field(pattern=r"^\d{1,32}$")  # only this Page's events are accepted
    # Messenger allows a human agent to answer up to 7 days after the customer's last message
    # with the HUMAN_AGENT tag, but only for apps Meta approved for the "Human Agent"
    # permission; turn this on only then.
    human_agent_tag: bool = False

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        return clean_api_base(value)


class MessengerSecrets(ChannelSecrets):
    page_access_token: str = Field(min_length=1)  # sent as a Bearer header, never in a URL
    app_secret: str = Field(min_length=1)  # signs the webhooks (X-Hub-Signature-256)
    verify_token: str = Field(min_length=1)  # the admin's own string, echoed by the handshake
