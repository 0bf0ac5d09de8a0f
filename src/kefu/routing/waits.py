"""How waits and opening times are put to customers."""

from __future__ import annotations

import math
from datetime import datetime

from kefu.routing.hours import BusinessHours
from kefu.routing.policy import estimate_wait_seconds

_WEEKDAYS = {
    "zh-TW": ("週一", "週二", "週三", "週四", "週五", "週六", "週日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def describe_wait(ahead: int, slots: int, average_handle_seconds: float) -> int | None:
    """Expected wait in whole minutes (at least 1), or None when no agent is online."""
    seconds = estimate_wait_seconds(ahead, slots, average_handle_seconds)
    return None if seconds is None else max(1, math.ceil(seconds / 60))


def format_next_open(at: datetime, hours: BusinessHours, locale: str) -> str:
    """The next opening in the inbox's timezone: "11/25（週二）09:00" or "Tue 25 Nov 09:00"."""
    local = at.astimezone(hours.zone)
    if locale == "en":
        return f"{_WEEKDAYS['en'][local.weekday()]} {local.day} {local:%b %H:%M}"
    return f"{local.month}/{local.day}（{_WEEKDAYS['zh-TW'][local.weekday()]}）{local:%H:%M}"
