"""A form's typed command refused by the core names the field it is about (``Reply.field``),
so each platform shows the refusal next to that field rather than guessing from the words;
the core holds the length limits whatever the form let through."""

from __future__ import annotations

import datetime as dt

from commands import actions as a
from commands.dispatch import run
from commands.reply import Reply
from storage.database import Database
from storage.models import Commitment, Decision
from tests.support import Desk

NOW = dt.datetime(2026, 11, 18, 10, tzinfo=dt.UTC)


def submit(desk: Desk, command: a.Command) -> Reply:
    return run(command, desk.invocation("log form"), desk.db.uow)


def test_an_owner_the_core_refuses_is_a_refusal_about_the_owner_field(db: Database) -> None:
    desk = Desk(db, NOW)
    reply = submit(desk, a.LogCommitment(owner="@nobody", text="Send the draft", when=None))
    assert not reply.ok and reply.field == "owner"
    assert "who" not in reply.headline.lower()
    assert desk.rows(Commitment) == []


def test_a_due_date_the_core_cannot_read_is_a_refusal_about_the_due_field(db: Database) -> None:
    desk = Desk(db, NOW)
    reply = submit(desk, a.LogCommitment(owner="me", text="Send the draft", when="by hand"))
    assert not reply.ok and reply.field == "due"
    assert desk.rows(Commitment) == []


def test_an_overlong_text_is_a_refusal_about_the_text_field(db: Database) -> None:
    desk = Desk(db, NOW)
    reply = submit(desk, a.LogDecision(text="x" * 4001))
    assert not reply.ok and reply.field == "text"
    assert "4,001 characters" in reply.headline


def test_an_overlong_rationale_from_a_form_is_refused_and_nothing_is_written(
    db: Database,
) -> None:
    desk = Desk(db, NOW)
    reply = submit(desk, a.LogDecision(text="Pool the budget", rationale="y" * 4001))
    assert not reply.ok and reply.field == "rationale"
    assert "4,001 characters" in reply.headline
    assert desk.rows(Decision) == []
