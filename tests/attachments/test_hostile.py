"""Hostile uploads: each is a clear 4xx, and nothing is left behind (no rows, no stored files,
no temporary files)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kefu.runtime import Runtime
from tests.attachments import samples
from tests.attachments.helpers import (
    FileSpec,
    agent_upload,
    counts,
    error_code,
    leftovers,
    start_chat,
    stored,
    visitor_upload,
)
from tests.conftest import Workspace, agent_client

REFUSED: list[tuple[str, list[FileSpec], int, str]] = [
    ("html", [("page.html", samples.HTML, "text/html")], 415, "attachment_type_not_allowed"),
    ("html as png", [("cat.png", samples.HTML, "image/png")], 415, "attachment_type_not_allowed"),
    ("svg", [("logo.svg", samples.SVG, "image/svg+xml")], 415, "attachment_type_not_allowed"),
    ("svg named png", [("logo.png", samples.SVG, "")], 415, "attachment_type_not_allowed"),
    ("exe as pdf", [("invoice.pdf", samples.EXE, "application/pdf")], 415,
     "attachment_type_not_allowed"),
    ("exe name", [("setup.exe", samples.ZIP, "application/zip")], 415,
     "attachment_type_not_allowed"),
    ("declared jpeg is pdf", [("photo", samples.PDF, "image/jpeg")], 422,
     "attachment_type_mismatch"),
    ("jpg name is pdf", [("photo.jpg", samples.PDF, "image/jpeg")], 422,
     "attachment_type_mismatch"),
    ("pdf name is png", [("report.pdf", samples.png(), "application/octet-stream")], 422,
     "attachment_type_mismatch"),
    ("zero bytes", [("empty.txt", b"", "text/plain")], 422, "attachment_empty"),
    ("too many", [(f"{i}.png", samples.png(), "image/png") for i in range(6)], 422,
     "too_many_attachments"),
    ("one bad of two", [("ok.png", samples.png(), "image/png"), ("x.html", samples.HTML, "")],
     415, "attachment_type_not_allowed"),
    ("oversize", [("big.png", samples.png() + b"\x00" * 5000, "image/png")], 413,
     "attachment_too_large"),
    ("not allowed here", [("archive.zip", samples.ZIP, "application/zip")], 415,
     "attachment_type_not_allowed"),
]  # fmt: skip


@pytest.fixture
def staging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads are staged here during the test (to prove they are cleaned up)."""
    path = tmp_path / "staging"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


async def test_hostile_uploads_are_refused_and_leave_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    runtime: Runtime,
    staging: Path,
) -> None:
    admin = await agent_client(app, workspace.admin.email)
    agent = await agent_client(app, workspace.agent.email)
    chat = await start_chat(client, workspace, agent)
    allowed = (await admin.get(f"/api/v1/inboxes/{workspace.inbox.id}/attachment-settings")).json()
    settings = {
        "customer_uploads": True,
        "max_bytes": 4096,
        "allowed_types": [t for t in allowed["allowed_types"] if t != "application/zip"],
    }
    put = await admin.put(
        f"/api/v1/inboxes/{workspace.inbox.id}/attachment-settings", json=settings
    )
    assert put.status_code == 200, put.text
    before = await counts(runtime)

    outcomes = []
    for label, files, _, _ in REFUSED:
        for response in (
            await agent_upload(agent, chat.id, files, text="看看"),
            await visitor_upload(client, workspace, chat.token, files),
        ):
            outcomes.append((label, response.status_code, error_code(response)))
    assert outcomes == [
        (label, status, code) for label, _, status, code in REFUSED for _ in range(2)
    ]

    base = f"/api/v1/conversations/{chat.id}/attachments"
    malformed = {
        "no files": await agent.post(
            base,
            content=b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--b--\r\n',
            headers={"content-type": "multipart/form-data; boundary=b"},
        ),
        "form body": await agent.post(base, data={"text": "hi"}),
        "json body": await agent.post(base, json={"text": "hi"}),
        "unknown field": await agent_upload(
            agent, chat.id, [("a.png", samples.png(), "")], sender="admin"
        ),
        "text too long": await agent_upload(
            agent, chat.id, [("a.png", samples.png(), "")], text="長" * 10_001
        ),
        "bad kind": await agent_upload(
            agent, chat.id, [("a.png", samples.png(), "")], kind="broadcast"
        ),
        "cut short": await agent.post(
            base,
            content=(
                b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n'
                b"Content-Type: image/png\r\n\r\n" + samples.png()[:20]
            ),
            headers={"content-type": "multipart/form-data; boundary=b"},
        ),
        "file in a text field": await agent.post(
            base, files=[("text", ("a.png", samples.png(), "image/png"))]
        ),
    }
    assert {label: (r.status_code, error_code(r)) for label, r in malformed.items()} == {
        "no files": (422, "no_attachments"),
        "form body": (422, "bad_upload"),
        "json body": (422, "bad_upload"),
        "unknown field": (422, "bad_upload"),
        "text too long": (422, "invalid_input"),
        "bad kind": (422, "invalid_input"),
        "cut short": (422, "bad_upload"),
        "file in a text field": (422, "bad_upload"),
    }
    anonymous = await visitor_upload(client, workspace, None, [("a.png", samples.png(), "")])
    assert anonymous.status_code == 401

    assert await counts(runtime) == before
    assert stored(runtime) == []
    assert leftovers(staging) == []
    await admin.aclose()
    await agent.aclose()


async def test_path_names_are_refused_and_uploads_have_their_own_body_limit(
    app: FastAPI,
    client: httpx.AsyncClient,
    workspace: Workspace,
    runtime: Runtime,
    staging: Path,
) -> None:
    agent = await agent_client(app, workspace.agent.email)
    chat = await start_chat(client, workspace, agent)
    before = await counts(runtime)
    for name, data in (("../../etc/passwd", samples.TEXT), ("..\\x.png", samples.png())):
        sent = await agent_upload(agent, chat.id, [(name, data, "")])
        assert sent.status_code == 422, sent.text
        assert sent.json()["error"]["code"] == "attachment_bad_name"
    assert await counts(runtime) == before
    assert stored(runtime) == [] and leftovers(staging) == []
    root = runtime.storage.root  # type: ignore[attr-defined]
    assert not (root.parent / "etc").exists()

    # Uploads have their own body limit; every other route keeps KEFU_MAX_BODY_BYTES (1 MB).
    big = samples.png() + b"\x00" * 1_500_000  # over 1 MB, under the inbox's 10 MB
    accepted = await agent_upload(agent, chat.id, [("big.png", big, "image/png")])
    assert accepted.status_code == 201, accepted.text
    message = await agent.post(
        f"/api/v1/conversations/{chat.id}/messages", json={"text": "x" * 1_500_000}
    )
    assert message.status_code == 413 and error_code(message) == "payload_too_large"
    lookalike = await agent.post(
        f"/api/v1/conversations/{chat.id}/attachments/x", content=b"x" * 1_500_000
    )
    assert lookalike.status_code == 413
    await agent.aclose()
