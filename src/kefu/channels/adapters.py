"""Importing this module registers every channel adapter (kefu.channels.base.register_adapter)."""

from __future__ import annotations

from kefu.channels.base import adapter_for, registered_channel_types
from kefu.channels.line import adapter as line_adapter  # noqa: F401
from kefu.channels.telegram import adapter as telegram_adapter  # noqa: F401

__all__ = ["adapter_for", "registered_channel_types"]
