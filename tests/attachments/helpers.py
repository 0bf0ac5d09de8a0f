"""Shared steps of the attachment API tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from kefu.messages.models import Attachment, Message
from kefu.runtime import Runtime
from kefu.storage import LocalStorage
from tests.conftest import Workspace, visitor_send

FileSpec = tuple[str, bytes, str]  # name, bytes, declared type


@dataclass
class Chat:
    id: int  # the agents' id
    public_id: str  # the customer's
    token: str  # the visitor token


async def start_chat(
    client: httpx.AsyncClient, workspace: Workspace, agent: httpx.AsyncClient, text: str = "你好"
) -> Chat:
    """A customer's conversation, started with a text message (as the widget does)."""
    sent = await visitor_send(client, workspace.inbox, text)
    listed = await agent.get("/api/v1/conversations", params={"status": "all"})
    newest = listed.json()["items"][0]  # the conversation just started
    return Chat(
        id=int(newest["id"]), public_id=sent["conversation"]["id"], token=sent["visitor_token"]
    )


def multipart(files: list[FileSpec]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, data, declared)) for name, data, declared in files]


async def agent_upload(
    agent: httpx.AsyncClient, conv_id: int, files: list[FileSpec], **fields: str
) -> httpx.Response:
    return await agent.post(
        f"/api/v1/conversations/{conv_id}/attachments", data=fields, files=multipart(files)
    )


async def visitor_upload(
    client: httpx.AsyncClient,
    workspace: Workspace,
    token: str | None,
    files: list[FileSpec],
    **fields: str,
) -> httpx.Response:
    headers = {"x-kefu-visitor": token} if token else {}
    return await client.post(
        f"/api/v1/widget/{workspace.inbox.public_key}/attachments",
        data=fields,
        files=multipart(files),
        headers=headers,
    )


def stored(runtime: Runtime) -> list[Path]:
    """Every file under the storage root (stored objects and anything half-written)."""
    assert isinstance(runtime.storage, LocalStorage)
    root = runtime.storage.root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def leftovers(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


async def counts(runtime: Runtime) -> tuple[int, int]:
    """(attachment rows, message rows)."""
    async with runtime.db.read() as session:
        attachments = await session.scalar(select(func.count(Attachment.id)))
        messages = await session.scalar(select(func.count(Message.id)))
    return int(attachments or 0), int(messages or 0)


def error_code(response: httpx.Response) -> Any:
    return response.json()["error"]["code"]
