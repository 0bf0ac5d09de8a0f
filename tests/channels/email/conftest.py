"""Fixtures of the email channel's tests."""

from __future__ import annotations

from tests.channels.email.smtp_server import mailbox

__all__ = ["mailbox"]
