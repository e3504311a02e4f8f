"""A command that runs in a worker thread (always on PostgreSQL) has threads of its own: the
event loop's default executor filled with work that blocks (as the Teams connector library
blocks a thread while it retries an unreachable service) does not hold it up."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest

from integrations.running import run_command
from storage.database import Database
from tests.support import Desk

MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def test_a_command_is_not_queued_behind_blocked_default_executor_threads(db: Database) -> None:
    if db.runs_inline:
        pytest.skip("on SQLite a command runs on the event loop while the write lock is free")
    desk = Desk(db, MONDAY, platform="slack")
    invocation = desk.invocation("decision Keep the weekly stand-up", idempotency_key="ev-threads")

    async def scenario() -> str:
        loop = asyncio.get_running_loop()
        release = threading.Event()
        # More blocked tasks than the default executor has threads (at most 32).
        blocked = [loop.run_in_executor(None, release.wait) for _ in range(40)]
        try:
            reply, _queued = await asyncio.wait_for(run_command(db, invocation), timeout=20)
            still_blocked = sum(not task.done() for task in blocked)
            assert still_blocked == 40
            return reply.headline
        finally:
            release.set()
            await asyncio.gather(*blocked)

    assert asyncio.run(scenario()) == "D-1 logged by Alex"
