"""One server, both platforms: a team created in a Slack channel and joined from a Teams
channel keeps one joint log. What is logged on one side is announced on the other, once,
with the same number, also when the first delivery attempt fails.

Everything goes through the real server (``build_app`` from real settings) over HTTP:
signed slash commands in, Bot Framework activities in; the far sides are the fake Slack
Web API and the fake Bot Connector on loopback, which record what the bot sent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from storage.database import Database
from tests.background import BackgroundLoop
from tests.clocks import ServerTime
from tests.e2e.slack_harness import BOT_TOKEN, SlackDriver, serve_slack
from tests.e2e.teams_support import CHANNEL, card_action, channel_message, fixture, post
from tests.fakes.bot_connector import FakeBotConnector, Sent
from tests.fakes.slack_api import Call, FakeSlackApi

SLACK_CHANNEL = "C1"  # the slash command fixture's channel
SAM = {"id": "29:1sam", "name": "Sam Okafor", "aadObjectId": "aad-sam"}  # on Teams
WAIT = 10.0  # the most any wait below may take; each returns as soon as it sees its answer


def wait_until(found: Callable[[], Any], *, what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Joint:
    """The two channels of one team, and what each platform received."""

    slack: SlackDriver
    connector: FakeBotConnector
    url: str
    time: ServerTime
    code: str = ""

    def settle(self) -> None:
        """Everything due now delivered: a duplicate would be there to count."""
        self.time.settle()

    # --- Slack ---------------------------------------------------------------------------

    def slash(self, command: str, text: str) -> dict[str, Any]:
        """The command's answer, which rides in the acknowledgement."""
        return self.slack.ask(command, text, channel=SLACK_CHANNEL)

    def slack_posts(self, containing: str) -> list[Call]:
        return [
            c
            for c in self.slack.fake.calls_to("chat.postMessage")
            if c.params.get("channel") == SLACK_CHANNEL and containing in c.params["text"]
        ]

    def slack_failures(self, containing: str) -> list[Call]:
        return [
            c
            for c in self.slack.fake.calls_to("chat.postMessage", ok_only=False)
            if not c.ok and containing in c.params.get("text", "")
        ]

    # --- Teams ---------------------------------------------------------------------------

    def teams_says(self, text: str) -> None:
        status, _ = post(
            self.url, channel_message(text, service_url=self.connector.url, sender=SAM)
        )
        assert status == 201

    def teams_announcements(self, containing: str) -> list[Sent]:
        """Cards the bot posted by itself (proactively) into the Teams channel."""
        return [
            s
            for s in list(self.connector.sent)
            if s.kind == "send" and s.conversation_id == CHANNEL and containing in s.card_text
        ]

    def teams_replies(self, containing: str) -> list[Sent]:
        return [
            s for s in list(self.connector.sent) if s.kind == "reply" and containing in s.card_text
        ]


@pytest.fixture
def joint_server(
    db: Database, background: BackgroundLoop, connector: FakeBotConnector, server_time: ServerTime
) -> Callable[[], Joint]:
    """The real server with Slack (bot token, Web API at the fake) and anonymous Teams."""
    fake = FakeSlackApi().serve(background)
    fake.add_user("U1", name="Alex Morgan", email="alex@council.example")
    connector.add_member(
        SAM["id"], name="Sam Okafor", aad_object_id=SAM["aadObjectId"], email="sam@nhs.example"
    )
    driver = serve_slack(server_time, db, fake, JOINEDUP_OUTBOX_TICK="0.1")
    return lambda: Joint(driver, connector, driver.url, server_time)


@pytest.fixture
def joint(joint_server: Callable[[], Joint]) -> Joint:
    """A team created in Slack and joined from a Teams channel with a code from `team link`."""
    joint = joint_server()
    joint.slash("/joinedup", "team create Rough Sleeping")
    ephemeral = joint.slash("/joinedup", "team link")
    assert ephemeral["response_type"] == "ephemeral"
    found = re.search(r"Join code for Rough Sleeping: (\S+)", ephemeral["text"])
    assert found, ephemeral["text"]
    joint.code = found.group(1)

    post(joint.url, fixture("conversation_update_install", service_url=joint.connector.url))
    joint.teams_says(f"team join {joint.code}")

    assert wait_until(
        lambda: joint.teams_replies("This channel now shares Rough Sleeping's joint log"),
        what="the Teams channel's answer to team join",
    )
    assert wait_until(
        lambda: joint.slack_posts("A teams channel joined Rough Sleeping's joint log"),
        what="the join announced in Slack",
    )
    return joint


def test_a_decision_logged_in_slack_is_announced_once_in_teams_with_the_same_number(
    joint: Joint,
) -> None:
    answer = joint.slash("/decision", "Pool the data budget because both teams need the extract")

    [announced] = wait_until(
        lambda: joint.teams_announcements("D-1 logged by Alex Morgan"), what="D-1 in Teams"
    )
    joint.settle()

    assert len(joint.teams_announcements("D-1 logged by Alex Morgan")) == 1
    assert "Pool the data budget" in announced.card_text
    assert answer["text"].startswith("D-1 logged by Alex Morgan")  # Slack's own answer
    assert joint.slack_posts("D-1") == []  # it rode on the acknowledgement
    assert joint.teams_announcements("joined") == []  # Slack never tells Teams its own join


