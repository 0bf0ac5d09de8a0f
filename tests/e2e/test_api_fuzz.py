"""Schemathesis fuzzes every operation in /openapi.json against a real kefu process: whatever it
sends, the server must answer without a 5xx (bad input is a 4xx with a JSON error).

It acts as the demo admin through an API token, and that identity must survive the whole run:
otherwise every later operation only sees 401/403 and the run tests nothing (it once did, for
76 of 115 operations). The two operations that could take it away are pointed at other
objects: `PATCH /users/{user_id}` at an agent, `DELETE /me/tokens/{token_id}` at a spare token.
The run is checked from its HAR record: every selected operation tested, none answered only
401/403, and three quarters reached the API's logic (some 2xx)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import KefuServer

# With the demo's weeks of history (tests/e2e/conftest.py), so that report and staffing
# endpoints are fuzzed with data to compute from (an overflow hid behind an empty forecast).
DEMO_HISTORY = True

ADMIN = "admin@kefu.local"
# These call the messaging provider's real API (tests/channels covers them against local fakes):
# no test may depend on the internet.
EXCLUDED = (
    "GET /api/v1/inboxes/{inbox_id}/templates",
    "POST /api/v1/inboxes/{inbox_id}/telegram/webhook",
)
# Answer only 401/403 to an admin by design, whatever the input: a file needs its signed link,
# a webhook its provider's signature (unknown keys are a 404).
AUTH_BY_DESIGN = {"GET /api/v1/files/{public_id}"}


@dataclass
class Fixtures:
    token: str  # the fuzzer's: the admin's
    parameters: dict[str, object]  # for every operation with such a parameter
    public_conversation_id: str  # the widget's routes name a conversation by its public id
    agent_id: int
    spare_token_id: int


def _prepare(server: KefuServer) -> Fixtures:
    """The fuzzer's token; real objects for the operations that take an id (the demo has no
    conversation: they would all be 404s); an agent's id and a spare token's id for the two
    operations that would otherwise deactivate the fuzzer's admin or revoke its token."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        login = client.post(
            "/api/v1/auth/login", json={"email": ADMIN, "password": server.password(ADMIN)}
        )
        login.raise_for_status()
        client.headers["x-csrf-token"] = login.json()["csrf_token"]
        token = client.post("/api/v1/me/tokens", json={"name": "fuzz"}).raise_for_status()
        spare = client.post("/api/v1/me/tokens", json={"name": "spare"}).raise_for_status()
        users = client.get("/api/v1/users").raise_for_status().json()
        agent = next(u["id"] for u in users if u["role"] == "agent" and u["is_active"])
        inbox = client.get("/api/v1/inboxes").raise_for_status().json()[0]
        sent = client.post(
            f"/api/v1/widget/{inbox['public_key']}/messages",
            json={"text": "fuzz me", "client_msg_id": "fuzz-1"},
        ).raise_for_status()
        public_id = sent.json()["conversation"]["id"]
        listed = client.get("/api/v1/conversations").raise_for_status().json()
        conversation = listed["items"][0]
        canned = client.post(
            "/api/v1/canned-responses",
            json={"shortcut": "fuzz", "title": "Fuzz", "content": "Hello"},
        ).raise_for_status()
        return Fixtures(
            token=token.json()["token"],
            parameters={
                "path.inbox_key": inbox["public_key"],
                "path.conversation_id": conversation["id"],
                "path.contact_id": conversation["contact"]["id"],
                "path.canned_id": canned.json()["id"],
                "header.X-Kefu-Visitor": sent.json()["visitor_token"],
            },
            public_conversation_id=public_id,
            agent_id=agent,
            spare_token_id=spare.json()["id"],
        )


def _toml(value: object) -> str:
    return json.dumps(value)  # strings and integers: TOML's syntax is JSON's


def _operation_matcher(schema: dict[str, Any]) -> list[tuple[re.Pattern[str], str, str]]:
    """(path regex, method, label) for every operation; literal paths before templated ones
    (`/conversations/bulk` is not `/conversations/{conversation_id}`)."""
    found: list[tuple[int, re.Pattern[str], str, str]] = []
    for path, operations in schema["paths"].items():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method in operations:
            found.append((path.count("{"), pattern, method.upper(), f"{method.upper()} {path}"))
    found.sort(key=lambda item: item[0])
    return [(pattern, method, label) for _, pattern, method, label in found]


