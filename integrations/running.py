"""Running one command of the core from an adapter's event loop, committed before it returns."""

from __future__ import annotations

import asyncio
import contextvars
import os
from concurrent.futures import ThreadPoolExecutor

from commands import actions as a
from commands.dispatch import dispatch, run
from commands.invocation import Invocation
from commands.reply import Reply
from storage.database import Database, WatchedUnitsOfWork
from storage.engine import WouldWait

# Threads of their own for commands' transactions, apart from the event loop's default
# executor: what else runs there can block a thread for seconds (the Teams connector
# library retries an unreachable service with sleeps inside its thread, and the delivery
# engine has several sends in flight), and a command queued behind it would keep its
# person waiting. Sized as Python sizes the default executor (more threads only add GIL
# hand-offs: 6, 8, 12, 24 and 32 measured alike on 2 cores, within the noise).
COMMAND_THREADS = min(32, (os.cpu_count() or 1) + 4)
_COMMANDS = ThreadPoolExecutor(max_workers=COMMAND_THREADS, thread_name_prefix="command")


async def run_command(
    db: Database, invocation: Invocation, command: a.Command | None = None
) -> tuple[Reply, bool]:
    """Dispatch ``invocation`` (or run ``command``, a form's typed command, as it is) in one
    transaction that has committed when this returns; also whether it queued a message (an
    announcement, a reply), so the caller wakes the delivery loop only then.

    On SQLite, when the write lock is free, the command runs right here on the event loop:
    it is about a millisecond of CPU with no network in it, and in a worker thread every
    statement would hand Python's GIL back and forth with the loop while the lock is held,
    which stretched each command's hold of the lock to several times its work. When the
    lock is taken (a command in a thread, the delivery loop, another process), nothing was
    done and the command runs in a worker thread that waits its turn, as on PostgreSQL,
    whose round trips must never block the loop (``COMMAND_THREADS`` of its own).
    """
    if db.runs_inline:
        units = db.watched(wait=False)
        try:
            return _run(invocation, command, units), units.queued
        except WouldWait:
            pass
    units = db.watched()
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()  # as asyncio.to_thread would carry it
    reply = await loop.run_in_executor(_COMMANDS, context.run, _run, invocation, command, units)
    return reply, units.queued


def _run(invocation: Invocation, command: a.Command | None, units: WatchedUnitsOfWork) -> Reply:
    return dispatch(invocation, units) if command is None else run(command, invocation, units)
