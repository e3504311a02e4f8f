"""The real server (``build_app`` from real settings) against a fake Slack Web API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.server import build_app
from bot.settings import load_settings
from storage.database import Database
from tests.e2e.slack_harness import BOT_TOKEN, SIGNING_SECRET, BackgroundLoop, SlackDriver
from tests.fakes.slack_api import FakeSlackApi


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
            }
        )
        port = loop.serve(build_app(settings, db))
        yield SlackDriver(f"http://127.0.0.1:{port}", fake)
    finally:
        loop.close()
