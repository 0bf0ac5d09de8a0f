"""The outbox runner: jobs run once, failures retry with exponential backoff until they are
dead-lettered (never dropped), abandoned jobs are claimed again after their lease, and two
runners (two nodes) never run the same job twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from kefu.db import Database, utcnow
from kefu.outbox.actions import count_recent_jobs, enqueue_job
from kefu.outbox.models import OutboxJob
from kefu.outbox.registry import REGISTRY, HandlerRegistry, JobContext
from kefu.outbox.runner import OutboxRunner, backoff_seconds
from kefu.runtime import Runtime


async def enqueue(runtime: Runtime, kind: str, payload: dict[str, Any], **kw: Any) -> int:
    async with runtime.db.write() as session:
        job = await enqueue_job(session, kind, payload, **kw)
    return job.id


async def row(runtime: Runtime, job_id: int) -> OutboxJob:
    async with runtime.db.read() as session:
        job = await session.get(OutboxJob, job_id)
    assert job is not None
    return job


async def make_due(runtime: Runtime, job_id: int) -> None:
    """Time passes: the job's next attempt (or its lease) is now."""
    async with runtime.db.write() as session:
        await session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job_id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


class Recorder:
    def __init__(self, fail_times: int = 0, delay: float = 0.0) -> None:
        self.calls: list[tuple[int, int, dict[str, Any]]] = []
        self.dead: list[tuple[int, str]] = []
        self.fail_times = fail_times
        self.delay = delay

    async def handle(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        self.calls.append((ctx.job_id, ctx.attempt, payload))
        if self.delay:
            await asyncio.sleep(self.delay)
        if len(self.calls) <= self.fail_times:
            raise ConnectionError(f"smtp down ({len(self.calls)})")

    async def on_dead(self, ctx: JobContext, payload: dict[str, Any], error: str) -> None:
        self.dead.append((ctx.job_id, error))


def runner_for(runtime: Runtime, recorder: Recorder, **kw: Any) -> OutboxRunner:
    registry = HandlerRegistry()
    registry.register("test.job", recorder.handle, on_dead=recorder.on_dead)
    return OutboxRunner(runtime.settings, runtime.db, registry=registry, **kw)


async def test_a_job_runs_once_and_is_done(runtime: Runtime) -> None:
    recorder = Recorder()
    runner = runner_for(runtime, recorder)
    job_id = await enqueue(runtime, "test.job", {"n": 1}, key="contact:1")
    assert await runner.run_due() == 1
    assert await runner.run_due() == 0
    assert recorder.calls == [(job_id, 1, {"n": 1})]
    job = await row(runtime, job_id)
    assert (job.status, job.attempts, job.last_error) == ("done", 1, None)


async def test_a_job_due_later_waits(runtime: Runtime) -> None:
    recorder = Recorder()
    runner = runner_for(runtime, recorder)
    job_id = await enqueue(runtime, "test.job", {}, run_at=utcnow() + timedelta(hours=1))
    assert await runner.run_due() == 0
    await make_due(runtime, job_id)
    assert await runner.run_due() == 1


async def test_failures_back_off_exponentially_then_the_job_is_dead_lettered(
    runtime: Runtime,
) -> None:
    recorder = Recorder(fail_times=99)
    runner = runner_for(runtime, recorder, max_attempts=3, base_delay=100, max_delay=150)
    job_id = await enqueue(runtime, "test.job", {"to": "x"})

    before = utcnow()
    await runner.run_due()
    job = await row(runtime, job_id)
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error == "ConnectionError: smtp down (1)"
    # 100 s (±10 % jitter) after the first failure
    assert 89 <= (job.next_attempt_at - before).total_seconds() <= 111
    assert await runner.run_due() == 0  # not due yet

    await make_due(runtime, job_id)
    before = utcnow()
    await runner.run_due()
    job = await row(runtime, job_id)
    assert (job.status, job.attempts) == ("pending", 2)
    # 200 s, capped at 150 s
    assert 134 <= (job.next_attempt_at - before).total_seconds() <= 166

    await make_due(runtime, job_id)
    await runner.run_due()
    job = await row(runtime, job_id)
    assert (job.status, job.attempts) == ("dead", 3)
    assert job.last_error == "ConnectionError: smtp down (3)"
    assert recorder.dead == [(job_id, "ConnectionError: smtp down (3)")]

    await make_due(runtime, job_id)
    assert await runner.run_due() == 0  # dead jobs stay (for inspection) and never run again
    assert len(recorder.calls) == 3


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [backoff_seconds(n, base=30, cap=3600, jitter=0) for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


async def test_a_job_that_fails_once_succeeds_on_its_retry(runtime: Runtime) -> None:
    recorder = Recorder(fail_times=1)
    runner = runner_for(runtime, recorder)
    job_id = await enqueue(runtime, "test.job", {})
    await runner.run_due()
    await make_due(runtime, job_id)
    await runner.run_due()
    job = await row(runtime, job_id)
    assert (job.status, job.attempts, job.last_error) == ("done", 2, None)
    assert [attempt for _, attempt, _ in recorder.calls] == [1, 2]


async def test_unknown_kinds_and_hung_handlers_count_as_failures(runtime: Runtime) -> None:
    recorder = Recorder(delay=5)
    runner = runner_for(runtime, recorder, max_attempts=1, handler_timeout=0.05)
    unknown = await enqueue(runtime, "nobody.handles.this", {})
    hung = await enqueue(runtime, "test.job", {})
    await runner.run_due()
    job = await row(runtime, unknown)
    assert job.status == "dead" and "no handler" in (job.last_error or "")
    job = await row(runtime, hung)
    assert job.status == "dead" and (job.last_error or "").startswith("TimeoutError")


async def test_an_abandoned_job_is_claimed_again_after_its_lease(runtime: Runtime) -> None:
    recorder = Recorder()
    crashed = runner_for(runtime, recorder)
    other = runner_for(runtime, recorder)
    job_id = await enqueue(runtime, "test.job", {})
    claimed = await crashed.claim()  # ... and the node dies before running it
    assert [j.id for j in claimed] == [job_id]
    assert (await row(runtime, job_id)).status == "running"
    assert await other.run_due() == 0  # leased: nobody else runs it meanwhile

    await make_due(runtime, job_id)  # the lease expires
    assert await other.run_due() == 1
    job = await row(runtime, job_id)
    assert (job.status, job.attempts) == ("done", 2)

    # The first runner wakes up late: it may run the handler (handlers are idempotent), but
    # cannot overwrite the newer outcome.
    await crashed.run(claimed[0])
    job = await row(runtime, job_id)
    assert (job.status, job.attempts) == ("done", 2)


async def test_two_runners_never_run_the_same_job_twice(runtime: Runtime) -> None:
    """Two nodes: two runners with their own engines and pools, claiming at the same time."""
    recorder = Recorder(delay=0.005)
    ids = [await enqueue(runtime, "test.job", {"i": i}) for i in range(40)]
    second_db = Database(runtime.db.url)
    registry = HandlerRegistry()
    registry.register("test.job", recorder.handle)
    one = OutboxRunner(runtime.settings, runtime.db, registry=registry, batch_size=4)
    two = OutboxRunner(runtime.settings, second_db, registry=registry, batch_size=4)
    try:
        for _ in range(10):
            await asyncio.gather(one.run_due(), two.run_due(), one.run_due())
    finally:
        await second_db.dispose()
    ran = [job_id for job_id, _, _ in recorder.calls]
    assert sorted(ran) == ids  # every job, each exactly once
    for job_id in ids:
        assert (await row(runtime, job_id)).status == "done"


async def test_a_job_exists_only_if_its_transaction_commits(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError):
        async with runtime.db.write() as session:
            await enqueue_job(session, "test.job", {}, key="contact:9")
            raise RuntimeError("the action failed after enqueueing")
    async with runtime.db.read() as session:
        assert (
            await count_recent_jobs(
                session, kind="test.job", key="contact:9", within=timedelta(hours=1)
            )
            == 0
        )


async def test_payloads_must_be_json_and_times_aware(runtime: Runtime) -> None:
    async with runtime.db.write() as session:
        with pytest.raises(TypeError):
            await enqueue_job(session, "test.job", {"when": object()})
        with pytest.raises(ValueError):
            await enqueue_job(session, "test.job", {}, run_at=utcnow().replace(tzinfo=None))


def test_the_worker_knows_the_handlers_of_this_issue() -> None:
    import kefu.worker.jobs  # noqa: F401  (imports the modules that register handlers)

    assert REGISTRY.get("scheduled_message.send") is not None
    assert REGISTRY.get("transcript.email") is not None
