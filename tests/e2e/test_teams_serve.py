"""`joinedup serve` as a new user runs it: anonymous Teams, one message, one card back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select

from storage.database import Database
from storage.models import Commitment
from tests.e2e.teams_support import channel_message, fixture, post
from tests.fakes.bot_connector import FakeBotConnector

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_joinedup_serve_runs_anonymously_and_answers_a_teams_message_with_one_card(
    db: Database, connector: FakeBotConnector, tmp_path: Path
) -> None:
    port = _free_port()
    log = (tmp_path / "serve.log").open("w+")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "JOINEDUP_DATABASE_URL": db.url,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
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
    log.seek(0)
    assert "Teams: anonymous mode" in log.read()
