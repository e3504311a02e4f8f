"""The outbox: every message that leaves the bot later, and the one claim/lease API for it.

A row's life: ``enqueue`` writes it ``"pending"`` in the caller's transaction (with the
change it reports, so the message exists exactly when the change does). A delivery worker
``lease``s ONE due row at a time (``"sending"``, ``leased_by``, ``leased_until``), commits,
sends, then records the outcome with ``mark_sent`` / ``reschedule`` / ``mark_failed``, each
guarded by the lease: a worker whose lease ran out (and whose row another worker took over)
changes nothing. A row whose ``deadline`` has passed is ``"expired"`` instead of being sent.

On PostgreSQL the lease is ``SELECT ... FOR UPDATE SKIP LOCKED``: concurrent workers take
different rows. On SQLite ``BEGIN IMMEDIATE`` (``storage.engine``) serialises writers.

``POLICIES`` is the one table of delivery settings: per kind, the retry backoff, how many
attempts (None: until the deadline, or for ever when there is none), and the deadline rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import OutboxMessage

ANNOUNCEMENT = "announcement"
REPLY = "reply"
NUDGE = "owner_nudge"
DIGEST = "channel_digest"
ESCALATION = "escalation"
WEEKLY_SUMMARY = "weekly_summary"
# A direct message to someone a change concerns (a commitment reassigned away from them).
DIRECT = "direct"
# A marker, not a message: a team's reminders for a local day are planned (written "sent").
TEAM_SWEEP = "team_sweep"

# ``platform`` of a row addressed to a person: whichever platform can reach them.
ANY_PLATFORM = "any"

# How long a worker owns a leased row: far longer than one send may take (a send times out
# after 15 s), short enough that a crashed worker delays a message by a minute.
LEASE = dt.timedelta(seconds=60)

# ``Session.info`` key set when a transaction writes an outbox row (``mark_queued``): the
# caller wakes the delivery loop only when its commit queued something.
QUEUED = "joinedup_outbox_queued"


def mark_queued(session: Session) -> None:
    """Note that this session's transaction writes an outbox row (``UnitOfWork.queued``)."""
    session.info[QUEUED] = True


@dataclass(frozen=True)
class Policy:
    """How one kind of message is retried, and until when it is worth sending."""

    first_retry: dt.timedelta
    max_retry: dt.timedelta
    # None: keep retrying until the deadline (or for ever when there is none).
    max_attempts: int | None
    # The deadline when ``enqueue`` is not given one: created + ``lifetime``; None: no deadline.
    lifetime: dt.timedelta | None
    # What the deadline means, for people reading this table.
    deadline_rule: str

    def backoff(self, attempts: int, retry_after: float | None = None) -> dt.timedelta:
        """The wait after the ``attempts``-th failure: doubling from ``first_retry`` up to
        ``max_retry``; never sooner than the platform asked (``Retry-After``)."""
        doubled: dt.timedelta = self.first_retry * (2 ** max(attempts - 1, 0))
        wait = min(doubled, self.max_retry)
        if retry_after is not None:
            wait = max(wait, dt.timedelta(seconds=retry_after))
        return wait


