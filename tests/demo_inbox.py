"""Set-up shared by the suites that drive a real `kefu serve` with its demo workspace."""

from __future__ import annotations

import httpx


def quiet_demo_inboxes(base_url: str, admin_email: str, password: str) -> None:
    """Turn off the automatic replies of every inbox: the foundation's tests count messages
    exactly. Tests of routing turn them on for the inboxes they use."""
    with httpx.Client(base_url=base_url, timeout=10) as http:
        login = http.post("/api/v1/auth/login", json={"email": admin_email, "password": password})
        login.raise_for_status()
        http.headers["x-csrf-token"] = login.json()["csrf_token"]
        for inbox in http.get("/api/v1/inboxes").raise_for_status().json():
            url = f"/api/v1/inboxes/{inbox['id']}/routing"
            routing = http.get(url).raise_for_status().json()
            routing.update(
                greeting_enabled=False,
                queued_reply_enabled=False,
                outside_hours_reply_enabled=False,
            )
            http.put(url, json=routing).raise_for_status()
