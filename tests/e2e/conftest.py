"""The real server (``build_app`` from real settings) against loopback fakes of the far
side: a fake Slack Web API and a fake Bot Connector, all served by one background loop per
test (``tests.background``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.server import build_app
from bot.settings import Settings, TeamsSettings
from storage.database import Database
from tests.background import BackgroundLoop, Server
from tests.e2e.slack_harness import SlackDriver, serve_slack
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def background() -> Iterator[BackgroundLoop]:
    """The test's background loop. Closing it stops the apps last-served first: the bot's
    server before the fakes it sends to (a server still sending to a fake that is gone would
    retry until its shutdown times out)."""
    with BackgroundLoop() as loop:
        yield loop


@pytest.fixture
def connector(background: BackgroundLoop) -> FakeBotConnector:
    fake = FakeBotConnector()
    fake.serve(background)
    return fake


@pytest.fixture
def make_server(
    db: Database, connector: FakeBotConnector, background: BackgroundLoop
) -> Callable[..., Server]:
    """Start the real server (build_app) on loopback; ``teams`` and the outbox tick vary."""

    def make(
        *,
        teams: TeamsSettings | None = None,
        outbox_tick: float = 3600.0,
        public_url: str | None = None,
    ) -> Server:
        settings = Settings(
            database_url=db.url,
            teams=teams or TeamsSettings(),
            outbox_tick_seconds=outbox_tick,
            public_url=public_url,
        )
        return background.serve(build_app(settings, db))

    return make


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server()


@pytest.fixture
def slack(db: Database, background: BackgroundLoop) -> SlackDriver:
    fake = FakeSlackApi().serve(background)
    fake.add_user("U1", name="Alex Morgan", email="alex@council.example")
    fake.add_user("U2", name="Sam Jones", email="sam.jones@health.example")
    fake.add_user("U3", name="Priya Shah", email="priya@police.example")
    return serve_slack(background, db, fake)
