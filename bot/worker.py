"""``joinedup worker``: the scheduler and the delivery engine, no HTTP server."""

from __future__ import annotations

import asyncio
import signal

from bot.bootstrap import Clock, bootstrap
from bot.outbox import utc_now
from bot.scheduler import start_scheduler
from bot.settings import Settings
from storage.database import Database


async def run_worker(
    settings: Settings,
    db: Database,
    *,
    stop: asyncio.Event | None = None,
    clock: Clock = utc_now,
) -> int:
    """Run until SIGINT/SIGTERM (or ``stop``); 1 at once when no chat platform is configured.
    It delivers everything ``serve`` delivers (``bot.bootstrap.DELIVERS``): announcements,
    replies, nudges, digests, escalations and weekly summaries, and plans the reminder
    sweeps and weekly posts on ``clock``."""
    worker = bootstrap("worker", settings, db=db, clock=clock)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    scheduler = start_scheduler(worker.scheduler, tick_seconds=settings.scheduler_tick_seconds)
    if scheduler is None:
        return 1
    await worker.delivery.start()
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        await worker.delivery.stop()
    return 0
