"""Whether a notification may interrupt someone: do-not-disturb (the switch or the schedule, in
the user's timezone) and the per-type browser / sound choices. Pure functions: the realtime hub
applies them to each console as it delivers a notification (so the message hot path reads no
preferences), and the preferences API reports `dnd_active` with them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from kefu.notifications.schemas import DndSchedule, Preferences

DEFAULTS = Preferences()


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(schedule: DndSchedule, local: datetime) -> bool:
    """Is the local time inside the schedule? A window past midnight (18:00 → 09:00) that starts
    on a listed day covers the early hours of the next day."""
    if not schedule.enabled or not schedule.days:
        return False
    start, end = _clock(schedule.start), _clock(schedule.end)
    now = local.time().replace(second=0, microsecond=0, tzinfo=None)
    day = local.weekday()
    if start < end:
        return day in schedule.days and start <= now < end
    if now >= start:
        return day in schedule.days
    if now < end:
        return (local - timedelta(days=1)).weekday() in schedule.days
    return False


def dnd_active(preferences: Preferences, now: datetime) -> bool:
    if preferences.dnd:
        return True
    return in_quiet_hours(preferences.dnd_schedule, now.astimezone(ZoneInfo(preferences.timezone)))


def alert_flags(
    preferences: Preferences | None, notification_type: str, now: datetime
) -> dict[str, bool]:
    """{"browser", "sound"}: may this notification show in the browser and play a sound? Never
    during do-not-disturb (it is still recorded in the centre)."""
    preferences = preferences or DEFAULTS
    if dnd_active(preferences, now):
        return {"browser": False, "sound": False, "dnd": True}
    channels = preferences.channels(notification_type)
    return {"browser": channels.browser, "sound": channels.sound, "dnd": False}
