"""A command's transaction on SQLite runs on the adapter's event loop only when the write
lock is free; a taken lock sends it to a worker thread that waits its turn, and the loop keeps
answering meanwhile. A logged decision is written by one Core insert and is still the row a
query reads back."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from commands.dispatch import dispatch
from commands.invocation import Invocation
from integrations.running import run_command
from storage.database import Database
from storage.engine import WouldWait
from storage.models import Decision, InboundEvent
from tests.support import Desk

MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def test_a_logged_decision_is_the_row_a_query_reads_back(db: Database) -> None:
    desk = Desk(db, MONDAY)
    assert desk.say("team set timezone Asia/Tokyo").ok
    assert desk.say("dept me Housing").ok
    reply = desk.say("decision Share one register because one list, one truth")
    assert reply.ok, reply.headline
    assert reply.headline == "D-1 logged by Alex"
    fields = {f.label: f.value for f in reply.fields}
    assert fields == {
        "Because": "one list, one truth",
        "Decided by": "Alex",
        "Department": "Housing",
        "When": "Mon 30 Nov 2026 19:00 JST",  # the team's timezone, read in the transaction
    }
    [row] = desk.rows(Decision)
    assert (row.number, row.text, row.rationale, row.status) == (
        1,
        "Share one register",
        "one list, one truth",
        "active",
    )
    assert row.created_at == MONDAY and row.source_platform == "console"
    assert row.supersedes_id is None and row.superseded_by_id is None
    # Still a record the ORM knows: superseding it reads and updates the same row.
    assert desk.say("decision supersede D-1 Share two registers").ok
    old, new = desk.rows(Decision, order_by=Decision.number)
    assert (old.status, old.superseded_by_id) == ("superseded", new.id)


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    if not db.runs_inline:
        pytest.skip("commands run on the event loop on SQLite only")
    return db


@pytest.fixture
def other_process(sqlite_db: Database) -> Iterator[sqlite3.Connection]:
    """A connection of its own to the same file, as another process has: its
    ``BEGIN IMMEDIATE`` takes SQLite's write lock."""
    raw = sqlite3.connect(sqlite_db.engine.url.database or "", isolation_level=None)
    try:
        yield raw
    finally:
        if raw.in_transaction:
            raw.rollback()
        raw.close()


def _decision(desk: Desk, text: str) -> Invocation:
    return Invocation(
        text=f"decision {text}",
        person_id=desk.person_id(desk.lead),
        platform=desk.platform,
        now=MONDAY,
        channel=desk.channel,
        idempotency_key=uuid.uuid4().hex,
    )


def _count(db: Database, model: type) -> int:
    with db.reader() as work:
        return int(work.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_unit_of_work_that_must_not_wait_does_nothing_when_the_lock_is_taken(
    sqlite_db: Database, other_process: sqlite3.Connection
) -> None:
    desk = Desk(sqlite_db, MONDAY)
    invocation = _decision(desk, "Meet weekly")
    claims = _count(sqlite_db, InboundEvent)
    other_process.execute("BEGIN IMMEDIATE")
    with pytest.raises(WouldWait):
        dispatch(invocation, sqlite_db.watched(wait=False))
    other_process.rollback()
    assert _count(sqlite_db, Decision) == 0
    assert _count(sqlite_db, InboundEvent) == claims  # not even claimed: its retry runs
    assert dispatch(invocation, sqlite_db.watched()).ok
    assert _count(sqlite_db, Decision) == 1


def test_a_command_that_finds_the_lock_taken_waits_in_a_thread_and_the_loop_stays_free(
    sqlite_db: Database, other_process: sqlite3.Connection
) -> None:
    desk = Desk(sqlite_db, MONDAY)
    invocation = _decision(desk, "Meet weekly")

    async def scenario() -> None:
        other_process.execute("BEGIN IMMEDIATE")
        command = asyncio.create_task(run_command(sqlite_db, invocation))
        # Had the command waited for the lock on the loop, this sleep would not end until
        # SQLite's busy timeout (30 s) had passed, and the command would be done by then.
        await asyncio.sleep(0.05)
        assert not command.done()
        assert _count(sqlite_db, Decision) == 0
        other_process.rollback()
        reply, queued = await command
        assert reply.ok and reply.headline == "D-1 logged by Alex"
        assert not queued  # no channel elsewhere to announce to

    asyncio.run(scenario())
    assert _count(sqlite_db, Decision) == 1


def test_a_command_behind_a_writer_of_this_process_waits_its_turn_in_a_thread(
    sqlite_db: Database,
) -> None:
    desk = Desk(sqlite_db, MONDAY)
    first, second = _decision(desk, "Meet weekly"), _decision(desk, "Share one register")

    async def scenario() -> None:
        with sqlite_db.uow() as holder:  # another writer of this process, mid-transaction
            holder.session.execute(select(func.count()).select_from(Decision))
            holder.session.connection()  # BEGIN IMMEDIATE: this process's turn is taken
            command = asyncio.create_task(run_command(sqlite_db, first))
            await asyncio.sleep(0.05)
            assert not command.done()
            holder.rollback()
        reply, _ = await command
        assert reply.headline == "D-1 logged by Alex"
        # The lock is free again: the next command runs on the loop, and numbers go on.
        reply, _ = await run_command(sqlite_db, second)
        assert reply.headline == "D-2 logged by Alex"

    asyncio.run(scenario())
    assert _count(sqlite_db, Decision) == 2
