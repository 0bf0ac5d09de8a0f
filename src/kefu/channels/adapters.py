"""Importing this module registers every channel adapter (kefu.channels.base.register_adapter)."""

from __future__ import annotations

from kefu.channels.base import adapter_for, registered_channel_types

__all__ = ["adapter_for", "registered_channel_types"]
