"""An inbox's channel settings: its adapter, validated config and decrypted secrets.

Admins write them through the inbox API (kefu.inboxes.actions): the config is validated by the
adapter's `config_model`, the secrets by its `secrets_model` and then sealed; answers name which
secrets are set, never their values.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from kefu.auth.sealing import SecretBox
from kefu.channels import adapters
from kefu.channels.base import ChannelAdapter, ChannelContext
from kefu.channels.secrets import SecretsUnreadable, open_secrets, seal_secrets
from kefu.errors import InvalidInput
from kefu.inboxes.models import Inbox


@dataclass(frozen=True)
class ChannelSettings:
    adapter: ChannelAdapter
    config: Any
    secrets: Any

    def context(
        self, http: httpx.AsyncClient, inbox_id: int, inbox_name: str = ""
    ) -> ChannelContext:
        return ChannelContext(
            config=self.config,
            secrets=self.secrets,
            http=http,
            inbox_id=inbox_id,
            inbox_name=inbox_name,
        )


def adapter_of(inbox: Inbox) -> ChannelAdapter | None:
    """The inbox's adapter; None for the website widget (and unknown types)."""
    if inbox.channel_type == "web":
        return None
    return adapters.adapter_for(inbox.channel_type)


def load_channel(inbox: Inbox, box: SecretBox) -> ChannelSettings:
    """The inbox's adapter, config and secrets, as stored (InvalidInput when they are not set
    up: an inbox created before its secrets were entered, or sealed under another key)."""
    adapter = adapter_of(inbox)
    if adapter is None:
        raise InvalidInput("This inbox is not a channel inbox.", code="not_a_channel_inbox")
    try:
        raw_secrets = open_secrets(box, inbox.channel_secrets)
    except SecretsUnreadable as exc:
        raise InvalidInput(
            "The channel's secrets cannot be read (the secret key changed); enter them again.",
            code="channel_secrets_unreadable",
        ) from exc
    try:
        config = adapter.config_model.model_validate(inbox.channel_config or {})
        secrets = adapter.secrets_model.model_validate(raw_secrets)
    except ValidationError as exc:
        raise InvalidInput(
            "The channel is not fully set up: " + _first_error(exc),
            code="channel_not_configured",
        ) from exc
    return ChannelSettings(adapter, config, secrets)


def check_channel_type(channel_type: str) -> ChannelAdapter | None:
    if channel_type == "web":
        return None
    adapter = adapters.adapter_for(channel_type)
    if adapter is None:
        known = ", ".join(("web", *adapters.registered_channel_types()))
        raise InvalidInput(
            f"Unknown channel type {channel_type!r} (known: {known}).", code="unknown_channel"
        )
    return adapter


def validated_config(
    adapter: ChannelAdapter, values: dict[str, Any], *, allow_private_urls: bool
) -> dict[str, Any]:
    try:
        config = adapter.config_model.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput(
            "Channel settings: " + _first_error(exc), code="invalid_channel_config"
        ) from exc
    for name, value in config.model_dump().items():
        if name.startswith("api") and isinstance(value, str) and value.startswith("http"):
            check_outbound_url(value, allow_private=allow_private_urls)
    return config.model_dump(mode="json")


def merged_secrets(
    adapter: ChannelAdapter, box: SecretBox, sealed: str | None, changes: dict[str, str | None]
) -> str | None:
    """The sealed secrets after `changes` (a value replaces, None removes, absent keeps); the
    result must satisfy the adapter's secrets model (InvalidInput names what is missing)."""
    try:
        current = open_secrets(box, sealed)
    except SecretsUnreadable:
        current = {}  # the admin is entering them again
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    try:
        adapter.secrets_model.model_validate(current)
    except ValidationError as exc:
        raise InvalidInput(
            "Channel secrets: " + _first_error(exc), code="invalid_channel_secrets"
        ) from exc
    return seal_secrets(box, current)


def secret_names(box: SecretBox, sealed: str | None) -> list[str]:
    try:
        return sorted(open_secrets(box, sealed))
    except SecretsUnreadable:
        return []


def check_outbound_url(url: str, *, allow_private: bool) -> None:
    """Provider API URLs an admin enters must be https to a public host: kefu must not be made
    to call its own network (DESIGN.md principle 5). Tests and on-premises setups allow private
    hosts with KEFU_CHANNEL_ALLOW_PRIVATE_URLS."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("http", "https"):
        raise InvalidInput(f"Not a URL: {url!r}.", code="invalid_channel_config")
    if allow_private:
        return
    if parts.scheme != "https":
        raise InvalidInput("Provider URLs must use https.", code="invalid_channel_config")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise InvalidInput(
                "Provider URLs must not point at this network.", code="invalid_channel_config"
            ) from None
        return
    if not address.is_global:
        raise InvalidInput(
            "Provider URLs must not point at this network.", code="invalid_channel_config"
        )


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))
