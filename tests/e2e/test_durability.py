"""A 2xx means the record is committed: `joinedup serve` as a process under concurrent signed
commands, killed (SIGKILL) or stopped (SIGTERM) mid-load, then restarted. Every command that
was acknowledged as saved is in the database exactly once; every busy answer saved nothing."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.admission import BUSY_TEXT
from storage.database import Database
from storage.models import Decision
from tests.background import BackgroundLoop, free_port, serve_process
from tests.e2e.slack_harness import SlackDriver, sign, slack_env
from tests.e2e.teams_support import channel_message
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi

CLIENTS = 12


@dataclass
class Load:
    """Clients sending numbered commands until stopped; what each answer said."""

    send: Callable[[http.client.HTTPConnection, int], str]
    port: int
    saved: set[int] = field(default_factory=set)  # acknowledged as committed
    busy: set[int] = field(default_factory=set)  # answered "busy, nothing was saved"
    unanswered: set[int] = field(default_factory=set)  # no answer (connection dropped)
    refused: int = 0  # 503 while stopping
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        for _ in range(CLIENTS):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _number(self) -> int:
        with self._lock:
            self._next += 1
            return self._next

    def _client(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self._stop.is_set():
            n = self._number()
            try:
                outcome = self.send(conn, n)
            except (OSError, http.client.HTTPException):
                outcome = "unanswered"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                time.sleep(0.05)
            with self._lock:
                if outcome == "saved":
                    self.saved.add(n)
                elif outcome == "busy":
                    self.busy.add(n)
                elif outcome == "refused":
                    self.refused += 1
                else:
                    self.unanswered.add(n)
        conn.close()


def decision_numbers(db: Database) -> list[int]:
    """The number of every logged decision ("Decision 17" -> 17), duplicates included."""
    with db.uow() as uow:
        texts = uow.session.scalars(select(Decision.text)).all()
    return sorted(int(t.split()[-1]) for t in texts if t.startswith("Decision "))


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not check():
        time.sleep(0.05)


def assert_nothing_acknowledged_was_lost_or_doubled(load: Load, db: Database) -> None:
    logged = decision_numbers(db)
    assert len(logged) == len(set(logged)), "a command was logged twice"
    assert load.saved, "the load never got an answer"
    lost = load.saved - set(logged)
    assert not lost, f"{len(lost)} acknowledged commands are not in the database"
    assert not (load.busy & set(logged)), "a command answered 'busy' was saved"


# --- Slack ------------------------------------------------------------------------------------


@pytest.fixture
def fake_slack(background: BackgroundLoop) -> FakeSlackApi:
    api = FakeSlackApi().serve(background)
    api.add_user("U1", name="Alex Morgan", email="alex@council.example")
    return api


def slash_decision(driver: SlackDriver) -> Callable[[http.client.HTTPConnection, int], str]:
    def send(conn: http.client.HTTPConnection, n: int) -> str:
        body = driver.command_body("/decision", f"Decision {n}")
        ts = int(time.time())
        conn.request(
            "POST",
            "/slack/events",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": sign(body, timestamp=ts),
            },
        )
        response = conn.getresponse()
        raw = response.read()
        if response.status == 503:
            return "refused"
        assert response.status == 200, (response.status, raw[:200])
        answer = json.loads(raw)
        if answer.get("text") == BUSY_TEXT:
            assert answer["response_type"] == "ephemeral"
            return "busy"
        assert " logged by " in answer["text"], answer["text"]
        return "saved"

    return send


def start_slack(
    database_url: str, fake: FakeSlackApi, tmp_path: Path, **extra: str
) -> tuple[subprocess.Popen[bytes], SlackDriver]:
    port = free_port()
    process = serve_process(slack_env(database_url, fake, **extra), port, tmp_path / "serve.log")
    return process, SlackDriver(f"http://127.0.0.1:{port}", fake)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_every_slash_command_answered_as_saved_survives_the_server_being_stopped_mid_load(
    database_url: str, fake_slack: FakeSlackApi, tmp_path: Path, how: signal.Signals
) -> None:
    process, driver = start_slack(database_url, fake_slack, tmp_path)
    try:
        driver.ask("/joinedup", "team create Rough Sleeping")
        load = Load(slash_decision(driver), port=int(driver.url.rsplit(":", 1)[1])).start()
        wait_until(lambda: len(load.saved) >= 60)
        process.send_signal(how)
        process.wait(40)
        load.stop()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)

    if how == signal.SIGTERM:
        assert process.returncode == 0, (tmp_path / "serve.log").read_text()[-3000:]
    # Restarted on the same database: it serves again, and the log is exactly what was
    # acknowledged.
    process, driver = start_slack(database_url, fake_slack, tmp_path)
    try:
        assert "D-" in driver.ask("/decision", "One more after the restart")["text"]
    finally:
        process.terminate()
        process.wait(30)
    db = Database(database_url, migrate=False)
    try:
        assert_nothing_acknowledged_was_lost_or_doubled(load, db)
    finally:
        db.dispose()


def test_past_the_in_flight_bound_a_slash_command_is_told_at_once_that_nothing_was_saved(
    database_url: str, fake_slack: FakeSlackApi, tmp_path: Path
) -> None:
    process, driver = start_slack(database_url, fake_slack, tmp_path, JOINEDUP_MAX_IN_FLIGHT="1")
    try:
        driver.ask("/joinedup", "team create Rough Sleeping")
        load = Load(slash_decision(driver), port=int(driver.url.rsplit(":", 1)[1])).start()
        wait_until(lambda: len(load.saved) >= 30 and len(load.busy) >= 30, timeout=20)
        load.stop()
        # An event past the bound gets a status that makes Slack retry it.
        events = [
            driver.event(
                {
                    "type": "app_mention",
                    "user": "U1",
                    "text": "<@UBOT> help",
                    "channel": "C1",
                    "ts": f"1763460100.{i:06d}",
                },
                event_id=f"Ev{i}",
            )[0]
            for i in range(3)
        ]
    finally:
        process.terminate()
        process.wait(30)

    assert load.busy and load.saved
    assert set(events) <= {200, 503}
    db = Database(database_url, migrate=False)
    try:
        assert_nothing_acknowledged_was_lost_or_doubled(load, db)
    finally:
        db.dispose()


# --- Teams (anonymous mode, against the fake connector) --------------------------------------


def teams_decision(connector: FakeBotConnector) -> Callable[[http.client.HTTPConnection, int], str]:
    def send(conn: http.client.HTTPConnection, n: int) -> str:
        activity = channel_message(f"decision Decision {n}", service_url=connector.url)
        activity["id"] = str(9_000_000_000_000 + n)  # Teams' message ids are numbers
        activity["conversation"]["id"] = f"19:general@thread.tacv2;messageid={activity['id']}"
        conn.request(
            "POST",
            "/api/messages",
            body=json.dumps(activity),
            headers={"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        if response.status == 503:
            return "busy"
        assert response.status == 201, response.status
        return "saved"

    return send


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_every_teams_activity_acknowledged_survives_the_server_being_stopped_mid_load(
    database_url: str, connector: FakeBotConnector, tmp_path: Path, how: signal.Signals
) -> None:
    port = free_port()
    env = {"JOINEDUP_DATABASE_URL": database_url, "JOINEDUP_SCHEDULER": "off"}
    log = tmp_path / "serve.log"
    # No --host and no MICROSOFT_APP_ID: anonymous mode listens on loopback alone.
    process = serve_process(env, port, log, host=None)
    try:
        create = channel_message("team create Rough Sleeping", service_url=connector.url)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST", "/api/messages", json.dumps(create), {"Content-Type": "application/json"}
        )
        assert conn.getresponse().status == 201
        conn.close()
        load = Load(teams_decision(connector), port=port).start()
        wait_until(lambda: len(load.saved) >= 40, timeout=20)
        process.send_signal(how)
        process.wait(40)
        load.stop()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)

    assert "listening on 127.0.0.1 only" in log.read_text()
    if how == signal.SIGTERM:
        assert process.returncode == 0, log.read_text()[-3000:]
    db = Database(database_url, migrate=False)
    try:
        assert_nothing_acknowledged_was_lost_or_doubled(load, db)
        # Delivered again after the restart (Teams redelivers what got no answer, and may
        # redeliver what did): written once.
        process = serve_process(env, port, log, host=None)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            send = teams_decision(connector)
            for n in sorted(load.saved)[:5] + sorted(load.unanswered)[:5]:
                assert send(conn, n) == "saved"
            conn.close()
        finally:
            process.terminate()
            process.wait(30)
        logged = decision_numbers(db)
        assert len(logged) == len(set(logged))
        assert set(sorted(load.unanswered)[:5]) <= set(logged)
    finally:
        db.dispose()


def test_anonymous_teams_mode_listens_where_joinedup_host_says_when_it_is_given(
    tmp_path: Path,
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        "JOINEDUP_DATABASE_URL": f"sqlite:///{tmp_path / 'j.db'}",
        "JOINEDUP_SCHEDULER": "off",
        "JOINEDUP_HOST": "127.0.0.1",
    }
    process = serve_process(env, port, log, host=None)
    process.terminate()
    process.wait(30)
    text = log.read_text()
    assert "as JOINEDUP_HOST asks" in text and "listening on 127.0.0.1 only" not in text
    assert process.returncode == 0
