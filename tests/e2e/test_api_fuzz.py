"""Schemathesis fuzzes every operation in /openapi.json against a real kefu process: whatever it
sends, the server must answer without a 5xx (bad input is a 4xx with a JSON error)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.conftest import KefuServer


def _api_token(server: KefuServer) -> str:
    with httpx.Client(base_url=server.base_url) as client:
        login = client.post(
            "/api/v1/auth/login",
            json={"email": "admin@kefu.local", "password": server.password("admin@kefu.local")},
        )
        csrf = login.json()["csrf_token"]
        created = client.post(
            "/api/v1/me/tokens", json={"name": "fuzz"}, headers={"x-csrf-token": csrf}
        )
        token: str = created.json()["token"]
        return token


def test_no_server_errors_under_fuzzing(kefu_server: KefuServer, tmp_path: Path) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is a dev dependency"
    result = subprocess.run(
        [
            st,
            "run",
            f"{kefu_server.base_url}/openapi.json",
            "--header",
            f"Authorization: Bearer {_api_token(kefu_server)}",
            "--checks",
            "not_a_server_error",
            # The fuzzer acts as the admin: these two could deactivate that admin or revoke
            # its token half-way, leaving every later operation a 401 (tested in tests/users).
            "--exclude-name",
            "PATCH /api/v1/users/{user_id}",
            "--exclude-name",
            "DELETE /api/v1/me/tokens/{token_id}",
            # These call the messaging provider's real API (tests/channels covers them against
            # local fakes): no test may depend on the internet.
            "--exclude-name",
            "GET /api/v1/inboxes/{inbox_id}/templates",
            "--exclude-name",
            "POST /api/v1/inboxes/{inbox_id}/telegram/webhook",
            # Six per operation: every operation now gets authenticated requests (the suite's
            # 15-minute budget is the limit).
            "--max-examples",
            "6",
            "--workers",
            "1",
            "--seed",
            "20261124",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    errors = result.stdout.find("ERRORS")  # schemathesis' section naming what went wrong
    assert result.returncode == 0, (
        result.stdout[errors : errors + 4000] if errors >= 0 else result.stdout[-4000:]
    ) + result.stderr[-2000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", result.stdout)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert selected and tested, result.stdout[-2000:]
    assert tested.group(1) == selected.group(1)  # every selected operation
    assert "Authentication failed" not in result.stdout, result.stdout[-2000:]
