"""The scheduler: APScheduler 3 ticking inside ``joinedup serve`` or ``joinedup worker``.

Each process runs its own ``AsyncIOScheduler`` with an in-memory job store and two
short interval jobs. The real schedule (each team's reminder time, timezone, working
days) lives in our tables. A tick plans what is due and writes it to the outbox (each
message once, on its dedupe key), then runs the delivery engine (``bot.outbox``), so
several replicas on one PostgreSQL send each nudge once and a process that was down
catches up on its next tick (APScheduler's FAQ warns against sharing its own job stores
between schedulers).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.outbox import LANES, DeliveryEngine
from bot.weekly_post import enqueue_weekly_summaries
from commands.ports import Clock, Notifier
from commands.reminders import describe, sweep, worker_id
from storage.database import Database

log = logging.getLogger(__name__)

REMINDERS_JOB = "joinedup.reminders"
WEEKLY_JOB = "joinedup.weekly"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    """What the jobs work with: the database, the platforms, who we are, the clock."""

    db: Database
    notifiers: Mapping[str, Notifier]
    worker: str = field(default_factory=worker_id)
    clock: Clock = utc_now

    @property
    def engine(self) -> DeliveryEngine:
        return DeliveryEngine(self.db, self.notifiers, worker=self.worker, clock=self.clock)


async def reminders_tick(runtime: Runtime) -> None:
    """One sweep: plan what is due now, write it to the outbox, deliver what is due (job
    ``joinedup.reminders``)."""
    try:
        report = await sweep(runtime.db, now=runtime.clock())
        report.results = (await runtime.engine.deliver_due(lanes=LANES)).outcomes
    except Exception:
        log.exception("reminder sweep failed; the next tick tries again")
        return
    if report.claimed or report.results:
        for line in describe(report):
            log.info("%s", line)


async def weekly_summaries_tick(runtime: Runtime) -> None:
    """Write each team's weekly summary once, at its day and time, and deliver what is due
    (job ``joinedup.weekly``)."""

    def write() -> set[str]:
        with runtime.db.uow() as uow:
            won = enqueue_weekly_summaries(uow.session, now=runtime.clock())
            uow.commit()
            return won

    try:
        written = await asyncio.to_thread(write)
        report = await runtime.engine.deliver_due(lanes=LANES)
    except Exception:
        log.exception("weekly summary sweep failed; the next tick tries again")
        return
    if written:
        log.info("weekly summaries written: %s", ", ".join(sorted(written)))
    for outcome in report.outcomes:
        log.info("delivered: %s", outcome)


def build_scheduler(runtime: Runtime, *, tick_seconds: int) -> AsyncIOScheduler:
    """A scheduler with the reminders job, first run at once (catch-up after a restart)."""
    scheduler = AsyncIOScheduler(jobstores={"default": MemoryJobStore()}, timezone=dt.UTC)
    jobs = (
        (REMINDERS_JOB, reminders_tick, "daily nudges, digests and escalations"),
        (WEEKLY_JOB, weekly_summaries_tick, "weekly joint delivery summaries"),
    )
    for job_id, job, name in jobs:
        # The schedule itself lives in the database (each team's times and timezone); the
        # in-memory jobs only tick, so replicas never share an APScheduler job store.
        scheduler.add_job(
            job,
            "interval",
            seconds=tick_seconds,
            id=job_id,
            name=name,
            args=[runtime],
            next_run_time=utc_now(),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=tick_seconds,
            replace_existing=True,
        )
    return scheduler


def start_scheduler(runtime: Runtime, *, tick_seconds: int) -> AsyncIOScheduler | None:
    """Start the scheduler on the running loop; None when no platform could deliver (then
    claiming would only record failures)."""
    if not runtime.notifiers:
        log.info("scheduler: no chat platform is configured; reminders are not sent")
        return None
    scheduler = build_scheduler(runtime, tick_seconds=tick_seconds)
    scheduler.start()
    log.info(
        "scheduler: reminders every %ds via %s",
        tick_seconds,
        ", ".join(sorted(runtime.notifiers)),
    )
    return scheduler


SCHEDULER_KEY = web.AppKey("scheduler", AsyncIOScheduler)


def install_scheduler(app: web.Application, runtime: Runtime, *, tick_seconds: int) -> None:
    """Run the scheduler for the life of the aiohttp application (``joinedup serve``)."""

    async def on_startup(app: web.Application) -> None:
        scheduler = start_scheduler(runtime, tick_seconds=tick_seconds)
        if scheduler is not None:
            app[SCHEDULER_KEY] = scheduler

    async def on_cleanup(app: web.Application) -> None:
        scheduler = app.get(SCHEDULER_KEY)
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
