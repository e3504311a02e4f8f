"""The weekly summary, posted once per team on its summary day (default Friday 16:00 team time).

``post_weekly_summaries`` is one sweep, for the scheduler to call on every tick.
A team is due when, in its timezone, today is its summary weekday and the
summary time has passed: only on that local day, so a server that was down at
16:00 still posts at 16:30, but a missed Friday is not replayed on Monday. The
summary covers the ISO week that contains that day, up to now.

Exactly once, across retries and replicas: each team's post is first *claimed*
with a ``Delivery`` row (kind ``weekly_summary``, subject ``team:<id>``, the
local day) inserted with ``INSERT ... ON CONFLICT DO NOTHING`` on that unique
key and committed; only the sweep that inserted the row sends. Each channel
that got the file is recorded in the row's payload as soon as it is sent, so a
retry after a crash or a platform error sends only to the channels still
missing it. A transient failure (a ``DeliveryError`` that is not permanent, or
anything unexpected) is retried with backoff, ``Retry-After`` respected, up to
``MAX_ATTEMPTS``; a claim left by a crashed sweep is taken over after
``LEASE``. Slack gets the workbook uploaded; Teams, whose bots cannot upload
into channels, gets the summary with ``reply.link`` set to a signed download
URL (``bot.downloads``), which needs ``JOINEDUP_PUBLIC_URL``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.downloads import summary_link
from bot.settings import Settings
from commands.ports import DeliveryError, Notifier
from commands.weekly import IsoWeek
from integrations.spreadsheet import Export, export_week
from storage.database import Database
from storage.models import ChannelLink, Delivery, Team

log = logging.getLogger(__name__)

KIND = "weekly_summary"
MAX_ATTEMPTS = 5
LEASE = dt.timedelta(minutes=15)
FIRST_RETRY = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Target:
    link_id: int
    platform: str
    tenant: str
    channel_id: str


@dataclass
class Claim:
    delivery_id: int
    team_id: int
    local_day: dt.date
    attempts: int
    targets: list[Target]
    already_sent: set[int] = field(default_factory=set)


@dataclass
class Outcome:
    """What one team's post did in this sweep."""

    team_id: int
    status: str  # "sent", "retrying" or "failed"
    sent_to: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def post_weekly_summaries(
    db: Database,
    notifiers: Mapping[str, Notifier],
    *,
    now: dt.datetime,
    settings: Settings | None = None,
    worker: str | None = None,
) -> list[Outcome]:
    """Post every due team's weekly summary that this sweep manages to claim."""
    claims = await asyncio.to_thread(claim_due, db, now=now, worker=worker or default_worker())
    outcomes = []
    for claim in claims:
        outcomes.append(await _post(db, notifiers, claim, now=now, settings=settings))
    return outcomes


def is_due(team: Any, now: dt.datetime) -> dt.date | None:
    """The team's local day when its weekly summary is due at ``now``, else None."""
    local = now.astimezone(ZoneInfo(team.timezone))
    if local.isoweekday() == team.summary_weekday and f"{local:%H:%M}" >= team.summary_time:
        return local.date()
    return None


def claim_due(db: Database, *, now: dt.datetime, worker: str) -> list[Claim]:
    """Claim (and commit) every due team's post not yet claimed, or due for a retry."""
    with db.uow() as uow:
        s = uow.session
        teams = s.execute(
            select(Team.id, Team.timezone, Team.summary_weekday, Team.summary_time)
        ).all()
        due = {team.id: day for team in teams if (day := is_due(team, now)) is not None}
        if not due:
            return []
        targets: dict[int, list[Target]] = defaultdict(list)
        for link in s.scalars(
            select(ChannelLink)
            .where(ChannelLink.team_id.in_(due), ChannelLink.platform != "console")
            .order_by(ChannelLink.id)
        ):
            targets[link.team_id].append(
                Target(link.id, link.platform, link.tenant, link.channel_id)
            )
        due = {team_id: day for team_id, day in due.items() if targets[team_id]}
        if not due:
            return []
        existing = {
            (d.subject, d.local_day): d
            for d in s.scalars(
                select(Delivery).where(
                    Delivery.kind == KIND,
                    Delivery.subject.in_([f"team:{t}" for t in due]),
                    Delivery.local_day.in_(set(due.values())),
                )
            )
        }
        claims: list[Claim] = []
        for team_id, day in due.items():
            subject = f"team:{team_id}"
            found = existing.get((subject, day))
            if found is None:
                delivery_id = _insert_claim(
                    s, team_id=team_id, subject=subject, day=day, now=now, worker=worker
                )
                if delivery_id is not None:
                    claims.append(Claim(delivery_id, team_id, day, 1, targets[team_id]))
            elif _retry_due(found, now) and _take_over(s, found, now=now, worker=worker):
                sent = set((found.payload or {}).get("sent_link_ids", []))
                claims.append(
                    Claim(found.id, team_id, day, found.attempts + 1, targets[team_id], sent)
                )
        uow.commit()
        return claims


