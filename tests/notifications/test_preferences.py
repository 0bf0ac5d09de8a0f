"""Notification preferences: validation, do-not-disturb (the switch and the schedule, in the
user's timezone) that silences browser alerts and sounds but still records, and per-type
choices (a type kept out of the centre is not recorded)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from kefu.notifications.alerts import alert_flags, in_quiet_hours
from kefu.notifications.schemas import DndSchedule, Preferences
from kefu.runtime import Runtime
from tests.conftest import Workspace, agent_client, visitor_send
from tests.notifications.helpers import Console, api_token, checked, start_conversation

URL = "/api/v1/me/notification-preferences"


async def test_preferences_are_validated_and_personal(app: FastAPI, workspace: Workspace) -> None:
    alex = await agent_client(app, workspace.agent2.email)
    defaults = (await alex.get(URL)).json()
    assert defaults["dnd"] is False and defaults["dnd_active"] is False
    assert defaults["types"]["mentioned"] == {"in_app": True, "browser": True, "sound": True}
    bad: list[dict[str, Any]] = [
        {"timezone": "Mars/Olympus"},
        {"timezone": "../../etc/passwd"},
        {"timezone": "x" * 10_000},
        {"dnd_schedule": {"enabled": True, "start": "25:00", "end": "09:00"}},
        {"dnd_schedule": {"enabled": True, "start": "09:00", "end": "09:00"}},
        {"dnd_schedule": {"days": [7]}},
        {"dnd_schedule": {"days": [1, 1]}},
        {"types": {"message": {"in_app": "sometimes"}}},
        {"types": {"weather": {"sound": True}}},
        {"dnd": True, "unknown": 1},
    ]
    for body in bad:
        response = await alex.put(URL, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_input"
    assert (await alex.get(URL)).json() == defaults  # nothing stored

    saved = await alex.put(
        URL,
        json={
            "types": {"message": {"in_app": True, "browser": False, "sound": False}},
            "timezone": "Asia/Taipei",
            "dnd_schedule": {"enabled": True, "days": [5, 6], "start": "22:00", "end": "08:00"},
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["types"]["message"]["browser"] is False
    assert saved.json()["types"]["assigned"]["browser"] is True  # unspecified: defaults
    assert (await alex.get(URL)).json()["timezone"] == "Asia/Taipei"
    mei = await agent_client(app, workspace.agent.email)
    assert (await mei.get(URL)).json()["timezone"] == "UTC"  # one user's settings only
    await alex.aclose()
    await mei.aclose()


def test_quiet_hours_in_the_users_timezone() -> None:
    overnight = DndSchedule(enabled=True, days=[4], start="22:00", end="08:00")  # Friday night
    taipei = Preferences(timezone="Asia/Taipei", dnd_schedule=overnight)
    friday_late = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # Fri 23:30 in Taipei
    saturday_early = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)  # Sat 07:00 in Taipei
    saturday_late = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)  # Sat 23:30: not listed
    friday_noon = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
    assert alert_flags(taipei, "message", friday_late) == {
        "browser": False,
        "sound": False,
        "dnd": True,
    }
    assert alert_flags(taipei, "message", saturday_early)["dnd"] is True
    assert alert_flags(taipei, "message", saturday_late)["dnd"] is False
    assert alert_flags(taipei, "message", friday_noon)["dnd"] is False
    # The same instant is not quiet in another timezone.
    assert (
        alert_flags(taipei.model_copy(update={"timezone": "UTC"}), "message", friday_late)["dnd"]
        is False
    )
    office = DndSchedule(enabled=True, days=[0, 1, 2, 3, 4], start="12:00", end="13:00")
    monday = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    assert in_quiet_hours(office, monday) is True
    assert in_quiet_hours(office.model_copy(update={"enabled": False}), monday) is False
    with pytest.raises(ValidationError):
        DndSchedule(start="7:00")


async def test_do_not_disturb_silences_alerts_but_records(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    live_server: str,
) -> None:
    mei = await agent_client(app, workspace.agent.email)
    alex = await agent_client(app, workspace.agent2.email)
    conversation_id, token = await start_conversation(client, mei, workspace)
    console = await Console.open(live_server, await api_token(app, workspace.agent2.email))
    turned_on = await alex.put(URL, json={"dnd": True})
    assert turned_on.json()["dnd_active"] is True
    # Every console of the user hears of the change (and the hub decides with it from now on).
    changed = checked(await console.wait_for(lambda f: f["type"] == "notification.preferences"))
    assert changed["preferences"]["dnd"] is True

    async def mention(text: str) -> dict[str, Any]:
        response = await mei.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={
                "text": text,
                "kind": "note",
                "mentions": [{"type": "user", "id": workspace.agent2.id}],
            },
        )
        assert response.status_code == 201, response.text
        return checked(
            await console.wait_for(
                lambda f: (
                    f["type"] == "notification.created" and f["notification"]["preview"] == text
                )
            )
        )

    quiet = await mention("@Alex during DND")
    assert quiet["alert"] == {"browser": False, "sound": False, "dnd": True}
    listed = (await alex.get("/api/v1/notifications")).json()
    assert listed["unread_count"] == 1 and listed["items"][0]["preview"] == "@Alex during DND"

    await alex.put(
        URL,
        json={
            "dnd": False,
            "types": {"mentioned": {"in_app": True, "browser": True, "sound": False}},
        },
    )
    loud = await mention("@Alex after DND")
    assert loud["alert"] == {"browser": True, "sound": False, "dnd": False}

    # A type kept out of the centre is not recorded at all.
    for user, agent in ((workspace.agent, mei), (workspace.agent2, alex)):
        await agent.post(
            f"/api/v1/conversations/{conversation_id}/participants", json={"user_id": user.id}
        )
    off = {"in_app": False, "browser": False, "sound": False}
    assert (await alex.put(URL, json={"types": {"message": off}})).status_code == 200
    await visitor_send(client, workspace.inbox, "hello again", token=token)
    assert (await mei.get("/api/v1/notifications")).json()["items"][0]["type"] == "message"
    assert [i["type"] for i in (await alex.get("/api/v1/notifications")).json()["items"]] == [
        "mentioned",
        "mentioned",
    ]
    await console.close()
    await mei.aclose()
    await alex.aclose()
