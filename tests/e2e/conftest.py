"""The real server (``build_app`` from real settings) against loopback fakes of the far
side: a fake Slack Web API and a fake Bot Connector."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.server import build_app
from bot.settings import Settings, TeamsSettings, load_settings
from storage.database import Database
from tests.e2e.slack_harness import BOT_TOKEN, SIGNING_SECRET, BackgroundLoop, SlackDriver
from tests.fakes.background import BackgroundServer
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector() as fake:
        yield fake


@pytest.fixture
def make_server(
    db: Database, connector: FakeBotConnector
) -> Iterator[Callable[..., BackgroundServer]]:
    """Start the real server (build_app) on loopback; ``teams`` and the outbox tick vary.
    It depends on ``connector`` so that the server stops first: a server still sending to a
    connector that is gone would retry until its shutdown times out."""
    started: list[BackgroundServer] = []

    def make(
        *,
        teams: TeamsSettings | None = None,
        outbox_tick: float = 3600.0,
        public_url: str | None = None,
    ):
        settings = Settings(
            database_url=db.url,
            teams=teams or TeamsSettings(),
            outbox_tick_seconds=outbox_tick,
            public_url=public_url,
        )
        server = BackgroundServer(build_app(settings, db)).__enter__()
        started.append(server)
        return server

    yield make
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def server(make_server: Callable[..., BackgroundServer]) -> BackgroundServer:
    return make_server()


@pytest.fixture
def slack(db: Database) -> Iterator[SlackDriver]:
    fake = FakeSlackApi()
    fake.add_user("U1", name="Alex Morgan", email="alex@council.example")
    fake.add_user("U2", name="Sam Jones", email="sam.jones@health.example")
    fake.add_user("U3", name="Priya Shah", email="priya@police.example")
    loop = BackgroundLoop()
    try:
        fake.base_url = f"http://127.0.0.1:{loop.serve(fake.app())}"
        settings = load_settings(
            {
                "JOINEDUP_DATABASE_URL": db.url,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "JOINEDUP_SLACK_API_URL": f"{fake.base_url}/api/",
                # No reminder sweeps on the wall clock behind a test's back.
                "JOINEDUP_SCHEDULER": "off",
            }
        )
        port = loop.serve(build_app(settings, db))
        yield SlackDriver(f"http://127.0.0.1:{port}", fake)
    finally:
        loop.close()
