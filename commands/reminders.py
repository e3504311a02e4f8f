"""Reminders into the outbox: a sweep plans, then writes each message once.

``sweep`` plans what is due (``commands.reminder_plan``) and writes it to the outbox in one
transaction (``enqueue_plan``): one row per message, unique on its dedupe key
(``kind:subject:local-day``), so several schedulers (replicas) write each nudge, digest and
escalation once, and a marker row per team and day so later ticks skip the team. The
delivery engine (``bot.delivery``) sends the rows; it retries a nudge, digest or escalation
until the end of the team's local working day (``storage.outbox.POLICIES``), so an outage
at 09:00 still delivers that morning. A scheduler that was down at reminder time writes
that day's messages when it returns on the same local day; past days are never planned,
and a message still unsent when its day is over is recorded as expired, not sent late.

An escalation counts (``Commitment.escalated_at`` and an audit event) only once delivered:
``record_escalation`` runs in the transaction that marks its row sent. One that is never
delivered is planned again on the next working day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from commands.presenting import day
from commands.reminder_plan import (
    DIGEST,
    ESCALATION,
    NUDGE,
    SWEPT,
    Outgoing,
    Plan,
    TeamDue,
    cyclic_gc_paused,
    plan_sweep,
    reply_as_dict,
    sweep_key,
)
from commands.workdays import (
    end_of_local_day,
    is_working_day,
    reminder_day,
    working_days_overdue,
)
from storage import outbox
from storage.database import Database
from storage.models import AuditEvent, Commitment

__all__ = [
    "DIGEST",
    "ESCALATION",
    "NUDGE",
    "SWEPT",
    "Outgoing",
    "Plan",
    "SweepReport",
    "TeamDue",
    "describe",
    "end_of_local_day",
    "enqueue_plan",
    "is_working_day",
    "plan_sweep",
    "record_escalation",
    "reminder_day",
    "reply_as_dict",
    "sweep",
    "worker_id",
    "working_days_overdue",
]


def enqueue_plan(session: Session, plan: Plan, *, now: dt.datetime) -> set[str]:
    """Write every planned message not written yet (by us or another scheduler), and mark
    the teams swept for the day; return the dedupe keys this call wrote. The caller commits;
    nothing is sent here."""
    with cyclic_gc_paused():
        outbox.enqueue_many(
            session,
            [
                {
                    "kind": SWEPT,
                    "platform": "none",
                    "team_id": td.team.id,
                    "payload": {},
                    "dedupe_key": sweep_key(td),
                    "status": "sent",
                }
                for td in plan.teams
            ],
            now=now,
        )
        return outbox.enqueue_many(session, [o.row() for o in plan.outgoing], now=now)


def record_escalation(
    session: Session, *, team_id: int | None, payload: dict[str, Any], now: dt.datetime
) -> None:
    """The escalation in ``payload`` reached its person: the commitment counts as escalated
    (once) and the audit log says to whom. Called in the transaction that marks it sent."""
    mark = payload.get("ladder")
    if isinstance(mark, dict):
        from commands import ladder  # the ladder's step counts once delivered, like this

        ladder.record_steps(session, [mark], now=now)
    commitment_id = payload.get("commitment_id")
    if not isinstance(commitment_id, int):
        return
    result = session.execute(
        update(Commitment)
        .where(Commitment.id == commitment_id, Commitment.escalated_at.is_(None))
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0):
        session.add(
            AuditEvent(
                team_id=team_id,
                action="commitment.escalated",
                entity="commitment",
                entity_id=commitment_id,
                after={
                    "escalated_to": payload.get("to"),
                    "person_id": payload.get("target", {}).get("person_id"),
                },
                at=now,
            )
        )


@dataclass
class SweepReport:
    plan: Plan
    dry_run: bool
    # Dry run: planned dedupe key -> status of the row already written ("sent", "pending"...).
    already: dict[str, str] = field(default_factory=dict)
    # The dedupe keys this sweep wrote (the others were written before, by us or a replica).
    claimed: set[str] = field(default_factory=set)
    # What the delivery engine did with due rows after the sweep (``storage.outbox.Outcome``).
    results: list[outbox.Outcome] = field(default_factory=list)

    @property
    def team_id(self) -> int | None:
        """The one team a ``--team`` sweep was about, else None."""
        chosen = self.plan.teams or self.plan.already_swept
        return chosen[0].team.id if len(chosen) == 1 else None


def _plan_in(db: Database, now: dt.datetime, team_name: str | None, dry_run: bool) -> Plan:
    with db.uow() as uow:
        plan = plan_sweep(uow.session, now=now, team_name=team_name, include_swept=dry_run)
        uow.session.expunge_all()
        return plan


async def sweep(
    db: Database,
    *,
    now: dt.datetime,
    team_name: str | None = None,
    dry_run: bool = False,
) -> SweepReport:
    """Plan what is due at ``now`` and write it to the outbox; with ``dry_run`` only plan.
    Sending is the delivery engine's job (``bot.delivery``)."""
    plan = await asyncio.to_thread(_plan_in, db, now, team_name, dry_run)
    report = SweepReport(plan=plan, dry_run=dry_run)
    if dry_run:

        def look() -> dict[str, str]:
            with db.uow() as uow:
                return outbox.existing(uow.session, [o.dedupe_key for o in plan.outgoing])

        report.already = await asyncio.to_thread(look)
        return report

    def write() -> set[str]:
        with db.uow() as uow:
            won = enqueue_plan(uow.session, plan, now=now)
            uow.commit()
            return won

    if plan.teams:
        # Serialise outside the write transaction: it holds SQLite's write lock.
        await asyncio.to_thread(lambda: [o.payload for o in plan.outgoing])
        report.claimed = await asyncio.to_thread(write)
    return report


def describe(report: SweepReport) -> list[str]:
    """The sweep in lines, per person and per channel: for ``joinedup remind`` and logs."""
    plan = report.plan
    stamp = plan.now.strftime("%Y-%m-%d %H:%M UTC")
    label = {NUDGE: "nudge", DIGEST: "digest", ESCALATION: "escalation"}

    def names(teams: list[TeamDue]) -> str:
        return ", ".join(
            f"{td.team.name} ({td.team.reminder_time} {td.team.timezone}, {day(td.today)})"
            for td in teams
        )

    lines = []
    if plan.teams:
        lines.append(f"{stamp}: reminders due for {names(plan.teams)}")
    if plan.already_swept:
        lines.append(f"{stamp}: already swept today, nothing more: {names(plan.already_swept)}")
    if not plan.teams and not plan.already_swept:
        lines.append(f"{stamp}: no team's reminders are due (not a working day, or too early).")
    if report.dry_run:
        for o in plan.outgoing:
            status = report.already.get(o.dedupe_key)
            verb = f"already {status} today" if status else "would send"
            lines.append(f"  {label[o.kind]} -> {o.to}: {', '.join(o.refs)} [{verb}]")
    else:
        for r in report.results:
            if r.kind not in label:
                continue
            detail = f" ({r.detail})" if r.detail else ""
            lines.append(
                f"  {label.get(r.kind, r.kind)} -> {r.to}: {', '.join(r.refs)} [{r.status}{detail}]"
            )
        skipped = [o for o in plan.outgoing if o.dedupe_key not in report.claimed]
        if skipped:
            lines.append(
                f"  {len(skipped)} already written today (sent or being sent): nothing more."
            )
    if plan.teams and not plan.outgoing:
        lines.append("  nothing to send: no overdue, due or blocked commitments.")
    return lines


def worker_id() -> str:
    """Who holds a lease: host, process and a random tag (several workers per host)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
