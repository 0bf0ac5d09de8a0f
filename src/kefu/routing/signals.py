"""`request_routing_on_commit`: an action says "this inbox's queue may have moved" (and, for a
conversation that needs its routing step, which one); after the transaction commits, the node's
dispatcher (routing/dispatcher.py) routes, assigns and tells customers their new places."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.db import ROUTING_KICKS


def request_routing_on_commit(
    session: AsyncSession, inbox_id: int, conversation_id: int | None = None
) -> None:
    session.info.setdefault(ROUTING_KICKS, set()).add((inbox_id, conversation_id))
