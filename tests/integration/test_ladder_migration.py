"""Migration 0010 on a database that already has escalated commitments and teams."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.engine import make_engine
from storage.migrate import upgrade
from tests.conftest import PG_URL, _with_search_path


def _seed_and_upgrade(url: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = make_engine(url)
    upgrade(engine, "0004")
    at = dt.datetime(2026, 11, 20, 9, 0)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO teams (id, name, key, timezone, reminder_time, escalation_days, "
                "summary_weekday, summary_time, suggestions_enabled, decision_reaction, "
                "commitment_reaction, created_at) VALUES (1, 'T', 't', 'Europe/London', "
                "'09:00', 3, 5, '16:00', true, 'pushpin', 'ballot_box_with_check', :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text("INSERT INTO people (id, display_name, created_at) VALUES (1, 'Sam', :at)"),
            {"at": at},
        )
        for number, escalated in ((1, at), (2, None)):
            conn.execute(
                text(
                    "INSERT INTO commitments (id, team_id, number, text, owner_id, created_by_id,"
                    " status, escalated_at, created_at, updated_at) VALUES (:n, 1, :n, 'x', 1, 1,"
                    " 'open', :e, :at, :at)"
                ),
                {"n": number, "e": escalated, "at": at},
            )
    upgrade(engine)
    with engine.begin() as conn:
        steps = list(conn.execute(text("SELECT item, round, rung, local_day FROM ladder_steps")))
        counters = list(conn.execute(text("SELECT kind FROM counters WHERE kind = 'P'")))
        ladder = conn.execute(text("SELECT ladder FROM teams")).scalar_one()
    engine.dispose()
    return [*steps, ("counters", len(counters)), ("ladder", ladder)]


def _check(found: list[tuple]) -> None:  # type: ignore[type-arg]
    (item, round_, rung, local_day), *rest = found
    assert (item, round_, rung, str(local_day)) == ("commitment:1", 0, 1, "2026-11-20")
    assert rest == [("counters", 1), ("ladder", "accountable, lead")]


def test_commitments_escalated_before_the_ladder_keep_their_first_step(tmp_path: Path) -> None:
    _check(_seed_and_upgrade(f"sqlite:///{tmp_path / 'old.db'}"))


def test_the_same_migration_on_postgresql() -> None:
    if not PG_URL:
        pytest.skip("JOINEDUP_TEST_DATABASE_URL is not set")
    schema = f"jm_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        _check(_seed_and_upgrade(_with_search_path(PG_URL, schema)))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
