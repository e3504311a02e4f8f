"""The delivery engine: one loop that sends every outbox row, whatever its kind.

Everything that leaves the bot after a request is a row of ``outbox`` (``storage.outbox``):
cross-platform announcements, replies that could not ride on the acknowledgement, nudges,
digests, escalations, weekly summaries. ``DeliveryEngine.deliver_one`` leases ONE due row
(its own committed transaction), sends it, and records the outcome:

- sent: ``mark_sent``, and in the same transaction what depends on the delivery (an
  escalation counts as escalated only now: ``commands.reminders.record_escalation``);
- a platform failure (``DeliveryError``: down, 5xx, 429): ``reschedule`` to
  ``now + backoff`` from the kind's policy, never sooner than its ``Retry-After``. The worker
  moves on at once: nothing sleeps while it holds a lease (the Slack client no longer waits
  out 429s for these sends);
- a permanent failure (no such channel, bot removed), or the kind's attempts used up:
  ``"failed"`` with the reason, for an operator;
- past its deadline (a nudge after the team's working day, a reply after an hour):
  ``"expired"``, not sent late.

At least once, with the duplicate window made as small as we can: a row is leased for
``LEASE`` (60 s) and each send is cut off after ``SEND_TIMEOUT`` (a third of the lease), so
a slow send never outlives its lease and another worker never re-sends it while it is still
in flight; rows are leased one at a time, so a slow queue does not either. A worker that
crashes after leasing leaves the row ``"sending"``; when the lease ends, another worker takes
it (the attempt counted). The one way a message is posted twice: the platform accepted it
and the worker died (or lost the database) before marking it sent. To close that window where
the platform allows it, a notifier that offers ``post_to_channel_once(key=...)`` gets a
deterministic key per row (``joinedup-outbox-<id>``; Teams sends it as the activity id).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from aiohttp import web

from commands.ports import DeliveryError, Notifier
from commands.reminders import record_escalation
from commands.reply import Reply
from storage import outbox
from storage.database import Database
from storage.models import ChannelLink

log = logging.getLogger(__name__)

LEASE = outbox.LEASE
BATCH = 20
# Messages one worker has in flight at once, each its own lease: a 09:00 burst of
# thousands of nudges is bound by the platforms' latency, not by the database.
LANES = 4


@runtime_checkable
class PostsOnce(Protocol):
    """A notifier that can tag a channel post with an idempotency key (see module doc)."""

    async def post_to_channel_once(
        self, *, key: str, tenant: str, channel_id: str, reply: Reply
    ) -> None: ...


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    outcomes: list[outbox.Outcome] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return len(self.outcomes)

    def add(self, outcome: outbox.Outcome) -> None:
        self.outcomes.append(outcome)
        if outcome.status == "sent":
            self.sent.append(outcome.row_id)
        elif outcome.status == "retry":
            self.retrying.append(outcome.row_id)
        elif outcome.status in ("failed", "expired"):
            self.failed.append(outcome.row_id)


@dataclass(frozen=True)
class Leased:
    """A leased row, detached from its session, with its channel (if any) looked up."""

    id: int
    kind: str
    platform: str
    team_id: int | None
    person_id: int | None
    address: dict[str, Any] | None
    payload: dict[str, Any]
    attempts: int
    deadline: dt.datetime | None
    link: tuple[int, str, str, str] | None  # (id, platform, tenant, channel id)

    @property
    def to(self) -> str:
        to = self.payload.get("to")
        if isinstance(to, str):
            return to
        if self.link is not None:
            return f"{self.link[1]} {self.link[3]}"
        return f"{self.kind} {self.id}"

    @property
    def refs(self) -> tuple[str, ...]:
        refs = self.payload.get("refs")
        return tuple(refs) if isinstance(refs, list) else ()

    def reply(self) -> Reply:
        inner = self.payload.get("reply")
        return Reply.from_dict(inner if isinstance(inner, dict) else self.payload)


# What must happen, in the transaction that marks a row of this kind sent.
ON_DELIVERED: dict[str, Callable[..., None]] = {outbox.ESCALATION: record_escalation}


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeliveryEngine:
    """Leases, sends and records outbox rows for the platforms in ``notifiers`` (rows for a
    platform this process cannot reach are left for a replica that can).

    ``clock`` and ``lease`` are injectable so tests run outages and crashes without
    sleeping."""

    def __init__(
        self,
        db: Database,
        notifiers: Mapping[str, Notifier],
        *,
        worker: str | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        lease: dt.timedelta = LEASE,
    ) -> None:
        self.db = db
        self.notifiers = dict(notifiers)
        self.worker = worker or default_worker_id()
        self.clock = clock
        self.lease = lease

    @property
    def send_timeout(self) -> float:
        return self.lease.total_seconds() / 3

    # --- the lease ---------------------------------------------------------------------

    def _lease(
        self, now: dt.datetime, kinds: Collection[str] | None, team_id: int | None
    ) -> Leased | None:
        with self.db.uow() as uow:
            s = uow.session
            row = outbox.lease(
                s,
                platforms=sorted(self.notifiers),
                now=now,
                worker=self.worker,
                lease_for=self.lease,
                kinds=kinds,
                team_id=team_id,
            )
            if row is None:
                return None
            link = s.get(ChannelLink, row.channel_link_id) if row.channel_link_id else None
            leased = Leased(
                id=row.id,
                kind=row.kind,
                platform=row.platform,
                team_id=row.team_id,
                person_id=row.person_id,
                address=dict(row.address) if row.address else None,
                payload=dict(row.payload or {}),
                attempts=row.attempts,
                deadline=row.deadline,
                link=(link.id, link.platform, link.tenant, link.channel_id) if link else None,
            )
            uow.commit()
            return leased

    def _record(self, row: Leased, now: dt.datetime, error: BaseException | None) -> outbox.Outcome:
        def outcome(status: str, detail: str | None = None) -> outbox.Outcome:
            return outbox.Outcome(row.id, row.kind, status, row.to, row.refs, detail)

        with self.db.uow() as uow:
            s = uow.session
            if error is None:
                held = outbox.mark_sent(s, row.id, worker=self.worker, now=now)
                if held and (after := ON_DELIVERED.get(row.kind)) is not None:
                    after(s, team_id=row.team_id, payload=row.payload, now=now)
                result = outcome("sent" if held else "lost")
                if not held:
                    log.warning("outbox %s: sent, but another worker had taken it", row.id)
            else:
                reason = str(error) or type(error).__name__
                permanent = isinstance(error, DeliveryError) and error.permanent
                rule = outbox.policy(row.kind)
                used_up = rule.max_attempts is not None and row.attempts >= rule.max_attempts
                if permanent or used_up:
                    if used_up and not permanent:
                        reason = f"{reason} (gave up after {row.attempts} attempts)"
                    held = outbox.mark_failed(s, row.id, worker=self.worker, error=reason)
                    result = outcome("failed", reason)
                    log.error("outbox %s (%s): failed for good: %s", row.id, row.kind, reason)
                else:
                    retry_after = error.retry_after if isinstance(error, DeliveryError) else None
                    not_before = now + rule.backoff(row.attempts, retry_after)
                    held = outbox.reschedule(
                        s, row.id, worker=self.worker, not_before=not_before, error=reason
                    )
                    result = outcome("retry", f"{reason}; retry at {not_before:%H:%M:%S} UTC")
                    log.warning(
                        "outbox %s (%s): attempt %d failed (%s); retry at %s",
                        row.id,
                        row.kind,
                        row.attempts,
                        reason,
                        not_before.isoformat(),
                    )
                if not held:
                    result = outcome("lost", reason)
            uow.commit()
            return result

    def _expire(self, row: Leased) -> outbox.Outcome:
        reason = "expired: its deadline passed before it could be sent"
        with self.db.uow() as uow:
            outbox.mark_failed(
                uow.session, row.id, worker=self.worker, error=reason, status="expired"
            )
            uow.commit()
        return outbox.Outcome(row.id, row.kind, "expired", row.to, row.refs, reason)

    # --- sending -----------------------------------------------------------------------

    async def _send(self, row: Leased, now: dt.datetime) -> None:
        """Send one row by its kind and target. Raises DeliveryError (or anything)."""
        if row.kind == outbox.REPLY:
            notifier = self._notifier(row.platform)
            await notifier.deliver_reply(address=row.address or {}, reply=row.reply())
        elif row.kind == outbox.WEEKLY_SUMMARY:
            from bot.weekly_post import send_weekly_summary

            if row.link is None:
                raise DeliveryError("the channel was unlinked", permanent=True)
            await send_weekly_summary(
                self.db,
                self._notifier(row.link[1]),
                link=row.link,
                payload=row.payload,
                now=now,
            )
        elif row.link is not None:
            _, platform, tenant, channel_id = row.link
            notifier = self._notifier(platform)
            if isinstance(notifier, PostsOnce):
                await notifier.post_to_channel_once(
                    key=f"joinedup-outbox-{row.id}",
                    tenant=tenant,
                    channel_id=channel_id,
                    reply=row.reply(),
                )
            else:
                await notifier.post_to_channel(
                    tenant=tenant, channel_id=channel_id, reply=row.reply()
                )
        elif row.person_id is not None:
            await self._send_to_person(row)
        else:
            raise DeliveryError(f"outbox row {row.id} has no target", permanent=True)

    def _notifier(self, platform: str) -> Notifier:
        notifier = self.notifiers.get(platform)
        if notifier is None:
            raise DeliveryError(f"{platform} is not configured", permanent=True)
        return notifier

    async def _send_to_person(self, row: Leased) -> None:
        """A direct message on the first platform that knows the person, in the order of
        the platforms their teams use."""
        assert row.person_id is not None
        target = row.payload.get("target") or {}
        order = [p for p in target.get("platforms", []) if p in self.notifiers]
        order += [p for p in self.notifiers if p not in order]
        reply = row.reply()
        for platform in order:
            if await self.notifiers[platform].send_to_person(person_id=row.person_id, reply=reply):
                return
        tried = ", ".join(order) or "no platform is configured"
        raise DeliveryError(f"cannot reach person {row.person_id} ({tried})", permanent=True)

    # --- the loop ----------------------------------------------------------------------

    async def deliver_one(
        self, *, kinds: Collection[str] | None = None, team_id: int | None = None
    ) -> outbox.Outcome | None:
        """Lease the next due row, send it, record the outcome; None when nothing is due."""
        if not self.notifiers:
            return None
        now = self.clock()
        row = await asyncio.to_thread(self._lease, now, kinds, team_id)
        if row is None:
            return None
        if row.deadline is not None and now >= row.deadline:
            return await asyncio.to_thread(self._expire, row)
        error: BaseException | None = None
        try:
            await asyncio.wait_for(self._send(row, now), timeout=self.send_timeout)
        except DeliveryError as exc:
            error = exc
        except TimeoutError:
            error = DeliveryError(f"no answer within {self.send_timeout:.0f}s")
        except Exception as exc:  # a platform library's own error: retry it
            log.exception("outbox %s (%s): the send raised", row.id, row.kind)
            error = exc
        return await asyncio.to_thread(self._record, row, self.clock(), error)

    async def deliver_due(
        self,
        *,
        kinds: Collection[str] | None = None,
        team_id: int | None = None,
        limit: int | None = None,
        lanes: int = 1,
        stopping: Callable[[], bool] = lambda: False,
    ) -> DeliveryReport:
        """Deliver due rows until none is due (or ``limit`` were tried, or ``stopping()``):
        ``lanes`` loops side by side, each leasing and sending one row at a time."""
        report = DeliveryReport()

        async def lane() -> None:
            while not stopping() and (limit is None or report.claimed < limit):
                outcome = await self.deliver_one(kinds=kinds, team_id=team_id)
                if outcome is None:
                    return
                report.add(outcome)

        await asyncio.gather(*(lane() for _ in range(max(lanes, 1))))
        return report


async def deliver_outbox(
    db: Database,
    notifiers: Mapping[str, Notifier],
    *,
    now: dt.datetime,
    worker_id: str,
    limit: int = BATCH,
) -> DeliveryReport:
    """Deliver up to ``limit`` due rows at ``now`` (one engine pass with a fixed clock)."""
    engine = DeliveryEngine(db, notifiers, worker=worker_id, clock=lambda: now)
    return await engine.deliver_due(limit=limit)


class OutboxWorker:
    """Runs the delivery engine in ``serve`` and ``worker``: every ``tick`` seconds, and at
    once after a ``kick()`` (an adapter calls it after each command, which may have written
    rows; the scheduler after each sweep).

    ``wake``: the event a ``kick()`` sets. ``bot.bootstrap`` makes it before the adapters,
    which get its ``set`` as their ``on_change``, and before this worker, which is built
    last, with the adapters' notifiers."""

    def __init__(
        self,
        db: Database,
        notifiers: Mapping[str, Notifier],
        *,
        tick_seconds: float = 2.0,
        worker_id: str | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        wake: asyncio.Event | None = None,
    ) -> None:
        self.db = db
        self.notifiers: dict[str, Notifier] = dict(notifiers)
        self.tick_seconds = tick_seconds
        self.worker_id = worker_id or default_worker_id()
        self.clock = clock or utc_now
        self._wake = wake or asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._draining = False

    @property
    def engine(self) -> DeliveryEngine:
        return DeliveryEngine(
            self.db,
            self.notifiers,
            worker=self.worker_id,
            clock=self.clock,
        )

    def kick(self) -> None:
        self._wake.set()

    @property
    def idle(self) -> bool:
        """Neither delivering nor kicked and about to: what a caller that waits for the
        worker to finish its work (a test's ``settle``) checks. A worker whose loop is not
        running is idle, kicked or not."""
        running = self._task is not None and not self._task.done()
        return not running or (not self._draining and not self._wake.is_set())

    async def run_once(self) -> DeliveryReport:
        return await self.engine.deliver_due(limit=BATCH)

    async def _drain(self) -> None:
        """Deliver due rows until none is due or we are stopping: one lease query when
        nothing is due (most kicks), all the lanes once something is."""
        engine = self.engine
        if self._stopping or await engine.deliver_one() is None:
            return
        await engine.deliver_due(lanes=LANES, stopping=lambda: self._stopping)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.tick_seconds)
                self._wake.clear()
                self._draining = True
                try:
                    await self._drain()
                finally:
                    self._draining = False
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away; try again next tick
                log.exception("outbox delivery failed")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="outbox")
        log.info(
            "Outbox delivery every %.1fs for %s",
            self.tick_seconds,
            ", ".join(sorted(self.notifiers)) or "no platform",
        )

    async def stop(self) -> None:
        """Finish the message in hand (within its send cut-off) and stop: a send cancelled
        halfway would leave its row leased, and sent a second time after the lease."""
        if self._task is None:
            return
        self._stopping = True
        self.kick()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self.engine.send_timeout + 5)
        except TimeoutError:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def attach(self, app: web.Application) -> None:
        """Start with the server and stop with it."""

        async def start(_app: web.Application) -> None:
            await self.start()

        async def stop(_app: web.Application) -> None:
            await self.stop()

        app.on_startup.append(start)
        app.on_cleanup.append(stop)
