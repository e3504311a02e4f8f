"""Slash commands through the real server: signed form posts in, Web API calls out."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from commands.dates import parse_when
from storage.models import Commitment, Decision, Person, PlatformIdentity
from tests.e2e.slack_harness import SlackDriver
from tests.support import Desk


def create_team(slack: SlackDriver) -> None:
    answer = slack.ask("/joinedup", "team create Rough Sleeping")
    assert answer["response_type"] == "in_channel"


def count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    return Desk(db, dt.datetime.now(dt.UTC), team=None).count(model, *where)


def test_a_decision_is_committed_before_its_answer_which_is_for_the_channel(slack, db):
    create_team(slack)

    post = slack.ask("/decision", "Pool the data budget because both teams need the same extract")

    # The answer travels in the acknowledgement, which comes only after the commit.
    assert count(db, Decision) == 1
    assert post["response_type"] == "in_channel"
    assert post["text"].startswith("D-1 logged by Alex Morgan")
    assert any("D-1 logged by Alex Morgan" in str(b) for b in post["blocks"])
    assert count(db, Decision) == 1
    (decision,) = Desk(db, dt.datetime.now(dt.UTC), team=None).rows(Decision)
    assert decision.text == "Pool the data budget"
    assert decision.rationale == "both teams need the same extract"
    assert decision.source_platform == "slack"


def test_a_commitment_to_a_mentioned_person_by_friday_gets_that_owner_and_date(slack, db):
    create_team(slack)

    post = slack.ask("/commit", "<@U2|sam> Send the DPIA draft by Friday")

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
    answer = slack.ask("/decision", "Pool the data budget", channel="C9")

    assert answer["response_type"] == "ephemeral"
    assert "team create" in answer["text"]
    slack.settle()
    assert slack.fake.calls_to("chat.postMessage") == []
    assert count(db, Decision) == 0


def test_help_and_errors_are_ephemeral_to_the_person_who_asked(slack, db):
    create_team(slack)

    answer = slack.ask("/joinedup", "frobnicate C-1", user="U3")
    help_answer = slack.ask("/joinedup", "help", user="U3")

    assert answer["response_type"] == help_answer["response_type"] == "ephemeral"
    assert 'I don\'t know the command "frobnicate"' in answer["text"]
    slack.settle()
    assert slack.fake.calls_to("chat.postMessage") == []


def test_owner_asks_who_owns_a_topic(slack, db):
    create_team(slack)
    slack.ask("/joinedup", "owns DPIA <@U2|sam> accountable")

    answer = slack.ask("/owner", "DPIA")

    assert answer["response_type"] == "ephemeral"
    assert 'Who owns "DPIA"' in answer["text"]
    assert "Sam Jones" in answer["text"]