def _statuses(har: dict[str, Any], schema: dict[str, Any]) -> dict[str, Counter[int]]:
    matcher = _operation_matcher(schema)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    for entry in har["log"]["entries"]:
        method = entry["request"]["method"]
        path = httpx.URL(entry["request"]["url"]).path
        label = next((lb for p, m, lb in matcher if m == method and p.match(path)), None)
        if label is None:  # a method the path does not offer (checking that it is a 405)
            continue
        statuses[label][entry["response"]["status"]] += 1
    return statuses


def test_no_server_errors_under_fuzzing(kefu_server: KefuServer, tmp_path: Path) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is a dev dependency"
    fixtures = _prepare(kefu_server)
    (tmp_path / "schemathesis.toml").write_text(
        "[parameters]\n"
        + "".join(f"{_toml(k)} = {_toml(v)}\n" for k, v in fixtures.parameters.items())
        + "[[operations]]\n"
        'include-path-regex = "^/api/v1/widget/"\n'
        f'parameters = {{ "path.conversation_id" = {_toml(fixtures.public_conversation_id)} }}\n'
        "[[operations]]\n"
        'include-name = "PATCH /api/v1/users/{user_id}"\n'
        f'parameters = {{ "path.user_id" = {fixtures.agent_id} }}\n'
        "[[operations]]\n"
        'include-name = "DELETE /api/v1/me/tokens/{token_id}"\n'
        f'parameters = {{ "path.token_id" = {fixtures.spare_token_id} }}\n'
    )
    command = [
        st,
        "--config-file",
        str(tmp_path / "schemathesis.toml"),
        "run",
        f"{kefu_server.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {fixtures.token}",
        "--checks",
        "not_a_server_error",
        *(arg for name in EXCLUDED for arg in ("--exclude-name", name)),
        "--max-examples",
        "6",
        "--workers",
        "1",
        # Reproducible: a fixed seed, no example database carried between runs, and no
        # time-based verdicts (a loaded machine is slow, not wrong).
        "--seed",
        "20261124",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "60",
        "--report",
        "har",
        "--report-har-path",
        str(tmp_path / "run.har"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    errors = result.stdout.find("FAILURES")
    if errors < 0:
        errors = result.stdout.find("ERRORS")
    assert result.returncode == 0, (
        result.stdout[errors : errors + 4000] if errors >= 0 else result.stdout[-4000:]
    ) + result.stderr[-2000:]

    selected = re.search(r"Selected: (\d+)/(\d+)", result.stdout)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert selected and tested, result.stdout[-2000:]
    assert int(selected.group(2)) - int(selected.group(1)) == len(EXCLUDED)
    assert tested.group(1) == selected.group(1)  # every selected operation

    schema = httpx.get(f"{kefu_server.base_url}/openapi.json").json()
    statuses = _statuses(json.loads((tmp_path / "run.har").read_text()), schema)
    labels = {f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops}
    assert set(statuses) == labels - set(EXCLUDED)
    only_auth = {op for op, seen in statuses.items() if set(seen) <= {401, 403}}
    assert only_auth <= AUTH_BY_DESIGN, f"answered only 401/403: {sorted(only_auth)}"
    reached = {op for op, seen in statuses.items() if any(200 <= s < 300 for s in seen)}
    # 97 of 113 on the day this was written; the rest need objects no fixture makes (a merge
    # suggestion, a scheduled message) or are refused by design (a webhook without a channel).
    assert len(reached) * 4 >= len(statuses) * 3, (
        f"only {len(reached)} of {len(statuses)} operations reached a 2xx; never: "
        + ", ".join(sorted(set(statuses) - reached))
    )
    # The fuzzer's identity held to the end.
    me = httpx.get(
        f"{kefu_server.base_url}/api/v1/auth/me",
        headers={"authorization": f"Bearer {fixtures.token}"},
    )
    assert me.status_code == 200 and me.json()["user"]["role"] == "admin", me.text
