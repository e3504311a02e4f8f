from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.server import build_app
from bot.settings import Settings, TeamsSettings
from storage.database import Database
from tests.fakes.background import BackgroundServer
from tests.fakes.bot_connector import FakeBotConnector


@pytest.fixture
def connector() -> Iterator[FakeBotConnector]:
    with FakeBotConnector() as fake:
        yield fake


@pytest.fixture
def make_server(db: Database) -> Iterator[Callable[..., BackgroundServer]]:
    """Start the real server (build_app) on loopback; ``teams`` and the outbox tick vary."""
    started: list[BackgroundServer] = []

    def make(*, teams: TeamsSettings | None = None, outbox_tick: float = 3600.0):
        settings = Settings(
            database_url=db.url,
            teams=teams or TeamsSettings(),
            outbox_tick_seconds=outbox_tick,
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