def _insert_claim(
    s: Session, *, team_id: int, subject: str, day: dt.date, now: dt.datetime, worker: str
) -> int | None:
    values: dict[str, Any] = {
        "team_id": team_id,
        "kind": KIND,
        "subject": subject,
        "local_day": day,
        "status": "claimed",
        "attempts": 1,
        "claimed_at": now,
        "claimed_by": worker,
        "payload": {"sent_link_ids": []},
    }
    key = ["kind", "subject", "local_day"]
    if s.get_bind().dialect.name == "postgresql":
        stmt: Any = pg_insert(Delivery).values(values).on_conflict_do_nothing(index_elements=key)
    else:
        stmt = sqlite_insert(Delivery).values(values).on_conflict_do_nothing(index_elements=key)
    return s.execute(stmt.returning(Delivery.id)).scalar_one_or_none()


def _retry_due(d: Delivery, now: dt.datetime) -> bool:
    if d.status == "failed":
        return d.next_attempt_at is not None and d.next_attempt_at <= now
    return d.status == "claimed" and d.claimed_at <= now - LEASE


def _take_over(s: Session, d: Delivery, *, now: dt.datetime, worker: str) -> bool:
    """Re-claim a failed or abandoned post; the status/attempts guard makes it one winner."""
    result = s.execute(
        update(Delivery)
        .where(Delivery.id == d.id, Delivery.status == d.status, Delivery.attempts == d.attempts)
        .values(
            status="claimed",
            attempts=d.attempts + 1,
            claimed_at=now,
            claimed_by=worker,
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def _post(
    db: Database,
    notifiers: Mapping[str, Notifier],
    claim: Claim,
    *,
    now: dt.datetime,
    settings: Settings | None,
) -> Outcome:
    outcome = Outcome(team_id=claim.team_id, status="sent")
    transient: list[float] = []
    week = IsoWeek.containing(claim.local_day)
    export: Export | None = None
    try:
        export = await asyncio.to_thread(export_week, db, team_id=claim.team_id, week=week, now=now)
    except Exception as exc:
        log.exception("weekly summary for team %s: building the workbook failed", claim.team_id)
        outcome.errors.append(f"workbook: {exc}")
        transient.append(0)
    if export is not None:
        await _send_all(
            db, notifiers, claim, export, outcome, transient, now=now, settings=settings
        )
    if transient and claim.attempts < MAX_ATTEMPTS:
        backoff = FIRST_RETRY * 2 ** (claim.attempts - 1)
        retry_at = now + max(backoff, dt.timedelta(seconds=max(transient)))
        outcome.status = "retrying"
    else:
        retry_at = None
        outcome.status = "failed" if transient else "sent"
    await asyncio.to_thread(_finish, db, claim, outcome, now=now, retry_at=retry_at)
    return outcome


async def _send_all(
    db: Database,
    notifiers: Mapping[str, Notifier],
    claim: Claim,
    export: Export,
    outcome: Outcome,
    transient: list[float],
    *,
    now: dt.datetime,
    settings: Settings | None,
) -> None:
    """Share the workbook in each channel not yet served; record each success at once."""
    week = IsoWeek.containing(claim.local_day)
    for target in claim.targets:
        if target.link_id in claim.already_sent:
            continue
        name = f"{target.platform}:{target.channel_id}"
        notifier = notifiers.get(target.platform)
        if notifier is None:
            outcome.errors.append(f"{name}: {target.platform} is not configured")
            continue
        reply = export.reply
        if target.platform == "teams":
            try:
                reply = replace(
                    reply,
                    link=summary_link(
                        settings or Settings(), team_id=claim.team_id, week=week, now=now
                    ),
                )
            except ValueError as exc:
                outcome.errors.append(f"{name}: {exc}")
                continue
        try:
            await notifier.share_file(
                tenant=target.tenant,
                channel_id=target.channel_id,
                filename=export.filename,
                content=export.content,
                reply=reply,
            )
        except DeliveryError as exc:
            outcome.errors.append(f"{name}: {exc}")
            if not exc.permanent:
                transient.append(exc.retry_after or 0)
            continue
        except Exception as exc:
            log.exception("weekly summary for team %s: %s failed", claim.team_id, name)
            outcome.errors.append(f"{name}: {exc}")
            transient.append(0)
            continue
        outcome.sent_to.append(name)
        await asyncio.to_thread(_record_sent, db, claim.delivery_id, target.link_id)


def _record_sent(db: Database, delivery_id: int, link_id: int) -> None:
    with db.uow() as uow:
        d = uow.session.get(Delivery, delivery_id)
        if d is not None:
            sent = list((d.payload or {}).get("sent_link_ids", []))
            d.payload = {**(d.payload or {}), "sent_link_ids": sorted({*sent, link_id})}
            uow.commit()


def _finish(
    db: Database, claim: Claim, outcome: Outcome, *, now: dt.datetime, retry_at: dt.datetime | None
) -> None:
    with db.uow() as uow:
        d = uow.session.get(Delivery, claim.delivery_id)
        if d is None:
            return
        d.last_error = "; ".join(outcome.errors) or None
        if outcome.status == "sent":
            d.status, d.sent_at, d.next_attempt_at = "sent", now, None
        else:
            d.status, d.next_attempt_at = "failed", retry_at
        uow.commit()
    if outcome.errors:
        log.warning(
            "weekly summary for team %s %s: %s", claim.team_id, outcome.status, d.last_error
        )
