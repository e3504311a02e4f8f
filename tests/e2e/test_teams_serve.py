"""`joinedup serve` as a new user runs it: anonymous Teams, one message, one card back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.database import Database
from storage.models import Commitment
from tests.background import free_port, serve_process
from tests.e2e.teams_support import channel_message, fixture, post
from tests.fakes.bot_connector import FakeBotConnector


def test_joinedup_serve_runs_anonymously_and_answers_a_teams_message_with_one_card(
    db: Database, connector: FakeBotConnector, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    proc = serve_process({"JOINEDUP_DATABASE_URL": db.url}, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        post(base, channel_message("team create Rough Sleeping", service_url=connector.url))

        status, _ = post(base, fixture("channel_message_commit", service_url=connector.url))

        assert status == 201
        with db.uow() as uow:
            assert [c.text for c in uow.session.scalars(select(Commitment))] == ["send the DPIA"]
        cards = [s for s in connector.wait_for(2) if s.card is not None]
        assert len(cards) == 2
        assert "C-1 logged by Alex Council" in cards[1].card_text
    finally:
        proc.terminate()
        proc.wait(10)
    assert "Teams: anonymous mode" in log.read_text()
