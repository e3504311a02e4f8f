"""`joinedup serve` as a user runs it: a process, environment variables, signed requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.slack_harness import BOT_TOKEN, SIGNING_SECRET, BackgroundLoop, SlackDriver
from tests.fakes.slack_api import FakeSlackApi

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(log.read_text())


@pytest.fixture
def fake() -> Iterator[FakeSlackApi]:
    api = FakeSlackApi()
    api.add_user("U1", name="Alex Morgan", email="alex@council.example")
    api.add_user("U2", name="Sam Jones", email="sam.jones@health.example")
    loop = BackgroundLoop()
    api.base_url = f"http://127.0.0.1:{loop.serve(api.app())}"
    try:
        yield api
    finally:
        loop.close()


def test_serve_answers_signed_slash_commands_against_the_fake_web_api(tmp_path, fake):
    port = free_port()
    log = tmp_path / "serve.log"
    process = serve(
        {
            "JOINEDUP_DATABASE_URL": f"sqlite:///{tmp_path / 'joinedup.db'}",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "JOINEDUP_SLACK_API_URL": f"{fake.base_url}/api/",
        },
        port,
        log,
    )
    try:
        slack = SlackDriver(f"http://127.0.0.1:{port}", fake)
        assert slack.command("/joinedup", "team create Rough Sleeping")[0] == 200
        # Both commands are acknowledged at once and worked on after the ack; wait for the
        # team to exist, as a person would see its message before typing the next command.
        fake.wait_for("chat.postMessage", 1)
        assert slack.command("/commit", "<@U2|sam> Send the DPIA draft by Friday")[0] == 200
        posts = fake.wait_for("chat.postMessage", 2)
        assert posts[1].params["text"].startswith("C-1 logged by Alex Morgan")
        assert slack.post("{}", content_type="application/json", signature="v0=forged")[0] == 401
    finally:
        process.terminate()
        process.wait(10)
    assert "Slack: configured at POST /slack/events (one workspace, bot token" in log.read_text()


def test_serve_starts_without_slack_settings_and_says_why(tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    process = serve({"JOINEDUP_DATABASE_URL": f"sqlite:///{tmp_path / 'j.db'}"}, port, log)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", method="POST")
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(request, timeout=5)
        assert missing.value.code in (404, 405)
    finally:
        process.terminate()
        process.wait(10)
    assert "Slack: not configured (SLACK_SIGNING_SECRET is not set)" in log.read_text()


def test_the_manifest_names_our_urls_commands_shortcuts_and_events():
    out = subprocess.run(
        [sys.executable, "-m", "bot", "manifest", "slack", "--url", "https://host.example/"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    manifest = yaml.safe_load(out)
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == "https://host.example/slack/events"
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": "https://host.example/slack/events",
    }
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.channels",
        "message.groups",
        "message.im",
        "reaction_added",
        "app_home_opened",
        "app_mention",
    }
    features = manifest["features"]
    assert [c["command"] for c in features["slash_commands"]] == [
        "/joinedup",
        "/decision",
        "/commit",
        "/owner",
        "/summary",
    ]
    assert {s["callback_id"] for s in features["shortcuts"]} == {"log_decision", "log_commitment"}
    assert features["app_home"]["home_tab_enabled"] is True
    assert "chat:write" in manifest["oauth_config"]["scopes"]["bot"]
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://host.example/slack/oauth_redirect"
    ]
