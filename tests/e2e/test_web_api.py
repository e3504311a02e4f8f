"""The JSON API over real HTTP: bearer tokens from `joinedup token`, filters, pages, weeks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests

from bot.server import build_app
from bot.settings import Settings
from integrations.web.api import API_KEY
from integrations.web.app import WEB_KEY
from storage import access
from storage.database import Database
from storage.models import ApiToken
from tests.background import Server, serving
from tests.support import run_joinedup
from tests.web_support import seed_team


@pytest.fixture
def api(db: Database, now: dt.datetime) -> Iterator[Server]:
    app = build_app(Settings(database_url=db.url, outbox_tick_seconds=3600.0), db)
    app[WEB_KEY].clock = lambda: now
    app[API_KEY].clock = lambda: now
    with serving(app) as server:
        yield server


def token_for(db: Database, team_id: int, label: str, now: dt.datetime) -> str:
    with db.uow() as uow:
        secret = access.create_api_token(uow.session, team_id=team_id, label=label, now=now)
        uow.commit()
    return secret


def get(server: Server, path: str, token: str | None, **params: str):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(server.url + path, headers=headers, params=params, timeout=10)


def test_no_token_or_a_wrong_one_is_401_and_another_teams_token_is_404(db, now, api):
    seed_team(db, now)
    seed_team(db, now, team="Hospital Discharge", channel_id="C-HD")
    theirs = token_for(db, 2, "hd", now)
    assert get(api, "/api/v1/teams/1/commitments", None).status_code == 401
    wrong = get(api, "/api/v1/teams/1/commitments", "jdu_not-a-token")
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert get(api, "/api/v1/teams/1/commitments", theirs).status_code == 404
    assert get(api, "/api/v1/teams/2/commitments", theirs).status_code == 200
    assert [t["name"] for t in get(api, "/api/v1/teams", theirs).json()["items"]] == [
        "Hospital Discharge"
    ]


def test_lists_filter_and_page_like_the_pages(db, now, api):
    seed_team(db, now)
    token = token_for(db, 1, "rs", now)
    body = get(api, "/api/v1/teams/1/commitments", token, per_page="2").json()
    assert body["total"] == 4 and body["pages"] == 2
    assert [c["ref"] for c in body["items"]] == ["C-1", "C-2"]
    assert body["items"][0]["days_overdue"] == 17
    second = get(api, "/api/v1/teams/1/commitments", token, per_page="2", page="2").json()
    assert [c["ref"] for c in second["items"]] == ["C-3", "C-4"]
    done = get(api, "/api/v1/teams/1/commitments", token, status="done").json()["items"]
    assert {c["ref"]: c["days_late"] for c in done} == {"C-5": 10, "C-6": 0}
    health = get(api, "/api/v1/teams/1/commitments", token, department="health").json()
    assert [c["ref"] for c in health["items"]] == ["C-1", "C-3"]
    decisions = get(api, "/api/v1/teams/1/decisions", token).json()["items"]
    assert {d["ref"]: d["superseded_by"] for d in decisions}["D-1"] == "D-2"
    risks = get(api, "/api/v1/teams/1/risks", token, status="all").json()["items"]
    assert [(r["ref"], r["rating"], r["status"]) for r in risks] == [
        ("R-1", "red", "open"),
        ("R-2", "amber", "open"),
        ("R-3", "red", "closed"),
    ]
    ownership = get(api, "/api/v1/teams/1/ownership", token).json()["items"]
    assert [(a["area"], a["responsible"], a["accountable"]) for a in ownership] == [
        ("data sharing", "Sam Jones", "Alex")
    ]
    people = get(api, "/api/v1/teams/1/people", token).json()["items"]
    assert sum(p["overdue_commitments"] for p in people) == 2
    bad = get(api, "/api/v1/teams/1/commitments", token, per_page="5000")
    assert bad.status_code == 400 and "per_page" in bad.json()["error"]


def test_weekly_figures_for_any_iso_week_match_the_summary(db, now, api):
    desk = seed_team(db, now)
    token = token_for(db, 1, "rs", now)
    week = get(api, "/api/v1/teams/1/weeks/2026-W47", token).json()
    summary = desk.say("summary this week")
    assert week["figures"]["overdue"] == summary.data["overdue"] == 2
    assert week["figures"]["completed"] == summary.data["completed"]
    assert week["starts"] == "2026-11-16"
    assert get(api, "/api/v1/teams/1/weeks/2026-W60", token).status_code == 400
    assert get(api, "/api/v1/teams/1/weeks/2025-W53", token).status_code == 404
    assert get(api, "/api/v1/teams/1/weeks/nonsense", token).status_code == 400


def test_token_create_prints_it_once_and_revoke_stops_it(db, now, api):
    seed_team(db, now)
    created = run_joinedup(
        "token", "create", "--team", "rough sleeping", "--label", "board", db_url=db.url
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    with db.uow() as uow:
        stored = uow.session.query(ApiToken).one()
        assert stored.token_hash != secret and secret not in stored.token_hash
    assert get(api, "/api/v1/teams/1", secret).json()["name"] == "Rough Sleeping"
    listed = run_joinedup("token", "list", db_url=db.url)
    assert "board\tRough Sleeping" in listed.stdout and secret not in listed.stdout
    duplicate = run_joinedup(
        "token", "create", "--team", "Rough Sleeping", "--label", "board", db_url=db.url
    )
    assert duplicate.returncode == 2 and "exists already" in duplicate.stderr
    nowhere = run_joinedup("token", "create", "--team", "Nope", "--label", "x", db_url=db.url)
    assert nowhere.returncode == 2 and "no team" in nowhere.stderr
    revoked = run_joinedup("token", "revoke", "board", db_url=db.url)
    assert revoked.returncode == 0
    assert get(api, "/api/v1/teams/1", secret).status_code == 401
    assert "revoked" in run_joinedup("token", "list", db_url=db.url).stdout
