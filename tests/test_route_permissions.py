"""The route table is walked: every API route must refuse anonymous callers (unless it is one of
the few public ones) and must be named by a permission test.

A test module declares the routes its permission tests cover in a module-level
`PERMISSION_TESTED = {"METHOD /api/v1/path/{param}", ...}` (a literal set, read here without
importing the module). A route added without one fails the first test below.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx

from tests.conftest import Workspace

TESTS = Path(__file__).parent

# Reachable without a login or a visitor token, on purpose.
PUBLIC = {
    "POST /api/v1/auth/login",
    "GET /api/v1/widget/{inbox_key}/config",
    "GET /api/v1/widget/{inbox_key}/session",
    # A first message without a visitor token starts a new visitor (as the widget does).
    "POST /api/v1/widget/{inbox_key}/messages",
    # Identifying a visitor (an HMAC-verified host-site user) issues their token.
    "POST /api/v1/widget/{inbox_key}/session",
    # Published help articles, for the widget and the help centre (kefu/kb/public_search.py).
    "GET /api/v1/public/kb/search",
}

# Routes that validate their body before the caller: a valid body, so that the check is reached.
BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/widget/{inbox_key}/conversations/{conversation_id}/read": {"seq": 1},
    "POST /api/v1/widget/{inbox_key}/conversations/{conversation_id}/survey": {
        "kind": "csat",
        "score": 5,
    },
    "POST /api/v1/widget/{inbox_key}/timezone": {"timezone": "Asia/Taipei"},
}


def declared_permission_tests() -> dict[str, list[str]]:
    """Route -> the test modules that say they cover it."""
    covered: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if isinstance(node, ast.AnnAssign):
                target = node.target
            if isinstance(target, ast.Name) and target.id == "PERMISSION_TESTED":
                assert node.value is not None
                for route in ast.literal_eval(node.value):
                    covered.setdefault(route, []).append(str(path.relative_to(TESTS)))
    return covered


def api_routes(spec: dict[str, dict[str, object]]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }


async def test_every_route_has_a_permission_test(client: httpx.AsyncClient) -> None:
    routes = api_routes((await client.get("/openapi.json")).json())
    covered = declared_permission_tests()
    missing = sorted(routes - PUBLIC - covered.keys())
    assert not missing, (
        f"routes without a permission test (add them to PERMISSION_TESTED): {missing}"
    )
    stale = sorted(covered.keys() - routes)
    assert not stale, f"PERMISSION_TESTED names routes that do not exist: {stale}"


async def test_every_route_refuses_anonymous_callers(
    client: httpx.AsyncClient, workspace: Workspace
) -> None:
    routes = api_routes((await client.get("/openapi.json")).json())
    key = workspace.inbox.public_key
    refused: list[str] = []
    for route in sorted(routes - PUBLIC):
        method, template = route.split(" ", 1)
        path = template.replace("{inbox_key}", key)
        path = re.sub(r"\{[a-z_]+\}", "1", path)
        response = await client.request(method, path, json=BODIES.get(route, {}))
        if response.status_code != 401:
            refused.append(f"{route}: {response.status_code}")
    assert not refused, refused
