"""Channel secrets at rest: one sealed token (kefu.auth.sealing, Fernet under a key derived
from KEFU_SECRET_KEY) per inbox, holding a JSON object of its secrets (a LINE channel secret, a
WhatsApp access token, an IMAP password). A database dump alone reveals none; they survive a
restart but not a change of KEFU_SECRET_KEY (then they must be entered again)."""

from __future__ import annotations

from typing import Any

import orjson

from kefu.auth.sealing import SecretBox


class SecretsUnreadable(Exception):
    """The stored secrets were sealed under another key (KEFU_SECRET_KEY changed)."""


def seal_secrets(box: SecretBox, values: dict[str, Any]) -> str | None:
    return box.seal(orjson.dumps(values).decode()) if values else None


def open_secrets(box: SecretBox, sealed: str | None) -> dict[str, Any]:
    if not sealed:
        return {}
    plain = box.open(sealed)
    if plain is None:
        raise SecretsUnreadable("the channel secrets were sealed under another secret key")
    values = orjson.loads(plain)
    return values if isinstance(values, dict) else {}
