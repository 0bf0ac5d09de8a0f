from __future__ import annotations

import httpx
import pytest

from kefu.events.types import Event
from kefu.runtime import Runtime
from tests.conftest import Workspace, visitor_send


async def test_broker_outage_does_not_fail_committed_writes(
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(events: list[Event]) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(runtime.broker, "publish", broken)
    sent = await visitor_send(client, workspace.inbox, "still saved")
    assert sent["message"]["seq"] == 1
    assert "publishing" in caplog.text
    session = await client.get(
        f"/api/v1/widget/{workspace.inbox.public_key}/session",
        headers={"x-kefu-visitor": sent["visitor_token"]},
    )
    assert [m["text"] for m in session.json()["messages"]] == ["still saved"]
