"""Drive the real server over HTTP as Slack does: signed requests, Slack-shaped bodies, and a
fake Slack Web API on loopback recording what the bot sent back."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bot.settings import load_settings
from storage.database import Database
from tests.clocks import ServerTime
from tests.fakes.slack_api import FakeSlackApi

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{name}.json").read_text()))


def sign(body: str, *, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_env(database_url: str, fake: FakeSlackApi, **extra: str) -> dict[str, str]:
    """The environment of a server in one workspace (a bot token) whose Slack Web API is
    ``fake``, with no reminder sweeps on the wall clock behind a test's back."""
    return {
        "JOINEDUP_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "JOINEDUP_SLACK_API_URL": f"{fake.base_url}/api/",
        "JOINEDUP_SCHEDULER": "off",
        **extra,
    }


def serve_slack(time: ServerTime, db: Database, fake: FakeSlackApi, **env: str) -> SlackDriver:
    """The real server (from ``slack_env``) on ``time``'s loop and clock, and its driver."""
    server = time.serve(load_settings(slack_env(db.url, fake, **env)), db)
    return SlackDriver(server.url, fake, time=time)


_TRIGGERS = [0]
_TRIGGER_LOCK = threading.Lock()


class SlackDriver:
    """Sends Slack's requests to the server at ``url``, signed with the signing secret."""

    def __init__(self, url: str, fake: FakeSlackApi, *, time: ServerTime | None = None) -> None:
        self.url = url
        self.fake = fake
        self.time = time

    def settle(self) -> None:
        """Let the work after the acknowledgement finish (and deliver what it queued), so
        that whatever it would (wrongly) do more is there to count."""
        assert self.time is not None, "a driver from serve_slack settles"
        self.time.settle()

    def post(
        self,
        body: str,
        *,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        path: str = "/slack/events",
    ) -> tuple[int, str]:
        ts = int(time.time()) if timestamp is None else timestamp
        request = urllib.request.Request(
            self.url + path,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": signature or sign(body, timestamp=ts),
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def _with_fake(self, payload: dict[str, Any]) -> dict[str, Any]:
        raw = json.dumps(payload).replace("{fake}", self.fake.base_url)
        return dict(json.loads(raw))

    def next_trigger(self) -> str:
        """A trigger id unique in this test process (across drivers, as Slack's are)."""
        with _TRIGGER_LOCK:
            _TRIGGERS[0] += 1
            return f"13345224609.738474920.{_TRIGGERS[0]:08d}"

    def command_body(
        self, command: str, text: str, *, user: str = "U1", channel: str = "C1", **extra: str
    ) -> str:
        form = self._with_fake(fixture("slash_command"))
        form.update(
            command=command,
            text=text,
            user_id=user,
            channel_id=channel,
            trigger_id=self.next_trigger(),
            **extra,
        )
        return urllib.parse.urlencode(form)

    def command(self, command: str, text: str, **kwargs: Any) -> tuple[int, str]:
        return self.post(
            self.command_body(command, text, **kwargs),
            content_type="application/x-www-form-urlencoded",
        )

    def ask(self, command: str, text: str, **kwargs: Any) -> dict[str, Any]:
        """Run a slash command and return its answer: the JSON body of the 200 (the reply
        rides in the acknowledgement; ``{}`` when there is none)."""
        status, body = self.command(command, text, **kwargs)
        assert status == 200, (status, body)
        return dict(json.loads(body)) if body else {}

    def event_body(self, event: dict[str, Any], *, event_id: str) -> str:
        wrapper = fixture("event_callback")
        wrapper["event"] = event
        wrapper["event_id"] = event_id
        return json.dumps(wrapper)

    def event(
        self, event: dict[str, Any], *, event_id: str, retry_num: int | None = None
    ) -> tuple[int, str]:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(
            self.event_body(event, event_id=event_id),
            content_type="application/json",
            headers=headers,
        )

    def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urllib.parse.urlencode({"payload": json.dumps(self._with_fake(payload))})
        return self.post(body, content_type="application/x-www-form-urlencoded")

    def button_payload(
        self, posted: dict[str, Any], *, label: str, user: str, ts: str, channel: str = "C1"
    ) -> dict[str, Any]:
        """A block_actions payload for clicking ``label`` on a message the bot posted."""
        payload = copy.deepcopy(fixture("block_actions"))
        blocks = posted["blocks"]
        action = next(
            e
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e.get("text", {}).get("text") == label
        )
        payload["user"] = {
            "id": user,
            "username": user.lower(),
            "name": user.lower(),
            "team_id": "T1",
        }
        payload["container"].update(message_ts=ts, channel_id=channel)
        payload["channel"]["id"] = channel
        payload["message"] = {"type": "message", "ts": ts, "text": posted["text"], "blocks": blocks}
        payload["actions"] = [dict(action, block_id="b1", action_ts=f"{time.time():.6f}")]
        return payload
