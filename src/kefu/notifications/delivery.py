"""Per-console alert flags on live notifications, decided where they are delivered.

Each node keeps the notification preferences of the users who have a console open on it: read
when the console connects, replaced when a `notification.preferences` event passes (every node
hears it through the broker). As a `notification.created` event is delivered, the hub adds
`alert: {browser, sound, dnd}` for its user. So the action that creates a notification, the
customer-message hot path included, never reads preferences for it.
"""

from __future__ import annotations

from typing import Any

from kefu.db import utcnow
from kefu.events import types
from kefu.events.types import Event
from kefu.notifications.alerts import alert_flags
from kefu.notifications.schemas import Preferences


class AlertPreferences:
    def __init__(self) -> None:
        self._by_user: dict[int, Preferences] = {}

    def set(self, user_id: int, preferences: Preferences) -> None:
        self._by_user[user_id] = preferences

    def forget(self, user_id: int) -> None:
        self._by_user.pop(user_id, None)

    def observe(self, event: Event) -> None:
        """Keep the cached preferences of a connected user current."""
        if event.type != types.NOTIFICATION_PREFERENCES:
            return
        user_id = event.agent["user_id"]
        if user_id in self._by_user:
            fields = dict(event.agent["preferences"])
            fields.pop("dnd_active", None)
            self._by_user[user_id] = Preferences.model_validate(fields)

    def payload_for(self, event: Event, user_id: int) -> dict[str, Any]:
        if event.type != types.NOTIFICATION_CREATED:
            return event.agent
        kind = event.agent["notification"]["type"]
        flags = alert_flags(self._by_user.get(user_id), kind, utcnow())
        return {**event.agent, "alert": flags}
