"""Migrations 0005 and 0006 on a database with rows in it: what was sent today stays sent,
what was claimed but unsent is still delivered, and nothing is sent twice."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.engine import make_engine
from storage.migrate import downgrade, upgrade
from storage.models import OutboxMessage
from tests.conftest import PG_URL, _with_search_path

NOW = dt.datetime(2026, 11, 23, 9, 0)
DAY = dt.date(2026, 11, 23)


def _migrate(engine: sa.Engine, *, to: str, down: bool = False) -> None:
    (downgrade if down else upgrade)(engine, to)


def _seed_0004(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO teams (id, name, key, timezone, reminder_time, escalation_days, "
                "summary_weekday, summary_time, suggestions_enabled, decision_reaction, "
                "commitment_reaction, created_at) VALUES "
                "(1, 'Rough Sleeping', 'rough sleeping', 'Europe/London', '09:00', 3, 5, "
                "'16:00', false, 'memo', 'handshake', :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            sa.text("INSERT INTO people (id, display_name, created_at) VALUES (3, 'Sam', :now)"),
            {"now": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO channel_links (id, team_id, platform, tenant, channel_id, "
                "created_at) VALUES (7, 1, 'slack', 'T1', 'C-LOG', :now)"
            ),
            {"now": NOW},
        )
        deliveries = sa.table(
            "deliveries",
            *(
                sa.column(c)
                for c in (
                    "team_id",
                    "kind",
                    "subject",
                    "local_day",
                    "status",
                    "attempts",
                    "claimed_at",
                    "next_attempt_at",
                    "sent_at",
                    "payload",
                )
            ),
        )
        conn.execute(
            sa.insert(deliveries),
            [
                {
                    "team_id": 1,
                    "kind": "owner_nudge",
                    "subject": "person:3",
                    "local_day": DAY,
                    "status": "claimed",
                    "attempts": 1,
                    "claimed_at": NOW,
                    "next_attempt_at": NOW,
                    "sent_at": None,
                    "payload": (
                        '{"to": "Sam", "target": {"person_id": 3, "platforms": ["slack"]}, '
                        '"reply": {"headline": "Good morning"}, "refs": ["C-1"], '
                        '"expires_at": "2026-11-24T00:00:00+00:00"}'
                    ),
                },
                {
                    "team_id": 1,
                    "kind": "channel_digest",
                    "subject": "channel:7",
                    "local_day": DAY,
                    "status": "sent",
                    "attempts": 1,
                    "claimed_at": NOW,
                    "next_attempt_at": None,
                    "sent_at": NOW,
                    "payload": (
                        '{"to": "slack log", "target": {"platform": "slack", "tenant": "T1", '
                        '"channel_id": "C-LOG"}, "reply": {"headline": "Digest"}, "refs": []}'
                    ),
                },
                {
                    "team_id": 1,
                    "kind": "team_sweep",
                    "subject": "team:1",
                    "local_day": DAY,
                    "status": "sent",
                    "attempts": 0,
                    "claimed_at": NOW,
                    "next_attempt_at": None,
                    "sent_at": NOW,
                    "payload": "{}",
                },
            ],
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'j.db'}"
        return
    if not PG_URL:
        pytest.skip("JOINEDUP_TEST_DATABASE_URL is not set")
    schema = f"jm_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_scheduled_messages_move_into_the_outbox_with_their_state_and_back(
    empty_url: str,
) -> None:
    engine = make_engine(empty_url)
    try:
        _migrate(engine, to="0004")
        _seed_0004(engine)

        _migrate(engine, to="head")

        with engine.connect() as conn:
            assert "deliveries" not in sa.inspect(conn).get_table_names()
            rows = {
                r.dedupe_key: r
                for r in conn.execute(sa.select(OutboxMessage.__table__).order_by("id"))
            }
        nudge = rows["owner_nudge:person:3:2026-11-23"]
        assert (nudge.status, nudge.platform, nudge.person_id) == ("pending", "any", 3)
        assert nudge.deadline == dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)
        assert nudge.payload["reply"] == {"headline": "Good morning"}
        digest = rows["channel_digest:channel:7:2026-11-23"]
        assert (digest.status, digest.channel_link_id, digest.platform) == ("sent", 7, "slack")
        assert rows["team_sweep:team:1:2026-11-23"].status == "sent"

        _migrate(engine, to="0004", down=True)
        with engine.connect() as conn:
            back = conn.execute(sa.text("SELECT kind, status FROM deliveries ORDER BY kind")).all()
            left = conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one()
        # The sent and the planned are remembered; the pending nudge is dropped as failed
        # rather than left for the old scheduler to send a second time.
        assert [tuple(r) for r in back] == [
            ("channel_digest", "sent"),
            ("owner_nudge", "failed"),
            ("team_sweep", "sent"),
        ]
        assert left == 0
    finally:
        engine.dispose()
