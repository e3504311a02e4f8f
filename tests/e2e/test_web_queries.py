"""The number of SQL statements behind each page and API call does not grow with the team."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from bot.server import build_app
from bot.settings import Settings
from integrations.web.api import API_KEY
from integrations.web.app import WEB_KEY
from storage import access
from storage.database import Database
from tests.background import Server, serving
from tests.support import Desk
from tests.web_support import LEAD, Browser, bulk_team, sign_in_url


class StatementCounter:
    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # A new pooled SQLite connection sets its PRAGMAs once: connection set-up, not a page's.
        # The outbox worker's own ticks are not the page's either.
        if statement.lstrip().upper().startswith("PRAGMA") or "outbox" in statement:
            return
        self.count += 1

    def around(self, call: Any) -> int:
        before = self.count
        call()
        return self.count - before


@pytest.fixture
def server(db: Database, now: dt.datetime) -> Iterator[Server]:
    app = build_app(Settings(database_url=db.url, outbox_tick_seconds=3600.0), db)
    app[WEB_KEY].clock = lambda: now
    app[API_KEY].clock = lambda: now
    with serving(app) as running:
        yield running


def test_each_page_runs_as_many_statements_for_1000_commitments_as_for_100(db, now, server):
    desk = Desk(db, now, team="Home Team", lead=LEAD)
    lead_id = desk.person_id(LEAD)
    small = bulk_team(db, now, name="Small", commitments=100, lead_id=lead_id)
    large = bulk_team(db, now, name="Large", commitments=1000, lead_id=lead_id)
    with db.uow() as uow:
        tokens = {
            team: access.create_api_token(uow.session, team_id=team, label=f"t{team}", now=now)
            for team in (small, large)
        }
        uow.commit()
    browser = Browser(server.url)
    browser.sign_in(sign_in_url(desk, as_=LEAD, base=server.url))
    counter = StatementCounter(db)
    paths = [
        "/",
        "/commitments",
        "/commitments?status=all&page=3",
        "/commitments?owner=Small+3",
        "/decisions",
        "/risks?status=all",
        "/ownership",
        "/records/C-7",
        "/records/D-2",
        "/commitments.csv?status=overdue",
    ]
    api = [
        "/commitments",
        "/commitments?status=done&per_page=200",
        "/decisions",
        "/risks",
        "/people",
        "/ownership",
        "/weeks/2026-W46",
    ]

    def statements(team: int) -> dict[str, int]:
        counts = {}
        for path in paths:
            page = path.replace("Small", "Small" if team == small else "Large")

            def fetch(page: str = page) -> None:
                response = browser.get(f"/web/teams/{team}{page}")
                assert response.status_code == 200, (page, response.text[:300])

            counts[path] = counter.around(fetch)
        for path in api:

            def call(path: str = path) -> None:
                response = browser.http.get(
                    f"{server.url}/api/v1/teams/{team}{path}",
                    headers={"Authorization": f"Bearer {tokens[team]}"},
                    timeout=10,
                )
                assert response.status_code == 200, (path, response.text[:300])

            counts["api" + path] = counter.around(call)
        return counts

    statements(small)  # warm up: caches and pooled connections
    statements(large)
    at_100, at_1000 = statements(small), statements(large)
    assert at_100 == at_1000
    assert max(at_100.values()) <= 40, at_100
