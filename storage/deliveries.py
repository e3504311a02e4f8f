"""Claims on scheduled messages (nudges, digests, escalations): each is sent once.

The protocol, whatever the number of schedulers on one database:

1. ``claim`` inserts one ``deliveries`` row per message, unique on (kind, subject,
   local day), with ``INSERT ... ON CONFLICT DO NOTHING``; the caller commits.
   Only the scheduler whose insert went in gets the row id back.
2. ``take_due`` leases rows that are due (``status = 'claimed'`` and
   ``next_attempt_at <= now``) with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
   PostgreSQL (SQLite's ``BEGIN IMMEDIATE`` serialises writers instead), pushes
   their ``next_attempt_at`` a lease ahead and counts the attempt; the caller
   commits, then sends. A fresh claim is due at once; a scheduler that died
   after claiming or leasing leaves the row for another tick once the lease ends.
3. ``mark_sent`` / ``mark_retry`` / ``mark_failed`` record the outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Delivery

# How long a scheduler owns a leased row before another may send it: longer than
# one batch of sends takes, short enough that a crash delays a nudge by minutes.
LEASE = dt.timedelta(minutes=5)
_CHUNK = 500  # rows per INSERT: well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class NewClaim:
    kind: str
    subject: str
    local_day: dt.date
    team_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    subject: str
    local_day: dt.date


def _insert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"claims need ON CONFLICT DO NOTHING; {name} is not supported")


def claim(
    session: Session, claims: Sequence[NewClaim], *, now: dt.datetime, done: bool = False
) -> list[Claimed]:
    """Insert a claim row for each message not yet claimed; return the ones this call inserted.

    One statement per 500 claims. The caller commits before sending anything. ``done``
    records rows that need no sending (markers) as sent at once.
    """
    insert = _insert(session)
    table = Delivery.__table__
    won: list[Claimed] = []
    for start in range(0, len(claims), _CHUNK):
        rows = [
            {
                "team_id": c.team_id,
                "kind": c.kind,
                "subject": c.subject,
                "local_day": c.local_day,
                "status": "sent" if done else "claimed",
                "attempts": 0,
                "claimed_at": now,
                "claimed_by": None,
                "next_attempt_at": None if done else now,
                "sent_at": now if done else None,
                "payload": c.payload,
            }
            for c in claims[start : start + _CHUNK]
        ]
        stmt = (
            insert(table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["kind", "subject", "local_day"])
            .returning(table.c.id, table.c.kind, table.c.subject, table.c.local_day)
        )
        won.extend(Claimed(*row) for row in session.execute(stmt))
    return won


def take_due(
    session: Session,
    *,
    now: dt.datetime,
    worker: str,
    limit: int = 50,
    team_id: int | None = None,
) -> list[Delivery]:
    """Lease up to ``limit`` due rows for ``worker``: nobody else sends them until the lease
    ends. The caller commits, then sends."""
    due = (
        select(Delivery.id)
        .where(Delivery.status == "claimed", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if team_id is not None:
        due = due.where(Delivery.team_id == team_id)
    stmt = (
        update(Delivery)
        .where(
            Delivery.id.in_(due.scalar_subquery()),
            # Checked again on the row itself: a concurrent lease makes this false.
            Delivery.status == "claimed",
            Delivery.next_attempt_at <= now,
        )
        .values(
            claimed_by=worker,
            claimed_at=now,
            attempts=Delivery.attempts + 1,
            next_attempt_at=now + LEASE,
        )
        .returning(Delivery)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(stmt), key=lambda d: d.id)


def _outcome(session: Session, delivery_id: int, worker: str, **values: Any) -> bool:
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "claimed",
            Delivery.claimed_by == worker,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def mark_sent(session: Session, delivery_id: int, *, worker: str, now: dt.datetime) -> bool:
    return _outcome(session, delivery_id, worker, status="sent", sent_at=now, next_attempt_at=None)


def mark_retry(
    session: Session, delivery_id: int, *, worker: str, error: str, retry_at: dt.datetime
) -> bool:
    return _outcome(session, delivery_id, worker, last_error=error[:2000], next_attempt_at=retry_at)


def mark_failed(session: Session, delivery_id: int, *, worker: str, error: str) -> bool:
    return _outcome(
        session, delivery_id, worker, status="failed", last_error=error[:2000], next_attempt_at=None
    )


def existing(
    session: Session, keys: Iterable[tuple[str, str, dt.date]]
) -> dict[tuple[str, str, dt.date], str]:
    """The status of those of ``keys`` (kind, subject, local day) already claimed."""
    wanted = set(keys)
    if not wanted:
        return {}
    days = {k[2] for k in wanted}
    subjects = {k[1] for k in wanted}
    rows = session.execute(
        select(Delivery.kind, Delivery.subject, Delivery.local_day, Delivery.status).where(
            Delivery.local_day.in_(days), Delivery.subject.in_(subjects)
        )
    )
    return {(k, s, d): status for k, s, d, status in rows if (k, s, d) in wanted}
