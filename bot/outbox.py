"""Delivering the outbox: cross-platform announcements written with the change they announce.

Delivery guarantee: **at least once, with the duplicate window made as small as we can.**

A row is claimed in its own committed transaction (``status = "sending"``, ``claimed_by``, and
a lease: ``next_attempt_at = now + lease``), then sent, then marked ``"sent"``. So:

- Two workers (replicas, or two ticks) never send the same row at the same time: on
  PostgreSQL the claim is ``SELECT ... FOR UPDATE SKIP LOCKED``; on SQLite the claim's write
  transaction (``BEGIN IMMEDIATE``) serialises claimers.
- A failed send (``DeliveryError``: the platform is down, 5xx, 429) is retried with
  exponential backoff (honouring ``retry_after``), up to ``max_attempts``; then the row is
  ``"failed"`` with ``last_error`` and stays for an operator. A platform outage delays an
  announcement; it never loses it.
- A worker that crashes after claiming leaves the row in ``"sending"``; when the lease runs
  out, another worker claims it again. That is the one way a message can be posted twice:
  the platform accepted the post, and the worker died (or lost the database) before it could
  mark the row sent. We prefer that to the alternative (mark sent before sending: a crash
  would lose the announcement silently). To close the window where the platform allows it,
  a notifier that offers ``post_to_channel_once(key=...)`` gets a deterministic key per row
  (``joinedup-outbox-<id>``): the Teams notifier sends it as the activity id, so a connector
  that deduplicates on it drops the second post. The lease (60 s) is far longer than a
  send's timeout (15 s), so a slow send is not re-claimed while still in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from aiohttp import web
from sqlalchemy import or_, select, update

from commands.ports import DeliveryError, Notifier
from commands.reply import Reply
from storage.database import Database
from storage.engine import is_sqlite
from storage.models import ChannelLink, OutboxMessage

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 5.0
BACKOFF_MAX_S = 3600.0
BATCH = 20


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

    @property
    def claimed(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed)


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    platform: str
    tenant: str
    channel_id: str
    payload: dict[str, Any]
    attempts: int
    address: dict[str, Any] | None = None


def backoff(attempts: int, retry_after: float | None = None) -> dt.timedelta:
    """Seconds to wait after the ``attempts``-th failure: 5, 10, 20, ... capped at an hour,
    and never sooner than the platform asked."""
    seconds = min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)
    if retry_after is not None:
        seconds = max(seconds, float(retry_after))
    return dt.timedelta(seconds=seconds)


def _claim(
    db: Database, platforms: list[str], *, now: dt.datetime, worker_id: str, limit: int
) -> list[_Claimed]:
    with db.uow() as uow:
        s = uow.session
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.platform.in_(platforms),
                or_(OutboxMessage.status == "pending", OutboxMessage.status == "sending"),
                OutboxMessage.kind.in_(("announcement", "reply")),
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if not is_sqlite(db.engine):
            query = query.with_for_update(skip_locked=True)
        rows = list(s.scalars(query))
        claimed = []
        for row in rows:
            if row.status == "sending":
                log.warning(
                    "outbox %s: lease of %s ran out; claiming it again", row.id, row.leased_by
                )
            row.status, row.leased_by, row.next_attempt_at = "sending", worker_id, now + LEASE
            row.leased_until = row.next_attempt_at
            link = s.get(ChannelLink, row.channel_link_id) if row.channel_link_id else None
            claimed.append(
                _Claimed(
                    id=row.id,
                    kind=row.kind,
                    platform=row.platform,
                    tenant=link.tenant if link else "",
                    channel_id=link.channel_id if link else "",
                    payload=dict(row.payload),
                    attempts=row.attempts,
                    address=dict(row.address) if row.address else None,
                )
            )
        uow.commit()
        return claimed


def _finish(
    db: Database,
    row_id: int,
    *,
    worker_id: str,
    values: dict[str, Any],
) -> bool:
    """Record the outcome, if this worker still holds the claim."""
    with db.uow() as uow:
        result = uow.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.status == "sending",
                OutboxMessage.leased_by == worker_id,
            )
            .values(**values)
        )
        uow.commit()
        return bool(getattr(result, "rowcount", 0))


async def deliver_outbox(
    db: Database,
    notifiers: Mapping[str, Notifier],
    *,
    now: dt.datetime,
    worker_id: str,
    limit: int = BATCH,
    max_attempts: int = MAX_ATTEMPTS,
) -> DeliveryReport:
    """Claim due outbox rows for the platforms in ``notifiers``, send them, record the result.

    Rows for a platform with no notifier here are left alone (for a replica that has one).
    """
    report = DeliveryReport()
    platforms = sorted(notifiers)
    if not platforms:
        return report
    claimed = await asyncio.to_thread(
        _claim, db, platforms, now=now, worker_id=worker_id, limit=limit
    )
    for row in claimed:
        notifier = notifiers[row.platform]
        reply = Reply.from_dict(row.payload)
        try:
            if row.kind == "reply":
                await notifier.deliver_reply(address=row.address or {}, reply=reply)
            elif isinstance(notifier, PostsOnce):
                await notifier.post_to_channel_once(
                    key=f"joinedup-outbox-{row.id}",
                    tenant=row.tenant,
                    channel_id=row.channel_id,
                    reply=reply,
                )
            else:
                await notifier.post_to_channel(
                    tenant=row.tenant, channel_id=row.channel_id, reply=reply
                )
        except Exception as exc:
            error = exc if isinstance(exc, DeliveryError) else DeliveryError(repr(exc)[:500])
            if not isinstance(exc, DeliveryError):
                log.exception("outbox %s: %s notifier raised", row.id, row.platform)
            attempts = row.attempts + 1
            if error.permanent or attempts >= max_attempts:
                values = {"status": "failed", "attempts": attempts, "last_error": str(error)}
                report.failed.append(row.id)
                log.error("outbox %s: giving up after %d attempts: %s", row.id, attempts, error)
            else:
                values = {
                    "status": "pending",
                    "attempts": attempts,
                    "last_error": str(error),
                    "next_attempt_at": now + backoff(attempts, error.retry_after),
                }
                report.retrying.append(row.id)
                log.warning(
                    "outbox %s: attempt %d failed (%s); will retry", row.id, attempts, error
                )
            await asyncio.to_thread(_finish, db, row.id, worker_id=worker_id, values=values)
            continue
        held = await asyncio.to_thread(
            _finish,
            db,
            row.id,
            worker_id=worker_id,
            values={
                "status": "sent",
                "sent_at": now,
                "attempts": row.attempts + 1,
                "last_error": None,
            },
        )
        if not held:
            log.warning("outbox %s: sent, but another worker had re-claimed it", row.id)
        report.sent.append(row.id)
    return report


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class OutboxWorker:
    """Runs ``deliver_outbox`` in the server: every ``tick`` seconds, and at once after a
    ``kick()`` (an adapter calls it after each command, which may have written rows)."""

    def __init__(
        self,
        db: Database,
        notifiers: Mapping[str, Notifier] | None = None,
        *,
        tick_seconds: float = 2.0,
        worker_id: str | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.db = db
        self.notifiers: dict[str, Notifier] = dict(notifiers or {})
        self.tick_seconds = tick_seconds
        self.worker_id = worker_id or default_worker_id()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def kick(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def run_once(self) -> DeliveryReport:
        return await deliver_outbox(
            self.db, self.notifiers, now=self.clock(), worker_id=self.worker_id
        )

    async def _loop(self) -> None:
        assert self._wake is not None
        while True:
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.tick_seconds)
                self._wake.clear()
                while (await self.run_once()).claimed:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away; try again next tick
                log.exception("outbox delivery failed")

    def attach(self, app: web.Application) -> None:
        """Start with the server and stop with it."""

        async def start(_app: web.Application) -> None:
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._loop(), name="outbox")
            log.info(
                "Outbox delivery every %.1fs for %s",
                self.tick_seconds,
                ", ".join(sorted(self.notifiers)) or "no platform",
            )

        async def stop(_app: web.Application) -> None:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

        app.on_startup.append(start)
        app.on_cleanup.append(stop)
