"""`joinedup serve` as a user runs it: a process, environment variables, signed requests."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import yaml

from tests.background import ROOT, BackgroundLoop, free_port, serve_process
from tests.e2e.slack_harness import BOT_TOKEN, SIGNING_SECRET, SlackDriver
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def fake(background: BackgroundLoop) -> FakeSlackApi:
    api = FakeSlackApi().serve(background)
    api.add_user("U1", name="Alex Morgan", email="alex@council.example")
    api.add_user("U2", name="Sam Jones", email="sam.jones@health.example")
    return api


def test_serve_answers_signed_slash_commands_against_the_fake_web_api(tmp_path, fake):
    port = free_port()
    log = tmp_path / "serve.log"
    process = serve_process(
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
        slack.ask("/joinedup", "team create Rough Sleeping")
        # Each answer comes after its commit, in the acknowledgement.
        answer = slack.ask("/commit", "<@U2|sam> Send the DPIA draft by Friday")
        assert answer["text"].startswith("C-1 logged by Alex Morgan")
        assert slack.post("{}", content_type="application/json", signature="v0=forged")[0] == 401
    finally:
        process.terminate()
        process.wait(10)
    assert "Slack: configured at POST /slack/events (one workspace, bot token" in log.read_text()


def test_serve_starts_without_slack_settings_and_says_why(tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    process = serve_process({"JOINEDUP_DATABASE_URL": f"sqlite:///{tmp_path / 'j.db'}"}, port, log)
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
