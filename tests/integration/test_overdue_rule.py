""" "Overdue" is one rule written twice, as a Python predicate and as a SQL condition
(``commands.rules``): on the same rows of a real database the two must agree, whatever the
status, the due date (or none) and the day it is asked on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, not_, select

from commands import views
from commands.rules import days_overdue_on, local_today, overdue_clause, row_is_overdue
from storage.database import Database
from storage.models import Commitment, Team
from tests.support import Desk

D = dt.date
TODAY = D(2026, 11, 18)  # a Wednesday

# (status, due date): every status, undated, due long ago, yesterday, today, tomorrow.
ROWS = [
    (status, due)
    for status in ("open", "blocked", "done", "cancelled")
    for due in (None, D(2026, 10, 1), D(2026, 11, 17), TODAY, D(2026, 11, 19))
]

# What the rule says, by hand: still open (blocked counts) and due before today.
EXPECTED_OVERDUE = {
    ("open", D(2026, 10, 1)),
    ("open", D(2026, 11, 17)),
    ("blocked", D(2026, 10, 1)),
    ("blocked", D(2026, 11, 17)),
}


@pytest.fixture
def team_with_rows(db: Database) -> int:
    desk = Desk(db, dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC))
    owner = desk.person_id(desk.lead)
    with db.uow() as uow:
        team = uow.session.scalars(select(Team)).one()
        for number, (status, due) in enumerate(ROWS, start=1):
            uow.session.add(
                Commitment(
                    team_id=team.id,
                    number=number,
                    text=f"{status} due {due}",
                    owner_id=owner,
                    created_by_id=owner,
                    status=status,
                    due_date=due,
                )
            )
        uow.commit()
        return team.id


def test_the_overdue_predicate_says_what_the_rule_says() -> None:
    assert {row for row in ROWS if row_is_overdue(*row, TODAY)} == EXPECTED_OVERDUE
    assert days_overdue_on("blocked", D(2026, 11, 17), TODAY) == 1
    assert days_overdue_on("done", D(2026, 11, 17), TODAY) == 0
    assert days_overdue_on("open", None, TODAY) == 0


@pytest.mark.parametrize(
    "today", [D(2026, 9, 30), D(2026, 10, 2), TODAY, D(2026, 11, 19), D(2026, 11, 20)]
)
def test_the_sql_overdue_condition_agrees_with_the_predicate_row_by_row(
    db: Database, team_with_rows: int, today: dt.date
) -> None:
    with db.reader() as uow:
        selected = uow.session.execute(
            select(Commitment.status, Commitment.due_date, overdue_clause(today)).where(
                Commitment.team_id == team_with_rows
            )
        ).all()
        matched = set(
            tuple(row)
            for row in uow.session.execute(
                select(Commitment.status, Commitment.due_date).where(overdue_clause(today))
            ).all()
        )
        # Negated, an undated row must count as "not overdue", not vanish as unknown.
        not_matched = uow.session.scalar(
            select(func.count()).select_from(Commitment).where(not_(overdue_clause(today)))
        )
    assert len(selected) == len(ROWS)
    for status, due, in_sql in selected:
        assert bool(in_sql) is row_is_overdue(status, due, today), (status, due, today)
        assert in_sql is not None, "the condition is never NULL"
    assert matched == {row for row in ROWS if row_is_overdue(*row, today)}
    assert not_matched == len(ROWS) - len(matched)


def test_the_web_list_of_overdue_commitments_follows_the_rule(
    db: Database, team_with_rows: int
) -> None:
    now = dt.datetime(2026, 11, 18, 10, tzinfo=dt.UTC)
    with db.reader() as uow:
        team = uow.session.get(Team, team_with_rows)
        assert team is not None
        assert local_today(now, team.timezone) == TODAY
        page = views.commitments(uow.session, team, now=now, status="overdue", per_page=None)
        everything = views.commitments(uow.session, team, now=now, status="all", per_page=None)
    assert {(c.status, c.due) for c in page.items} == EXPECTED_OVERDUE
    assert {(c.status, c.due) for c in everything.items if c.overdue} == EXPECTED_OVERDUE
    # Overdue first in the full list, as the web page shows it.
    flags = [c.overdue for c in everything.items]
    assert flags == sorted(flags, reverse=True)
