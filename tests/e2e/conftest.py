"""The real server (``bot.bootstrap`` from real settings) against loopback fakes of the far
side: a fake Slack Web API and a fake Bot Connector, all served by one background loop per
test (``tests.background``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.settings import Settings, TeamsSettings
from storage.database import Database
from tests.background import BackgroundLoop, Server
from tests.clocks import ServerTime
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
def server_time(background: BackgroundLoop) -> ServerTime:
    """The clock of the servers below (the wall clock until a test moves it:
    ``server_time.later(5)``), and ``settle()``."""
    return ServerTime(background)


@pytest.fixture
def connector(background: BackgroundLoop) -> FakeBotConnector:
    fake = FakeBotConnector()
    fake.serve(background)
    return fake


@pytest.fixture
def make_server(
    db: Database, connector: FakeBotConnector, background: BackgroundLoop, server_time: ServerTime
) -> Callable[..., Server]:
    """Start the real server on loopback; ``teams`` and the outbox tick vary."""

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
        return server_time.serve(settings, db)

    return make


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server()


@pytest.fixture
def slack(db: Database, background: BackgroundLoop, server_time: ServerTime) -> SlackDriver:
    fake = FakeSlackApi().serve(background)
    fake.add_user("U1", name="Alex Morgan", email="alex@council.example")
    fake.add_user("U2", name="Sam Jones", email="sam.jones@health.example")
    fake.add_user("U3", name="Priya Shah", email="priya@police.example")
    return serve_slack(server_time, db, fake)