def test_a_commitment_logged_in_teams_reaches_the_slack_channel_once_and_closing_it_in_slack_reaches_teams_once(  # noqa: E501
    joint: Joint,
) -> None:
    joint.teams_says("commit me Send the DPIA draft by Friday")

    [announced] = wait_until(
        lambda: joint.slack_posts("C-1 logged by Sam Okafor"), what="C-1 in Slack"
    )
    joint.settle()
    assert len(joint.slack_posts("C-1 logged by Sam Okafor")) == 1
    assert "Send the DPIA draft" in announced.params["text"]
    assert announced.token == BOT_TOKEN
    assert joint.teams_replies("C-1 logged by Sam Okafor")  # Teams' own answer
    assert joint.teams_announcements("C-1") == []  # not announced back to its own platform

    done = joint.slash("/joinedup", "done C-1")

    wait_until(lambda: joint.teams_announcements("C-1 done (Alex Morgan)"), what="C-1 done")
    joint.settle()
    assert len(joint.teams_announcements("C-1 done (Alex Morgan)")) == 1
    assert done["text"].startswith("C-1 done (Alex Morgan)")  # Slack's own answer


def test_announcements_whose_first_delivery_fails_on_both_platforms_arrive_once_after_retry(
    joint: Joint, server_time: ServerTime
) -> None:
    sends_before = len(joint.connector.requests)
    joint.connector.fail_next(1, status=500)
    assert joint.slash("/decision", "Pool the data budget")["text"].startswith("D-1 logged")
    wait_until(
        lambda: len(joint.connector.requests) > sends_before, what="the refused Teams delivery"
    )
    assert joint.teams_announcements("D-1") == []

    joint.slack.fake.fail_next("chat.postMessage", error="internal_error")
    joint.teams_says("commit me Send the DPIA draft by Friday")
    wait_until(lambda: joint.slack_failures("C-1 logged"), what="the refused Slack delivery")

    # Announcements back off 5 s after a failure (storage.outbox.POLICIES), then go out.
    server_time.later(5)
    wait_until(lambda: joint.teams_announcements("D-1 logged by Alex Morgan"), what="D-1")
    wait_until(lambda: joint.slack_posts("C-1 logged by Sam Okafor"), what="C-1")
    joint.settle()

    assert len(joint.teams_announcements("D-1 logged by Alex Morgan")) == 1
    assert len(joint.slack_posts("C-1 logged by Sam Okafor")) == 1
    assert len(joint.slack_failures("C-1 logged")) == 1


def test_a_rate_limited_announcement_to_slack_waits_out_retry_after_and_arrives_once(
    joint: Joint, server_time: ServerTime
) -> None:
    joint.slack.fake.fail_next("chat.postMessage", status=429, retry_after=30)

    joint.teams_says("commit me Send the DPIA draft by Friday")

    joint.settle()
    server_time.later(20)  # past an announcement's back-off (5 s), not Retry-After's 30 s
    joint.settle()
    assert joint.slack_posts("C-1 logged by Sam Okafor") == []
    server_time.later(10)
    wait_until(lambda: joint.slack_posts("C-1 logged by Sam Okafor"), what="C-1 after the 429")
    joint.settle()
    assert len(joint.slack_posts("C-1 logged by Sam Okafor")) == 1
    limited = [c for c in joint.slack.fake.calls_to("chat.postMessage", ok_only=False) if not c.ok]
    assert [c.status for c in limited] == [429]


def test_done_clicked_on_the_slack_copy_of_a_teams_commitment_updates_it_and_tells_teams_once(
    joint: Joint,
) -> None:
    joint.teams_says("commit me Send the DPIA draft by Friday")
    [announced] = wait_until(lambda: joint.slack_posts("C-1 logged"), what="C-1 in Slack")
    click = joint.slack.button_payload(
        announced.params, label="Done", user="U1", ts="1763460000.000200", channel=SLACK_CHANNEL
    )

    status, _ = joint.slack.interaction(click)

    assert status == 200
    # In place, through the click's response_url.
    [updated] = joint.slack.fake.wait_for("response_url")
    assert updated.params["replace_original"] is True
    assert updated.params["text"].startswith("C-1 done (Alex Morgan)")
    wait_until(lambda: joint.teams_announcements("C-1 done (Alex Morgan)"), what="done in Teams")
    joint.settle()
    assert len(joint.teams_announcements("C-1 done (Alex Morgan)")) == 1


def test_an_owner_named_by_email_in_slack_closes_it_from_the_teams_card_and_slack_hears_once(
    joint: Joint,
) -> None:
    joint.teams_says("help")  # Sam has used the bot in Teams: the roster gave their email
    mine = joint.slash("/commit", "sam@nhs.example Send the DPIA draft by Friday")
    wait_until(lambda: joint.teams_announcements("C-1 logged by Alex Morgan"), what="C-1")
    assert "Sam Okafor" in mine["text"]  # the Teams person, not a new one by email

    status, _ = post(
        joint.url, card_action("done C-1", service_url=joint.connector.url, sender=SAM)
    )

    assert status == 200
    wait_until(lambda: joint.slack_posts("C-1 done (Sam Okafor)"), what="done in Slack")
    joint.settle()
    assert len(joint.slack_posts("C-1 done (Sam Okafor)")) == 1
