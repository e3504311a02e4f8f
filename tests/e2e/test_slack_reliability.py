"""Forged and stale requests, Slack's retries, duplicate reactions, suggestions, 429s."""

from __future__ import annotations

import datetime as dt
import time
import urllib.parse

from storage.models import Commitment, Decision, InboundEvent
from tests.e2e.slack_harness import fixture, sign
from tests.e2e.test_slack_commands import create_team
from tests.support import Desk


def count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    return Desk(db, dt.datetime.now(dt.UTC), team=None).count(model, *where)


def test_a_forged_signature_gets_401_and_writes_nothing(slack, db):
    create_team(slack)
    body = slack.command_body("/decision", "Spend the whole budget")
    ts = int(time.time())

    status, _ = slack.post(
        body,
        content_type="application/x-www-form-urlencoded",
        timestamp=ts,
        signature=sign(body, timestamp=ts, secret="not-the-signing-secret"),
    )

    assert status == 401
    slack.settle()
    assert count(db, Decision) == 0
    assert slack.fake.calls_to("chat.postMessage") == []


def test_a_body_changed_after_signing_gets_401(slack, db):
    create_team(slack)
    body = slack.command_body("/decision", "Pool the budget")
    ts = int(time.time())
    signature = sign(body, timestamp=ts)
    tampered = body.replace(urllib.parse.quote_plus("Pool"), urllib.parse.quote_plus("Drop"))

    status, _ = slack.post(
        tampered,
        content_type="application/x-www-form-urlencoded",
        timestamp=ts,
        signature=signature,
    )

    assert status == 401
    assert count(db, Decision) == 0


def test_a_stale_timestamp_gets_401_even_when_correctly_signed(slack, db):
    create_team(slack)
    body = slack.command_body("/decision", "Pool the budget")

    status, _ = slack.post(
        body,
        content_type="application/x-www-form-urlencoded",
        timestamp=int(time.time()) - 10 * 60,
    )

    assert status == 401
    slack.settle()
    assert count(db, Decision) == 0


def test_a_retry_storm_of_one_reaction_event_logs_one_decision_and_one_message(slack, db):
    create_team(slack)
    slack.fake.add_message(
        "C1", "1763460000.000100", text="We agreed to pool the data budget", user="U1"
    )
    event = fixture("reaction_added")

    answers = [slack.event(event, event_id="Ev0REACTION1", retry_num=n or None) for n in range(5)]

    assert [status for status, _ in answers] == [200] * 5
    slack.fake.wait_for("chat.postMessage")
    slack.settle()
    assert count(db, Decision) == 1
    assert len(slack.fake.calls_to("chat.postMessage")) == 1
    (decision,) = Desk(db, dt.datetime.now(dt.UTC), team=None).rows(Decision)
    assert decision.text == "We agreed to pool the data budget"
    assert decision.source_link == "https://joint.slack.com/archives/C1/p1763460000000100"
    reply = slack.fake.calls_to("chat.postMessage")[0].params
    assert reply["thread_ts"] == "1763460000.000100"


def test_a_second_person_adding_the_same_reaction_does_not_log_it_again(slack, db):
    create_team(slack)
    slack.fake.add_message(
        "C1", "1763460000.000100", text="I'll send the figures by Friday", user="U2"
    )
    event = dict(fixture("reaction_added"), reaction="ballot_box_with_check")

    slack.event(event, event_id="Ev0REACTION1")
    slack.fake.wait_for("chat.postMessage")
    slack.event(dict(event, user="U1"), event_id="Ev0REACTION2")
    slack.settle()

    assert count(db, Commitment) == 1
    (c,) = Desk(db, dt.datetime.now(dt.UTC), team=None).rows(Commitment)
    assert c.owner.display_name == "Sam Jones"  # the author of "I'll ..."
    assert c.due_date is not None


def test_a_reaction_the_team_has_not_chosen_logs_nothing(slack, db):
    create_team(slack)
    slack.fake.add_message("C1", "1763460000.000100", text="We agreed it", user="U1")

    slack.event(dict(fixture("reaction_added"), reaction="tada"), event_id="Ev0TADA")
    slack.settle()

    assert count(db, Decision) == 0


def test_a_message_that_reads_like_a_decision_gets_one_suggestion_whatever_the_retries(slack, db):
    create_team(slack)
    message = fixture("message")

    for n in range(3):
        slack.event(message, event_id="Ev0MESSAGE1", retry_num=n or None)

    (suggestion,) = slack.fake.wait_for("chat.postEphemeral")
    slack.settle()
    assert len(slack.fake.calls_to("chat.postEphemeral")) == 1
    assert suggestion.params["user"] == "U1"
    labels = [
        e["text"]["text"]
        for b in suggestion.params["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels == ["Log it", "Dismiss"]
    assert count(db, InboundEvent, InboundEvent.source == "slack-suggestion") == 1
    assert count(db, Decision) == 0


def test_no_suggestions_when_the_team_turned_them_off(slack, db):
    create_team(slack)
    slack.ask("/joinedup", "team set suggestions off")

    slack.event(fixture("message"), event_id="Ev0MESSAGE1")
    slack.settle()

    assert slack.fake.calls_to("chat.postEphemeral") == []


def test_a_rate_limited_reply_is_retried_after_retry_after_and_posted_once(slack, db, server_time):
    create_team(slack)
    slack.fake.fail_next("chat.postMessage", status=429, retry_after=30)
    mention = dict(fixture("app_mention"), text="<@UBOT> decision Pool the data budget")

    status, _ = slack.event(mention, event_id="Ev0MENTION429")

    assert status == 200
    assert count(db, Decision) == 1  # committed before the 200; the reply follows
    slack.settle()
    server_time.later(20)  # past the reply's back-off (5 s), not Retry-After's 30 s
    slack.settle()
    attempts = [c for c in slack.fake.calls if c.method == "chat.postMessage"]
    assert [c.status for c in attempts] == [429]
    server_time.later(10)
    slack.fake.wait_for("chat.postMessage")
    slack.settle()
    attempts = [c for c in slack.fake.calls if c.method == "chat.postMessage"]
    assert [c.status for c in attempts] == [429, 200]


def test_the_same_slash_command_delivered_twice_logs_once_and_answers_once(slack, db):
    create_team(slack)
    body = slack.command_body("/decision", "Pool the data budget")

    answers = [slack.post(body, content_type="application/x-www-form-urlencoded") for _ in "12"]

    assert [status for status, _ in answers] == [200, 200]
    assert "D-1 logged" in answers[0][1]
    assert answers[1][1] == ""  # a redelivery: nothing written, nothing shown again
    assert count(db, Decision) == 1