_S = dt.timedelta(seconds=1)
_M = dt.timedelta(minutes=1)
POLICIES: dict[str, Policy] = {
    ANNOUNCEMENT: Policy(5 * _S, 60 * _M, None, None, "none: retried until delivered"),
    REPLY: Policy(5 * _S, 5 * _M, None, 60 * _M, "an hour after the request"),
    NUDGE: Policy(30 * _S, 5 * _M, None, None, "end of the team's local working day"),
    DIGEST: Policy(30 * _S, 5 * _M, None, None, "end of the team's local working day"),
    ESCALATION: Policy(30 * _S, 5 * _M, None, None, "end of the team's local working day"),
    WEEKLY_SUMMARY: Policy(2 * _M, 15 * _M, None, None, "end of the team's summary day"),
    DIRECT: Policy(30 * _S, 30 * _M, None, 24 * 60 * _M, "a day after the change"),
}
DEFAULT_POLICY = POLICIES[ANNOUNCEMENT]


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did with a row: "sent", "retry" (rescheduled), "failed"
    (for good), "expired" (past its deadline), or "lost" (another worker took the lease)."""

    row_id: int
    kind: str
    status: str
    to: str
    refs: tuple[str, ...] = ()
    detail: str | None = None


def policy(kind: str) -> Policy:
    return POLICIES.get(kind, DEFAULT_POLICY)


def _insert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the outbox needs ON CONFLICT DO NOTHING; {name} lacks it")


def enqueue(
    session: Session,
    *,
    kind: str,
    platform: str,
    payload: dict[str, Any],
    now: dt.datetime,
    team_id: int | None = None,
    channel_link_id: int | None = None,
    person_id: int | None = None,
    address: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    deadline: dt.datetime | None = None,
    status: str = "pending",
) -> int | None:
    """Write one message in the caller's transaction (the caller commits); return its id, or
    None when a row with ``dedupe_key`` already exists (``INSERT ... ON CONFLICT DO NOTHING``:
    several replicas planning the same nudge write it once).

    ``payload`` is ``Reply.to_dict()`` (or, for the kinds that build their message at send
    time, what they need). The target is ``channel_link_id``, ``person_id`` or ``address``
    (a platform reply address, see ``Notifier.deliver_reply``). ``deadline``: defaults to
    the kind's policy (a reply: an hour). ``status="sent"`` writes a marker that is never sent.
    """
    if deadline is None and (lifetime := policy(kind).lifetime) is not None:
        deadline = now + lifetime
    values: dict[str, Any] = {
        "kind": kind,
        "platform": platform,
        "team_id": team_id,
        "channel_link_id": channel_link_id,
        "person_id": person_id,
        "address": address,
        "payload": payload,
        "status": status,
        "attempts": 0,
        "next_attempt_at": now,
        "dedupe_key": dedupe_key,
        "deadline": deadline,
        "created_at": now,
        "sent_at": now if status == "sent" else None,
    }
    stmt = _insert(session)(OutboxMessage).values(values)
    if status != "sent":
        mark_queued(session)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    result: int | None = session.execute(stmt.returning(OutboxMessage.id)).scalar_one_or_none()
    return result


def enqueue_many(session: Session, rows: list[dict[str, Any]], *, now: dt.datetime) -> set[str]:
    """``enqueue`` for a batch of rows that all have a ``dedupe_key``, 500 to a statement;
    return the keys this call wrote (the others existed)."""
    insert = _insert(session)
    table = OutboxMessage.__table__
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.dedupe_key)
    )
    won: set[str] = set()
    if any(row.get("status", "pending") != "sent" for row in rows):
        mark_queued(session)
    for start in range(0, len(rows), 500):
        chunk = []
        for row in rows[start : start + 500]:
            deadline = row.get("deadline")
            if deadline is None and (lifetime := policy(row["kind"]).lifetime) is not None:
                deadline = now + lifetime
            status = row.get("status", "pending")
            chunk.append(
                {
                    "kind": row["kind"],
                    "platform": row["platform"],
                    "team_id": row.get("team_id"),
                    "channel_link_id": row.get("channel_link_id"),
                    "person_id": row.get("person_id"),
                    "address": row.get("address"),
                    "payload": row["payload"],
                    "status": status,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "dedupe_key": row["dedupe_key"],
                    "deadline": deadline,
                    "created_at": now,
                    "sent_at": now if status == "sent" else None,
                }
            )
        # One statement built once, its rows given as executemany parameters: SQLAlchemy
        # sends them as multi-row INSERTs ("insertmanyvalues") without building and
        # compiling a new 500-row statement for each chunk, which cost more than the rows.
        won.update(key for (key,) in session.connection().execute(statement, chunk))
    return won


def existing(session: Session, keys: Collection[str]) -> dict[str, str]:
    """The status of each of ``keys`` already written (dry runs show what was sent)."""
    found: dict[str, str] = {}
    keys = list(keys)
    # One statement for a sweep's markers whatever the number of teams (SQLite allows
    # 32,766 bound parameters; a dry run's every message fits too).
    for start in range(0, len(keys), 20_000):
        for key, status in session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.status).where(
                OutboxMessage.dedupe_key.in_(keys[start : start + 20_000])
            )
        ):
            if key is not None:
                found[key] = status
    return found


def lease(
    session: Session,
    *,
    platforms: Collection[str],
    now: dt.datetime,
    worker: str,
    lease_for: dt.timedelta = LEASE,
    kinds: Collection[str] | None = None,
    team_id: int | None = None,
) -> OutboxMessage | None:
    """Lease the next due row for ``worker`` (fresh, due for a retry, or left by a worker
    whose lease ran out), counting the attempt; None when nothing is due. Only rows for
    ``platforms`` (and ``"any"``) are taken: a replica without Teams leaves Teams rows alone.
    The caller commits, then sends, then records the outcome."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.platform.in_([*platforms, ANY_PLATFORM]),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(list(kinds)))
    if team_id is not None:
        query = query.where(OutboxMessage.team_id == team_id)
    row = session.scalars(query).first()
    if row is None:
        return None
    row.status = "sending"
    row.leased_by = worker
    row.leased_until = row.next_attempt_at = now + lease_for
    row.attempts += 1
    session.flush()
    return row


def _held(row_id: int, worker: str) -> Any:
    return (
        OutboxMessage.id == row_id,
        OutboxMessage.status == "sending",
        OutboxMessage.leased_by == worker,
    )


def _finish(session: Session, row_id: int, worker: str, values: dict[str, Any]) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(*_held(row_id, worker))
        .values(leased_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def mark_sent(session: Session, row_id: int, *, worker: str, now: dt.datetime) -> bool:
    """Record a delivery; False (and nothing changed) when ``worker`` no longer holds the
    lease. Record what depends on the delivery in the same transaction, only when True."""
    return _finish(session, row_id, worker, {"status": "sent", "sent_at": now})


def reschedule(
    session: Session, row_id: int, *, worker: str, not_before: dt.datetime, error: str
) -> bool:
    """Put the row back for another attempt at ``not_before`` (a backoff, or a platform's
    Retry-After): the worker moves on at once, it never sleeps."""
    return _finish(
        session,
        row_id,
        worker,
        {"status": "pending", "next_attempt_at": not_before, "last_error": error[:2000]},
    )


def mark_failed(
    session: Session, row_id: int, *, worker: str, error: str, status: str = "failed"
) -> bool:
    """Give up on the row (``"failed"``, or ``"expired"`` past its deadline), with why."""
    return _finish(session, row_id, worker, {"status": status, "last_error": error[:2000]})
