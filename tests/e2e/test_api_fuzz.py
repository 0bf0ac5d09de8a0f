"""Schemathesis fuzzes every operation in /openapi.json against a real kefu process: whatever it
sends, the server must answer without a 5xx (bad input is a 4xx with a JSON error)."""

from __future__ import annotations

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
            "--max-examples",
            "8",
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
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Tested: 30" in result.stdout or "Tested:" in result.stdout
