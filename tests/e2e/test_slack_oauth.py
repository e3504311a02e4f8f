"""OAuth mode: install a workspace through /slack/install and /slack/oauth_redirect, then
that workspace's requests are answered with its own token (stored in our database)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from sqlalchemy import text

from bot.server import build_app
from bot.settings import load_settings
from storage.database import Database
from tests.background import BackgroundLoop
from tests.e2e.slack_harness import SIGNING_SECRET, SlackDriver
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def oauth_slack(db: Database, background: BackgroundLoop) -> SlackDriver:
    fake = FakeSlackApi().serve(background)
    fake.add_user("U1", name="Alex Morgan", email="alex@council.example")
    settings = load_settings(
        {
            "SLACK_CLIENT_ID": "1111.2222",
            "SLACK_CLIENT_SECRET": "client-secret",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "JOINEDUP_SLACK_API_URL": f"{fake.base_url}/api/",
        }
    )
    return SlackDriver(background.serve(build_app(settings, db)).url, fake)


def get(url: str, *, cookie: str | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def test_an_installed_workspace_is_answered_with_its_own_token(oauth_slack, db):
    status, page, headers = get(oauth_slack.url + "/slack/install")
    assert status == 200
    state = re.search(r"state=([0-9a-f-]+)", page)
    assert state, page
    cookie = headers["Set-Cookie"].split(";", 1)[0]

    status, _, _ = get(
        f"{oauth_slack.url}/slack/oauth_redirect?code=abc&state={state.group(1)}", cookie=cookie
    )

    assert status == 200
    with db.engine.connect() as conn:
        saved = conn.execute(text("SELECT team_id, bot_token FROM slack_bots")).all()
    assert [tuple(row) for row in saved] == [("T1", "xoxb-installed-abc")]

    created = oauth_slack.ask("/joinedup", "team create Rough Sleeping")
    assert created["text"].startswith("Team Rough Sleeping created")
    # The person was looked up with the workspace's own token.
    (lookup,) = oauth_slack.fake.wait_for("users.info")
    assert lookup.token == "xoxb-installed-abc"


def test_a_workspace_that_never_installed_the_app_is_not_answered(oauth_slack, db):
    status, _ = oauth_slack.command("/joinedup", "team create Rough Sleeping")

    assert status == 200  # bolt answers Slack; nothing is done without a token
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM teams")).scalar() == 0
