"""The outbox handler that sends due scheduled messages."""

from __future__ import annotations

from typing import Any

from kefu.outbox.registry import JobContext, job_handler
from kefu.scheduled.actions import SEND_JOB, do_fail_scheduled_message, do_send_scheduled_message


async def _give_up(ctx: JobContext, payload: dict[str, Any], error: str) -> None:
    async with ctx.db.write() as session:
        await do_fail_scheduled_message(
            session, scheduled_id=int(payload["id"]), failure="send_failed"
        )


@job_handler(SEND_JOB, on_dead=_give_up)
async def send_scheduled_message(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.db.write() as session:
        await do_send_scheduled_message(session, scheduled_id=int(payload["id"]))
