"""Reading Meta webhook JSON defensively: every field is checked for its type, and a body that
does not have the documented shape is a PayloadInvalid (400), never a crash (500)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from kefu.channels.base import PayloadInvalid


def load_object(body: bytes, expected_object: str) -> dict[str, Any]:
    """The decoded body, whose "object" must be `expected_object` (Meta sends one app's
    webhooks for several products; a Messenger body on a WhatsApp inbox is a mistake)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadInvalid("the body is not JSON") from exc
    if not isinstance(data, dict):
        raise PayloadInvalid("the body is not a JSON object")
    if data.get("object") != expected_object:
        raise PayloadInvalid(f'"object" is {data.get("object")!r}, expected {expected_object!r}')
    return data


def as_dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadInvalid(f"{where} is not an object")
    return value


def as_list(value: Any, where: str, *, optional: bool = False) -> list[Any]:
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise PayloadInvalid(f"{where} is not a list")
    return value


def as_str(value: Any, where: str) -> str:
    """A required id-like field: a non-empty string (numbers are accepted, Meta's examples mix
    "123" and 123 for ids)."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise PayloadInvalid(f"{where} is missing or not a string")
    return str(value)


def opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def from_timestamp(value: Any, where: str, *, milliseconds: bool) -> datetime:
    """WhatsApp sends Unix seconds as a string, Messenger Unix milliseconds as a number."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise PayloadInvalid(f"{where} is not a timestamp") from exc
    if milliseconds:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise PayloadInvalid(f"{where} is out of range") from exc
