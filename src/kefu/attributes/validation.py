"""Checking custom attribute values against their definitions: pure functions, no database.

A change is a mapping key -> value (None removes the value). Every value is checked before any is
stored, and the first bad one is refused with a 422 naming the field, e.g.
`attributes.plan: not one of the options`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Protocol

from kefu.errors import InvalidInput

MAX_TEXT = 1000
MAX_NUMBER = 1e15  # beyond this a JSON number loses integer precision in browsers
MAX_CHANGES = 100
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Definition(Protocol):
    key: str
    type: str
    options: list[str]


def check_changes(
    definitions: Iterable[Definition], changes: Mapping[str, Any], *, field: str = "attributes"
) -> dict[str, Any]:
    """The changes, normalised (numbers as int when whole, dates as YYYY-MM-DD), or InvalidInput."""
    if len(changes) > MAX_CHANGES:
        raise InvalidInput("Too many attributes at once.", code="bad_attribute", field=field)
    known = {d.key: d for d in definitions}
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        name = f"{field}.{key[:40]}"
        definition = known.get(key)
        if definition is None:
            raise InvalidInput(f"{name}: unknown attribute", code="unknown_attribute", field=name)
        checked[key] = None if value is None else _check_value(definition, value, name)
    return checked


def _check_value(definition: Definition, value: Any, name: str) -> Any:
    kind = definition.type
    if kind == "text":
        if not isinstance(value, str):
            raise _wrong_type(name, "text")
        if len(value) > MAX_TEXT:
            raise InvalidInput(
                f"{name}: longer than {MAX_TEXT} characters",
                code="attribute_too_long",
                field=name,
                max=MAX_TEXT,
            )
        if any(ord(ch) < 32 and ch not in "\t\n" for ch in value):
            raise _wrong_type(name, "text")
        return value
    if kind == "number":
        # bool is an int in Python; a checkbox's true is not a number.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(name, "number")
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise _wrong_type(name, "number")
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if kind == "date":
        if not isinstance(value, str) or not DATE_PATTERN.match(value):
            raise _wrong_type(name, "date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise _wrong_type(name, "date (YYYY-MM-DD)") from exc
    # list
    if not isinstance(value, str) or value not in definition.options:
        raise InvalidInput(
            f"{name}: not one of the options", code="attribute_not_an_option", field=name
        )
    return value


def _wrong_type(name: str, expected: str) -> InvalidInput:
    return InvalidInput(
        f"{name}: expected a {expected}", code="attribute_type", field=name, expected=expected
    )


def apply_changes(current: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict (so that the JSON column sees the change): set values, drop the None ones."""
    result = dict(current or {})
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result
