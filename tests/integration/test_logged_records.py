"""A logged decision, commitment or risk is written with its number and its audit event (on
PostgreSQL in one statement): the event names the new record and holds its state, the same on
both backends; a refused one writes neither, nor takes a number."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.database import Database
from storage.models import AuditEvent, Commitment, Decision, Risk
from tests.support import Desk

MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def _events(db: Database, entity: str) -> list[tuple[str, int | None, dict | None, str | None]]:
    with db.uow() as work:
        rows = work.session.scalars(
            select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.id)
        ).all()
        return [(e.action, e.entity_id, e.after, e.platform) for e in rows]


def test_each_logged_record_has_one_event_naming_it_with_its_state(db: Database) -> None:
    desk = Desk(db, MONDAY, platform="slack")
    assert desk.say("decision Pool the budget because one fund").headline == "D-1 logged by Alex"
    assert desk.say("decision Share one register").headline == "D-2 logged by Alex"
    assert desk.say("commit me Draft the DPIA by 2026-12-04").headline.startswith("C-1 logged")
    assert desk.say("risk Data sharing may stall impact high").headline.startswith("R-1 logged")

    [d1, d2] = desk.rows(Decision, order_by=Decision.number)
    assert _events(db, "decision") == [
        (
            "decision.logged",
            d1.id,
            {"status": "active", "text": "Pool the budget", "rationale": "one fund"},
            "slack",
        ),
        (
            "decision.logged",
            d2.id,
            {"status": "active", "text": "Share one register", "rationale": None},
            "slack",
        ),
    ]
    [c1] = desk.rows(Commitment)
    assert (c1.number, c1.status, c1.due_date) == (1, "open", dt.date(2026, 12, 4))
    assert _events(db, "commitment") == [
        (
            "commitment.logged",
            c1.id,
            {
                "status": "open",
                "owner_id": c1.owner_id,
                "due_date": "2026-12-04",
                "snoozed_until": None,
                "blocked_reason": None,
                "text": "Draft the DPIA",
            },
            "slack",
        )
    ]
    [r1] = desk.rows(Risk)
    assert (r1.number, r1.impact, r1.likelihood) == (1, "high", "medium")
    assert _events(db, "risk") == [
        ("risk.logged", r1.id, {"text": "Data sharing may stall", "rating": "red"}, "slack")
    ]
    # The events' actor and team, and the records still behave as records.
    with db.uow() as work:
        actors = set(work.session.scalars(select(AuditEvent.actor_id)))
        teams = set(work.session.scalars(select(AuditEvent.team_id)))
    assert actors == {desk.person_id(desk.lead)} and teams == {d1.team_id}
    assert desk.say("done C-1").ok
    assert desk.say("decision supersede D-1 Pool two budgets").ok


def test_a_refused_record_takes_no_number_and_writes_no_event(db: Database) -> None:
    desk = Desk(db, MONDAY, platform="slack")
    before = len(_events(db, "commitment"))
    assert not desk.say("commit @nobody Send the draft").ok
    assert len(_events(db, "commitment")) == before
    assert desk.say("commit me Send the draft").headline.startswith("C-1 logged")
