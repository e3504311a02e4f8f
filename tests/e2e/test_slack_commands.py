"""Slash commands through the real server: signed form posts in, Web API calls out."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from commands.dates import parse_when
from storage.models import Commitment, Decision, Person, PlatformIdentity
from tests.e2e.slack_harness import SlackDriver
from tests.support import Desk


def settle() -> None:
    """Give the work after the acknowledgement time to (wrongly) do something more."""
    time.sleep(0.3)


def create_team(slack: SlackDriver) -> None:
    status, _ = slack.command("/joinedup", "team create Rough Sleeping")
    assert status == 200
    slack.fake.wait_for("chat.postMessage")


def count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    return Desk(db, dt.datetime.now(dt.UTC), team=None).count(model, *where)


def test_a_decision_writes_one_row_and_one_channel_message_naming_the_author(slack, db):
    create_team(slack)

    status, body = slack.command(
        "/decision", "Pool the data budget because both teams need the same extract"
    )

    assert (status, body) == (200, "")
    posts = slack.fake.wait_for("chat.postMessage", 2)
    settle()
    assert len(slack.fake.calls_to("chat.postMessage")) == 2
    post = posts[1].params
    assert post["channel"] == "C1"
    assert post["text"].startswith("D-1 logged by Alex Morgan")
    assert any("D-1 logged by Alex Morgan" in str(b) for b in post["blocks"])
    assert count(db, Decision) == 1
    (decision,) = Desk(db, dt.datetime.now(dt.UTC), team=None).rows(Decision)
    assert decision.text == "Pool the data budget"
    assert decision.rationale == "both teams need the same extract"
    assert decision.source_platform == "slack"


def test_a_commitment_to_a_mentioned_person_by_friday_gets_that_owner_and_date(slack, db):
    create_team(slack)

    status, _ = slack.command("/commit", "<@U2|sam> Send the DPIA draft by Friday")

    assert status == 200
    post = slack.fake.wait_for("chat.postMessage", 2)[1].params
    assert post["text"].startswith("C-1 logged by Alex Morgan")
    (c,) = Desk(db, dt.datetime.now(dt.UTC), team=None).rows(Commitment)
    today = dt.datetime.now(ZoneInfo("Europe/London")).date()
    assert c.due_date == parse_when("Friday", today=today)
    assert c.text == "Send the DPIA draft"
    owner = Desk(db, dt.datetime.now(dt.UTC), team=None).rows(Person, Person.id == c.owner_id)[0]
    assert (owner.display_name, owner.email) == ("Sam Jones", "sam.jones@health.example")
    assert count(db, PlatformIdentity, PlatformIdentity.user_id == "U2") == 1
    labels = [
        e["text"]["text"]
        for b in post["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]
    assert labels == ["Done", "Snooze 1 day", "Snooze 1 week"]


def test_an_unlinked_channel_is_told_how_to_start_a_team_privately(slack, db):
    status, _ = slack.command("/decision", "Pool the data budget", channel="C9")

    assert status == 200
    (ephemeral,) = slack.fake.wait_for("chat.postEphemeral")
    assert ephemeral.params["user"] == "U1"
    assert "team create" in ephemeral.params["text"]
    settle()
    assert slack.fake.calls_to("chat.postMessage") == []
    assert count(db, Decision) == 0


def test_help_and_errors_are_ephemeral_to_the_person_who_asked(slack, db):
    create_team(slack)

    slack.command("/joinedup", "frobnicate C-1", user="U3")

    (ephemeral,) = slack.fake.wait_for("chat.postEphemeral")
    assert ephemeral.params["user"] == "U3"
    assert 'I don\'t know the command "frobnicate"' in ephemeral.params["text"]
    assert len(slack.fake.calls_to("chat.postMessage")) == 1  # only the team creation


def test_owner_asks_who_owns_a_topic(slack, db):
    create_team(slack)
    slack.command("/joinedup", "owns DPIA <@U2|sam> accountable")
    slack.fake.wait_for("chat.postMessage", 2)

    slack.command("/owner", "DPIA")

    (answer,) = slack.fake.wait_for("chat.postEphemeral")
    assert 'Who owns "DPIA"' in answer.params["text"]
    assert "Sam Jones" in answer.params["text"]
