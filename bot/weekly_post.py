"""The weekly summary, posted once per team and channel on its summary day (Friday 16:00).

``enqueue_weekly_summaries`` is the planning half, for the scheduler to call on every
tick. A team is due when, in its timezone, today is its summary weekday and the summary
time has passed: only on that local day, so a server that was down at 16:00 still posts
at 16:30, but a missed Friday is not replayed on Monday. The summary covers the ISO week
that contains that day, up to the moment it is sent.

Exactly once, across retries and replicas: each linked channel's post is one outbox row
(kind ``weekly_summary``, dedupe key ``weekly_summary:channel:<link>:<local day>``,
deadline the end of that day), delivered by the delivery engine (``bot.outbox``) with the
kind's retry policy; a failure in one channel is retried there only. ``send_weekly_summary``
is the sending half: it reads the week's summary and hands it to the channel's notifier,
which attaches the spreadsheet its platform's way (Slack uploads the workbook; Teams links
to a signed download, which needs ``JOINEDUP_PUBLIC_URL``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commands.ports import DeliveryError, Notifier
from commands.reply import Reply
from commands.summary import week_summary
from commands.weekly import IsoWeek
from commands.workdays import end_of_local_day, local_day_from
from storage import outbox
from storage.database import Database
from storage.models import ChannelLink, Team

KIND = outbox.WEEKLY_SUMMARY

log = logging.getLogger(__name__)


def is_due(team: Any, now: dt.datetime) -> dt.date | None:
    """The team's local day when its weekly summary is due at ``now``, else None: its
    summary weekday, at or after its summary time (``commands.workdays.local_day_from``,
    the rule reminders use too)."""
    try:
        day = local_day_from(now, timezone=team.timezone, hhmm=team.summary_time)
    except (ValueError, KeyError) as exc:
        log.warning("team %s: cannot read its weekly summary time: %s", team.id, exc)
        return None
    if day is None or day.isoweekday() != team.summary_weekday:
        return None
    return day


def enqueue_weekly_summaries(session: Session, *, now: dt.datetime) -> set[str]:
    """Write one outbox row per linked channel of every team whose summary is due, unless
    written already (by an earlier tick or a replica); return the new rows' dedupe keys."""
    teams = session.execute(
        select(Team.id, Team.timezone, Team.summary_weekday, Team.summary_time)
    ).all()
    due = {team.id: (day, team.timezone) for team in teams if (day := is_due(team, now))}
    if not due:
        return set()
    rows = []
    for link in session.scalars(
        select(ChannelLink)
        .where(ChannelLink.team_id.in_(due), ChannelLink.platform != "console")
        .order_by(ChannelLink.id)
    ):
        day, timezone = due[link.team_id]
        rows.append(
            {
                "kind": KIND,
                "platform": link.platform,
                "team_id": link.team_id,
                "channel_link_id": link.id,
                "payload": {
                    "team_id": link.team_id,
                    "day": day.isoformat(),
                    "to": f"{link.platform}:{link.channel_id}",
                },
                "dedupe_key": f"{KIND}:channel:{link.id}:{day.isoformat()}",
                "deadline": end_of_local_day(day, timezone),
            }
        )
    return outbox.enqueue_many(session, rows, now=now)


def read_summary(db: Database, *, team_id: int, week: IsoWeek, now: dt.datetime) -> Reply:
    """The team's summary of ``week`` as it stands at ``now`` (blocking: a read)."""
    with db.reader() as uow:
        team = uow.session.get(Team, team_id)
        if team is None:
            raise LookupError(f"team {team_id} no longer exists")
        return week_summary(uow.session, team, week, now=now)


async def send_weekly_summary(
    db: Database,
    notifier: Notifier,
    *,
    link: tuple[int, str, str, str],
    payload: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    """Share the team's summary of the week in one channel, its spreadsheet attached by the
    notifier (the delivery engine calls this for a ``weekly_summary`` row). Raises
    DeliveryError."""
    _, _, tenant, channel_id = link
    week = IsoWeek.containing(dt.date.fromisoformat(str(payload["day"])))
    try:
        reply = await asyncio.to_thread(
            read_summary, db, team_id=int(payload["team_id"]), week=week, now=now
        )
    except Exception as exc:
        raise DeliveryError(f"reading the summary failed: {exc!r}"[:500]) from exc
    await notifier.share_summary(tenant=tenant, channel_id=channel_id, reply=reply, now=now)


async def post_weekly_summaries(
    db: Database,
    notifiers: Mapping[str, Notifier],
    *,
    now: dt.datetime,
    worker: str | None = None,
) -> list[outbox.Outcome]:
    """One weekly tick: write what is due, then deliver the due weekly rows at ``now``."""
    from bot.outbox import DeliveryEngine

    def write() -> None:
        with db.uow() as uow:
            enqueue_weekly_summaries(uow.session, now=now)
            uow.commit()

    await asyncio.to_thread(write)
    engine = DeliveryEngine(db, notifiers, worker=worker, clock=lambda: now)
    return (await engine.deliver_due(kinds=[KIND])).outcomes
