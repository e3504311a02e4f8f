"""PostgreSQL connections that the server dropped: a command is still written, once.

A pooled connection is pinged before use only when it has been idle in the pool for a few
seconds (``storage.engine.IDLE_PING_S``); one in steady use is not, and if the server dropped
it meanwhile the command runs once more on a new connection (``commands.dispatch.run``).
Here the server really drops them: ``pg_terminate_backend`` on this test's own connections,
found by their ``application_name``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import func, select, text

from bot.server import build_app
from bot.settings import Settings
from commands.dispatch import dispatch
from integrations.web.api import API_KEY
from storage import access
from storage import engine as engine_module
from storage.database import Database
from storage.engine import make_engine
from storage.models import Decision, InboundEvent
from tests.background import serving
from tests.support import Desk

MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
RETRIED = "running the command again"


@pytest.fixture
def pg(database_url: str) -> Iterator[tuple[Database, str]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL connections only: SQLite has none to drop")
    name = f"jt_drop_{uuid.uuid4().hex[:8]}"
    database = Database(f"{database_url}&application_name={name}", migrate=False)
    try:
        yield database, name
    finally:
        database.dispose()


def _drop_connections(database_url: str, name: str) -> int:
    """Terminate every server process serving a connection named ``name``; wait until gone."""
    admin = make_engine(database_url.split("?")[0])
    try:
        with admin.begin() as conn:
            dropped = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": name},
            ).scalar_one()
        for _ in range(200):
            with admin.begin() as conn:
                left = conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                    {"n": name},
                ).scalar_one()
            if left == 0:
                break
        return int(dropped)
    finally:
        admin.dispose()


def _decision(desk: _Desk, text_: str, key: str | None) -> Any:
    invocation = desk.invocation(f"decision {text_}", as_=desk.lead_id, idempotency_key=key)
    return dispatch(invocation, desk.db.uow)


class _Desk(Desk):
    lead_id: int


def _desk(db: Database) -> _Desk:
    """A team in a Slack channel whose lead's person id is known before any connection drops
    (nothing but the command under test runs on the pool after the drop)."""
    desk = _Desk(db, MONDAY, platform="slack")
    desk.lead_id = desk.person_id(desk.lead)
    return desk


def _logged_then_dropped(pg: tuple[Database, str], database_url: str) -> _Desk:
    """A team with D-1 logged, then every connection of its pool dropped by the server."""
    db, name = pg
    desk = _desk(db)
    assert _decision(desk, "Before the restart", "k-1").ok
    assert _drop_connections(database_url, name) >= 1
    return desk


def _count(db: Database, model: Any) -> int:
    with db.uow() as work:
        return int(work.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_command_on_a_connection_the_server_dropped_runs_again_and_is_written_once(
    pg: tuple[Database, str], database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = pg[0]
    desk = _logged_then_dropped(pg, database_url)

    # The pooled connection went back seconds ago: it is not pinged, its first statement
    # fails, and the command runs again on a new connection.
    with caplog.at_level(logging.WARNING, logger="commands.dispatch"):
        reply = _decision(desk, "After the restart", "k-2")
    assert reply.ok, reply.headline
    assert reply.headline.startswith("D-2 logged")
    assert any(RETRIED in r.getMessage() for r in caplog.records)
    assert _count(db, Decision) == 2
    assert _count(db, InboundEvent) == 2
    # A redelivery of the same request still finds its claim.
    assert _decision(desk, "After the restart", "k-2").duplicate
    assert _count(db, Decision) == 2


def test_an_idle_connection_is_pinged_and_replaced_before_a_command_uses_it(
    pg: tuple[Database, str],
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = pg[0]
    desk = _logged_then_dropped(pg, database_url)
    # Every connection now counts as idle: the checkout pings it, finds it dead, and the
    # pool hands out a new one before the command's first statement.
    monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0)
    with caplog.at_level(logging.WARNING, logger="commands.dispatch"):
        reply = _decision(desk, "After the restart", "k-2")
    assert reply.ok, reply.headline
    assert not any(RETRIED in r.getMessage() for r in caplog.records)
    assert _count(db, Decision) == 2


def test_a_connection_in_steady_use_is_not_pinged(
    pg: tuple[Database, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _name = pg
    desk = _desk(db)
    pings: list[object] = []
    real_ping = db.engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    for n in range(10):
        assert _decision(desk, f"Decision {n}", f"k-{n}").ok
    assert pings == []
    monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0)
    assert _decision(desk, "After a pause", "k-pause").ok
    assert len(pings) >= 1


def test_a_command_without_a_key_is_not_run_again_and_writes_nothing(
    pg: tuple[Database, str], database_url: str
) -> None:
    """Without a claim a second run could write it twice (if the break came at the commit):
    the person is asked to try again instead."""
    db = pg[0]
    desk = _logged_then_dropped(pg, database_url)
    reply = _decision(desk, "No key", None)
    assert not reply.ok and reply.retry
    assert _count(db, Decision) == 1


def test_a_read_on_a_dropped_connection_reads_again(
    pg: tuple[Database, str], database_url: str
) -> None:
    db = pg[0]
    _logged_then_dropped(pg, database_url)

    def read() -> int:
        return _count(db, Decision)

    assert db.read_again_if_dropped(read) == 1


def test_the_json_api_answers_after_the_server_dropped_its_connections(
    pg: tuple[Database, str], database_url: str
) -> None:
    """Over real HTTP: the live view's API reads through ``read_again_if_dropped``."""
    db, name = pg
    desk = _desk(db)
    assert _decision(desk, "Before the restart", "k-1").ok
    with db.uow() as work:
        secret = access.create_api_token(work.session, team_id=1, label="t", now=MONDAY)
        work.commit()
    app = build_app(Settings(database_url=db.url, outbox_tick_seconds=3600.0), db)
    app[API_KEY].clock = lambda: MONDAY
    headers = {"Authorization": f"Bearer {secret}"}
    with serving(app) as server:
        url = f"{server.url}/api/v1/teams/1/decisions"
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
        assert _drop_connections(database_url, name) >= 1
        answer = requests.get(url, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        assert [d["ref"] for d in answer.json()["items"]] == ["D-1"]
