"""What one slash command costs the database, counted at the driver (SQLAlchemy's
``before_cursor_execute``) while the real server answers signed requests.

The figures are the contract of the hot path (bench/commands.py measures its speed): a
``/decision`` is one transaction of five statements whatever the size of the log (the claim,
the context, the number, the record, its audit event; on PostgreSQL two: the claim rides on
the context's query, the number and the audit event on the record's insert), plus the
channel links and one outbox row per channel when the team is linked on another platform;
``help`` and ``list`` write nothing and, on SQLite, never take the write lock.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select, update

from storage.database import Database
from storage.models import ChannelLink, Decision, OutboxMessage, Person, PlatformIdentity, Team
from tests.clocks import ServerTime
from tests.e2e.slack_harness import SlackDriver, serve_slack
from tests.fakes.slack_api import FakeSlackApi

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


class Statements:
    """Every statement the server sends to the database while ``recording``, with the
    connection it went on, and each COMMIT (``transaction`` picks the command's own)."""

    def __init__(self, db: Database) -> None:
        self.recording = False
        self.seen: list[str] = []
        self.on: list[tuple[int, str]] = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def record(conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
            if self.recording:
                self.seen.append(" ".join(statement.split()))
                self.on.append((id(conn.connection.dbapi_connection), self.seen[-1]))

        @event.listens_for(db.engine, "commit")
        def committed(conn):  # type: ignore[no-untyped-def]
            if self.recording:
                self.on.append((id(conn.connection.dbapi_connection), "COMMIT"))

    def transaction(self) -> list[str]:
        """The statements of the transaction that claimed the command's key, up to its
        COMMIT: the delivery loop, woken by the command, works beside it on other
        connections (or on the same one, after)."""
        start = next(i for i, (_c, s) in enumerate(self.on) if "inbound_events" in s)
        connection = self.on[start][0]
        mine = []
        for conn, statement in self.on[start:]:
            if conn != connection:
                continue
            if statement == "COMMIT":
                return mine
            mine.append(statement)
        raise AssertionError(f"no COMMIT after the claim: {mine}")

    def of(
        self, slack: SlackDriver, command: str, text: str
    ) -> tuple[dict[str, object], list[str]]:
        self.seen = []
        self.on = []
        self.recording = True
        try:
            answer = slack.ask(command, text)
        finally:
            self.recording = False
        return answer, list(self.seen)


def work(statements: list[str]) -> list[str]:
    """The statements that do something: SQLite's ``BEGIN`` (sent by our begin listener;
    psycopg's is implicit) left out, so both backends count alike."""
    return [s for s in statements if not s.upper().startswith("BEGIN")]


@pytest.fixture
def quiet_slack(db: Database, server_time: ServerTime) -> tuple[SlackDriver, Statements]:
    """The real server with Slack; no scheduler and an outbox loop that wakes only when a
    command queues a message, so that every statement counted is the command's."""
    fake = FakeSlackApi().serve(server_time.loop)
    fake.add_user("U1", name="Alex Morgan", email="alex@council.example")
    return serve_slack(server_time, db, fake, JOINEDUP_OUTBOX_TICK="3600"), Statements(db)


def test_a_decision_is_a_few_statements_in_one_transaction_however_long_the_log(quiet_slack, db):
    slack, statements = quiet_slack
    slack.ask("/joinedup", "team create Rough Sleeping")
    slack.ask("/decision", "The first one, which resolves Alex once")

    costs = []
    for n in range(12):
        answer, seen = statements.of(slack, "/decision", f"Decision {n}")
        assert str(answer["text"]).startswith(f"D-{n + 2} logged by Alex Morgan")
        # Nothing but the command's transaction: the actor came from the adapter's memory.
        assert work(seen) == statements.transaction()
        costs.append(seen)

    first = costs[0]
    expected = (
        [
            "WITH claimed AS",  # (INSERT INTO inbound_events ...) SELECT people.id, ...
            "WITH taken AS",  # (UPDATE counters ...), created AS (INSERT INTO decisions
            # ...), audited AS (INSERT INTO audit_events ...) SELECT ... FROM created
        ]
        if db.engine.dialect.name == "postgresql"
        else [
            "INSERT INTO inbound_events",
            "SELECT people.id, people.displ",
            "UPDATE counters",
            "INSERT INTO decisions",
            "INSERT INTO audit_events",
        ]
    )
    assert [s.split(" (")[0].split(" SET")[0][:30] for s in work(first)] == expected
    # One transaction: on SQLite exactly one BEGIN (IMMEDIATE: the write lock at once).
    begins = [s for s in first if s.upper().startswith("BEGIN")]
    assert begins in ([], ["BEGIN IMMEDIATE"])
    # The same for the twelfth as for the first: nothing grows with the log.
    assert {len(work(seen)) for seen in costs} == {len(expected)}
    with db.reader() as uow:
        assert len(uow.session.scalars(select(Decision)).all()) == 13


def test_a_decision_in_a_team_linked_on_teams_too_reads_its_links_and_queues_one_announcement(
    quiet_slack, db
):
    slack, statements = quiet_slack
    slack.ask("/joinedup", "team create Rough Sleeping")
    with db.uow() as uow:
        team = uow.session.scalars(select(Team)).one()
        uow.session.add(
            ChannelLink(team_id=team.id, platform="teams", tenant="tenant-1", channel_id="19:x")
        )
        uow.commit()
    slack.ask("/decision", "Warm up")

    statements.of(slack, "/decision", "Pool the data budget")

    mine = work(statements.transaction())
    assert len(mine) == (4 if db.engine.dialect.name == "postgresql" else 7), mine
    assert any(s.startswith("SELECT channel_links.id, channel_links.platform") for s in mine)
    assert sum(s.startswith("INSERT INTO outbox") for s in mine) == 1
    with db.reader() as uow:
        queued = uow.session.scalars(select(OutboxMessage)).all()
        assert [(m.kind, m.platform) for m in queued] == [("announcement", "teams")] * 2


def test_help_and_list_write_nothing_and_never_take_the_write_lock(quiet_slack, db):
    slack, statements = quiet_slack
    slack.ask("/joinedup", "team create Rough Sleeping")
    slack.ask("/commit", "me Send the DPIA draft by Friday")

    for text in ("help", "list", "list mine"):
        answer, seen = statements.of(slack, "/joinedup", text)
        assert answer.get("response_type") == "ephemeral", (text, answer)
        assert not [s for s in seen if WRITES.match(s)], (text, seen)
        assert "BEGIN IMMEDIATE" not in seen, text
        assert len(work(seen)) <= 4, (text, seen)


def test_a_known_slack_user_is_the_actor_the_account_belongs_to_now(quiet_slack, db):
    """The adapter answers a known user's person id from memory; the core checks the account
    in the command's transaction, so a command after two people were joined (``me
    confirm`` moves the account) is the new holder's, never the emptied person's."""
    slack, statements = quiet_slack
    slack.ask("/joinedup", "team create Rough Sleeping")
    slack.ask("/decision", "Before the merge")
    with db.uow() as uow:
        holder = Person(display_name="Alex Morgan (Teams)", email="alex.morgan@council.example")
        uow.session.add(holder)
        uow.session.flush()
        uow.session.execute(
            update(PlatformIdentity)
            .where(PlatformIdentity.platform == "slack", PlatformIdentity.user_id == "U1")
            .values(person_id=holder.id)
        )
        uow.commit()
        holder_id = holder.id

    _answer, seen = statements.of(slack, "/decision", "After the merge")

    with db.reader() as uow:
        after = uow.session.scalars(select(Decision).where(Decision.text == "After the merge"))
        assert after.one().decided_by_id == holder_id
    # Nothing read before the command's own transaction, which found the holder (and made
    # them a member of the team: they were not one).
    assert work(seen) == work(statements.transaction())
