"""The indexer job: watermark, batches, idempotence, gaps (late commits), deletions, nodes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, insert, select, text

from kefu.auth.principals import AgentPrincipal
from kefu.messages.models import Message
from kefu.runtime import Runtime
from kefu.search import indexer, queries
from kefu.search.models import SearchState
from kefu.search.queries import search_messages
from kefu.search.tokens import parse_query
from kefu.users.models import User
from tests.conftest import Workspace, visitor_send


async def _state(runtime: Runtime) -> SearchState | None:
    async with runtime.db.read() as session:
        return await session.get(SearchState, indexer.SOURCE)


async def _rows(runtime: Runtime) -> int:
    async with runtime.db.read() as session:
        return int(await session.scalar(text("SELECT count(*) FROM search_messages")) or 0)


async def _found(runtime: Runtime, user: User, query: str) -> list[str]:
    async with runtime.db.read() as session:
        hits, _ = await search_messages(
            session=session,
            actor=AgentPrincipal(user=user, via="session"),
            parsed=parse_query(query),
        )
    return [h.message.text for h in hits]


async def _send(client: httpx.AsyncClient, ws: Workspace, texts: list[str]) -> dict[str, Any]:
    sent = await visitor_send(client, ws.inbox, texts[0])
    for t in texts[1:]:
        await visitor_send(client, ws.inbox, t, token=sent["visitor_token"])
    return sent


async def test_watermark_batches_and_idempotence(
    runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await _send(client, workspace, [f"訂單 {i} 要退款" for i in range(5)])
    assert await _found(runtime, workspace.admin, "退款") == []  # nothing until the job runs
    assert await indexer.do_index_messages(runtime.db, batch=2) == 2
    assert await _rows(runtime) == 2
    assert await indexer.index_pending(runtime.db, batch=2) == 3  # the rest, batch by batch
    state = await _state(runtime)
    assert state is not None and state.indexed == 5 and state.gaps == []
    assert await indexer.index_pending(runtime.db) == 0  # caught up: nothing read, no write
    assert len(await _found(runtime, workspace.admin, "退款")) == 5
    # From scratch again (a re-index): the same rows, no duplicates.
    await indexer.do_reset_index(runtime.db)
    assert await _rows(runtime) == 0 and await _state(runtime) is None
    await indexer.index_pending(runtime.db)
    assert await _rows(runtime) == 5
    assert len(await _found(runtime, workspace.admin, "退款")) == 5
    # The worker runs it.
    await _send(client, workspace, ["另一個發票問題"])
    await runtime.worker.run_once(heartbeat=False)
    assert await _found(runtime, workspace.admin, "发票") == ["另一個發票問題"]


async def test_a_late_commit_below_the_watermark_is_indexed(
    runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await _send(client, workspace, ["first 一", "second 二", "third 三"])
    async with runtime.db.read() as session:
        ids = list((await session.execute(select(Message.id).order_by(Message.id))).scalars())
    async with runtime.db.write() as session:
        late = (await session.execute(select(Message).where(Message.id == ids[1]))).scalar_one()
        row = {c.name: getattr(late, c.key) for c in Message.__table__.columns}
        await session.execute(delete(Message).where(Message.id == ids[1]))
    await indexer.index_pending(runtime.db)  # sees 1 and 3: 2 is a gap
    state = await _state(runtime)
    assert state is not None and state.last_id == ids[2] and [g[0] for g in state.gaps] == [ids[1]]
    async with runtime.db.write() as session:  # the "slow transaction" commits now
        await session.execute(insert(Message).values(**row))
    await indexer.index_pending(runtime.db)
    assert await _found(runtime, workspace.admin, "second") == ["second 二"]
    state = await _state(runtime)
    assert state is not None and state.gaps == []


async def test_gaps_expire(
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _send(client, workspace, ["one", "two", "three"])
    async with runtime.db.write() as session:
        middle = await session.scalar(select(func.min(Message.id) + 1))
        await session.execute(delete(Message).where(Message.id == middle))
    await indexer.index_pending(runtime.db)
    state = await _state(runtime)
    assert state is not None and len(state.gaps) == 1
    later = time.time() + indexer.GAP_SECONDS + 1
    monkeypatch.setattr(indexer.time, "time", lambda: later)
    await indexer.index_pending(runtime.db)
    state = await _state(runtime)
    assert state is not None and state.gaps == []


async def test_deleted_messages_leave_the_index(
    runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await _send(client, workspace, ["keep 保留", "drop 刪除"])
    await indexer.index_pending(runtime.db)
    async with runtime.db.write() as session:
        newest = await session.scalar(select(func.max(Message.id)))
        await session.execute(delete(Message).where(Message.id == newest))
    assert await _rows(runtime) == 1
    assert await _found(runtime, workspace.admin, "drop") == []
    # SQLite gives the deleted newest id to the next message: it must be indexed, not skipped.
    sent = await visitor_send(client, workspace.inbox, "reused 重用")
    await indexer.index_pending(runtime.db)
    assert await _found(runtime, workspace.admin, "reused") == ["reused 重用"]
    assert sent["message"]["text"] == "reused 重用"


async def test_two_nodes_indexing_at_once_index_each_message_once(
    runtime: Runtime, client: httpx.AsyncClient, workspace: Workspace
) -> None:
    await _send(client, workspace, [f"退款 {i}" for i in range(6)])
    await asyncio.gather(*(indexer.index_pending(runtime.db, batch=2) for _ in range(3)))
    await indexer.index_pending(runtime.db)
    state = await _state(runtime)
    assert state is not None and state.indexed == 6
    assert await _rows(runtime) == 6


async def test_the_real_index_finds_any_substring(
    runtime: Runtime,
    client: httpx.AsyncClient,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hypothesis property of test_text.py, against FTS5 / tsvector themselves. (On
    PostgreSQL with a one-message "recent" range: both of its steps run.)"""
    monkeypatch.setattr(queries, "RECENT_IDS", 1)
    text_ = "我的帳號被鎖住了,發票也沒收到,請幫我退款"
    await _send(client, workspace, [text_, "unrelated 其他"])
    await indexer.index_pending(runtime.db)
    run = text_.split(",")[0] + text_.split(",")[2]
    for start in range(0, len(run) - 1, 2):
        for end in (start + 2, min(len(run), start + 5)):
            piece = run[start:end]
            if "," not in piece and piece in text_:
                assert await _found(runtime, workspace.admin, piece) == [text_], piece
    assert await _found(runtime, workspace.admin, "帐号 发票 退") == [text_]
