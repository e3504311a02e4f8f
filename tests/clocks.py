"""Clocks a test moves by hand, and a running server's delivery engine moved with one, so
that no test sleeps through a back-off or a Retry-After."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.outbox import OutboxWorker
from bot.settings import Settings
from storage.database import Database
from storage.models import OutboxMessage
from tests.background import BackgroundLoop, Server


class ManualClock:
    """A clock the test moves (thread-safe: a server's threads read it).

    ``ManualClock(t)`` stands at ``t`` until moved (``advance``, or setting ``now``);
    ``ManualClock()`` follows the wall clock, ``advance`` moving it ahead: for a running
    server, whose requests stamp what they write with the real time."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        self._now = now
        self._ahead = dt.timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            base = self._now if self._now is not None else dt.datetime.now(dt.UTC)
            return base + self._ahead

    @property
    def now(self) -> dt.datetime:
        return self()

    @now.setter
    def now(self, value: dt.datetime) -> None:
        with self._lock:
            self._now, self._ahead = value, dt.timedelta()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._ahead += dt.timedelta(seconds=seconds)


class ServerTime:
    """The servers a test runs on ``loop`` (``serve``), on one ``ManualClock`` that follows
    the wall clock until the test moves it.

    ``later(seconds)``: that much time has gone by for the servers (a back-off, a
    Retry-After) and their delivery engines wake at once. ``settle()``: returns once the
    servers have nothing left to do now (the work a listener left running after its
    acknowledgement, and every outbox row due), so a test can count what was sent without
    waiting "long enough"."""

    def __init__(self, loop: BackgroundLoop) -> None:
        self.loop = loop
        self.clock = ManualClock()
        self._workers: list[OutboxWorker] = []

    def serve(self, settings: Settings, db: Database) -> Server:
        """``joinedup serve`` built by ``bot.bootstrap`` on this clock, served on the loop."""
        built = bootstrap("serve", settings, db=db, clock=self.clock)
        self._workers.append(built.delivery)
        return self.loop.serve(built.app)

    def later(self, seconds: float) -> None:
        self.clock.advance(seconds)
        for worker in self._workers:
            self.loop.loop.call_soon_threadsafe(worker.kick)

    def settle(self) -> None:
        self.loop.run(self._settle())

    async def _settle(self) -> None:
        while True:
            await _background_work_done()
            for worker in self._workers:
                await worker.run_once()
            await _background_work_done()
            # The worker's own loop, once kicked, may have leased a row whose lease is not
            # committed yet (run_once skipped it, and it does not show as "sending"): wait
            # until that loop is idle too.
            idle = all(w.idle for w in self._workers)
            if idle and not any([await asyncio.to_thread(_sending, w) for w in self._workers]):
                return
            # A send the worker's own loop started is still in flight: its outcome is near.
            await asyncio.sleep(0.01)


# Tasks that live as long as a server, or wait to be woken: not work in progress.
_IDLE = frozenset({"RequestHandler.start", "Event.wait"})


async def _background_work_done() -> None:
    """Wait for every task on this loop but the long-lived ones: the outbox worker's loop
    (and its wait for a kick), aiohttp's connection handlers (a keep-alive connection's lives
    until it closes)."""
    this = asyncio.current_task()
    while True:
        busy = [
            t
            for t in asyncio.all_tasks()
            if t is not this
            and t.get_name() != "outbox"
            and getattr(t.get_coro(), "__qualname__", "") not in _IDLE
        ]
        if not busy:
            return
        await asyncio.wait(busy)


def _sending(worker: OutboxWorker) -> bool:
    """Whether ``worker`` holds a row it has not recorded the outcome of yet."""
    with worker.db.reader() as uow:
        held = select(OutboxMessage.id).where(
            OutboxMessage.status == "sending", OutboxMessage.leased_by == worker.worker_id
        )
        return uow.session.scalar(held.limit(1)) is not None
