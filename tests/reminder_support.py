"""A recording Notifier and a sweep driver for reminder tests (the clock is a parameter)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from bot.outbox import DeliveryEngine
from commands.ports import Notifier
from commands.reminders import SweepReport, sweep
from commands.reply import Reply
from storage.database import Database


class RecordingNotifier:
    """Implements the Notifier protocol by remembering what it was asked to send.

    ``failures`` are raised, one per call, before anything is recorded; ``unreachable``
    people make ``send_to_person`` answer False.
    """

    def __init__(self, platform: str = "slack", *, unreachable: frozenset[int] = frozenset()):
        self.platform = platform
        self.unreachable = unreachable
        self.failures: list[Exception] = []
        self.dms: list[tuple[int, Reply]] = []
        self.posts: list[tuple[str, Reply]] = []
        self.summaries: list[tuple[str, Reply]] = []
        self._lock = threading.Lock()

    def _maybe_fail(self) -> None:
        with self._lock:
            error = self.failures.pop(0) if self.failures else None
        if error is not None:
            raise error

    async def post_to_channel(self, *, tenant: str, channel_id: str, reply: Reply) -> None:
        self._maybe_fail()
        with self._lock:
            self.posts.append((channel_id, reply))

    async def deliver_reply(self, *, address: dict[str, Any], reply: Reply) -> None:
        self._maybe_fail()
        with self._lock:
            self.posts.append((str(address.get("channel")), reply))

    async def send_to_person(self, *, person_id: int, reply: Reply) -> bool:
        if person_id in self.unreachable:
            return False
        self._maybe_fail()
        with self._lock:
            self.dms.append((person_id, reply))
        return True

    async def share_summary(
        self, *, tenant: str, channel_id: str, reply: Reply, now: dt.datetime
    ) -> None:
        self._maybe_fail()
        with self._lock:
            self.summaries.append((channel_id, reply))

    def dms_to(self, person_id: int) -> list[Reply]:
        return [r for p, r in self.dms if p == person_id]

    def dm_counts(self) -> Counter[int]:
        return Counter(p for p, _ in self.dms)

    def kinds(self) -> Counter[str]:
        return Counter(r.data.get("kind", "?") for _, r in [*self.dms, *self.posts])

    def clear(self) -> None:
        self.dms.clear()
        self.posts.clear()


def run_sweep(
    db: Database,
    notifiers: Mapping[str, Notifier] | RecordingNotifier,
    now: dt.datetime,
    *,
    worker: str = "test-worker",
    team_name: str | None = None,
    dry_run: bool = False,
) -> SweepReport:
    """One reminder sweep at ``now`` (plan and write), then the delivery engine at ``now``:
    what ``joinedup remind`` does."""
    if isinstance(notifiers, RecordingNotifier):
        notifiers = {notifiers.platform: notifiers}
    chosen = notifiers

    async def run() -> SweepReport:
        report = await sweep(db, now=now, team_name=team_name, dry_run=dry_run)
        if not dry_run:
            engine = DeliveryEngine(db, chosen, worker=worker, clock=lambda: now)
            report.results = (await engine.deliver_due(team_id=report.team_id)).outcomes
        return report

    return asyncio.run(run())


def refs(reply: Reply) -> list[str]:
    return [i.ref or "" for s in reply.sections for i in s.items]


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
