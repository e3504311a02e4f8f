"""schemathesis against the running server: every response matches /api/v1/openapi.json.

One SQLite database (a seeded team), a real server on loopback and a real token; the
cases stay on the token's team (another team's 404 has its own test). Kept to a few
dozen examples per route so that the run stays well under a minute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from bot.server import build_app
from bot.settings import Settings
from integrations.web.api import API_KEY
from storage import access
from storage.database import Database
from tests.background import Server, serving
from tests.conftest import WEDNESDAY
from tests.web_support import seed_team

STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def running_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("openapi") / "joinedup.db"
    db = Database(f"sqlite:///{path}")
    seed_team(db, WEDNESDAY)
    with db.uow() as uow:
        STATE["token"] = access.create_api_token(
            uow.session, team_id=1, label="schemathesis", now=WEDNESDAY
        )
        uow.commit()
    app = build_app(Settings(database_url=db.url, outbox_tick_seconds=3600.0), db)
    app[API_KEY].clock = lambda: WEDNESDAY + dt.timedelta(days=1)
    try:
        with serving(app) as server:
            yield server
    finally:
        db.dispose()


def test_every_api_response_matches_the_openapi_document(running_api: Server):
    """Each operation's generated cases (hypothesis) are sent to the running server and their
    responses checked: no 5xx, status codes, content types and bodies as documented. (The
    schemathesis pytest plugin does not load under this pytest, so the loop is written out.)"""
    schema = schemathesis.openapi.from_url(f"{running_api.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {STATE['token']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case: Any) -> None:
            if case.path_parameters and "team_id" in case.path_parameters:
                case.path_parameters["team_id"] = 1
            case.call_and_validate(headers=headers)

        check()


def test_the_openapi_document_is_3_1_and_names_every_route(running_api: Server):
    import requests

    doc = requests.get(f"{running_api.url}/api/v1/openapi.json", timeout=10).json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {
        "/api/v1/teams",
        "/api/v1/teams/{team_id}",
        "/api/v1/teams/{team_id}/weeks/{week}",
        *(
            f"/api/v1/teams/{{team_id}}/{kind}"
            for kind in ("commitments", "decisions", "risks", "ownership", "people")
        ),
    }
