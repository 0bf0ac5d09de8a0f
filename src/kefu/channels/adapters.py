"""Importing this module registers every channel adapter (kefu.channels.base.register_adapter)."""

from __future__ import annotations

from kefu.channels.base import adapter_for, registered_channel_types
from kefu.channels.email import adapter as _email  # noqa: F401
from kefu.channels.line import adapter as _line  # noqa: F401
from kefu.channels.messenger import adapter as _messenger  # noqa: F401
from kefu.channels.telegram import adapter as _telegram  # noqa: F401
from kefu.channels.whatsapp import adapter as _whatsapp  # noqa: F401

__all__ = ["adapter_for", "registered_channel_types"]
