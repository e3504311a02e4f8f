"""Slack through the real server: the app's Messages tab, paged lists, and suggestions on
messages with a file or sent to the channel from a thread."""

from __future__ import annotations

import copy
import datetime as dt
import json
from types import SimpleNamespace

from integrations.slack import blocks as bk
from integrations.slack.manifest import manifest
from storage.models import Commitment, InboundEvent
from tests.e2e.slack_harness import SlackDriver, fixture
from tests.e2e.test_slack_commands import create_team
from tests.payload_limits import check_slack_message, slack_refs
from tests.support import Desk


def rows(db, model, *where):  # type: ignore[no-untyped-def]
    return Desk(db, dt.datetime.now(dt.UTC), team=None).rows(model, *where)


def dm_event(text: str, *, user: str = "U2", ts: str = "1763460001.000100") -> dict:
    event = copy.deepcopy(fixture("message"))
    event.update(user=user, text=text, ts=ts, event_ts=ts, channel="D0SAM", channel_type="im")
    return event


def test_the_manifest_subscribes_to_direct_messages_and_may_read_them() -> None:
    app = manifest("https://joinedup.example")

    assert "message.im" in app["settings"]["event_subscriptions"]["bot_events"]
    assert "im:history" in app["oauth_config"]["scopes"]["bot"]
    assert app["features"]["app_home"]["messages_tab_enabled"] is True


def test_help_in_the_messages_tab_is_answered_in_the_dm_once(slack: SlackDriver, db) -> None:
    for n in range(2):  # Slack retries: one answer
        slack.event(dm_event("help"), event_id="Ev0DMHELP", retry_num=n or None)

    (answer,) = slack.fake.wait_for("chat.postMessage")
    slack.settle()
    assert len(slack.fake.calls_to("chat.postMessage")) == 1
    assert answer.params["channel"] == "D0SAM"
    check_slack_message(answer.params)
    assert "`commit`" in json.dumps(answer.params["blocks"])


def test_done_in_the_messages_tab_closes_the_persons_commitment(slack: SlackDriver, db) -> None:
    create_team(slack)  # Alex (U1) makes the team in C1
    logged = slack.ask("/commit", "<@U2|sam> Send the DPIA draft by Friday")
    assert logged["response_type"] == "in_channel"

    slack.event(dm_event("done C-1"), event_id="Ev0DMDONE")

    # The answer in the DM, and the team's channel hears of it (a change made in a DM).
    posts = slack.fake.wait_for("chat.postMessage", 2)
    [answer] = [p for p in posts if p.params["channel"] == "D0SAM"]
    assert [p.params["channel"] for p in posts if p is not answer] == ["C1"]
    assert answer.params["text"].startswith("C-1 done (Sam Jones)")
    [c1] = rows(db, Commitment)
    assert c1.status == "done"


def test_the_next_button_replaces_the_list_with_its_next_page(slack: SlackDriver, db) -> None:
    create_team(slack)
    for n in range(20):
        assert slack.ask("/commit", f"me Task {n:02d} by 2026-12-{n + 1:02d}")["response_type"]

    answer = slack.ask("/joinedup", "list open")
    assert answer.pop("response_type") == "ephemeral"
    first = SimpleNamespace(params=answer)  # the list rides in the acknowledgement
    check_slack_message(first.params)
    assert len(slack_refs(first.params)) == 15
    assert "1\u201315 of 20" in first.params["text"]

    payload = slack.button_payload(first.params, label="Next", user="U1", ts="1763460002.0001")
    payload["container"]["is_ephemeral"] = True
    status, _ = slack.interaction(payload)

    assert status == 200
    (page,) = slack.fake.wait_for("response_url")
    assert page.params["replace_original"] is True
    check_slack_message(page.params)
    assert sorted(slack_refs(first.params) + slack_refs(page.params)) == list(range(1, 21))
    pressed = payload["actions"][0]
    assert pressed["action_id"] == f"{bk.PAGE_ACTION}:next"
    assert "16\u201320 of 20" in page.params["text"]


def test_a_message_with_a_file_or_sent_from_a_thread_gets_a_suggestion(slack, db) -> None:
    create_team(slack)
    with_file = dict(fixture("message"), subtype="file_share", files=[{"id": "F1"}])
    broadcast = dict(
        fixture("message"),
        subtype="thread_broadcast",
        ts="1763460000.000400",
        thread_ts="1763460000.000100",
        text="We agreed the panel meets on Tuesdays",
    )
    edited = dict(fixture("message"), subtype="message_changed", ts="1763460000.000500")

    slack.event(with_file, event_id="Ev0FILE")
    slack.event(broadcast, event_id="Ev0BROADCAST")
    slack.event(edited, event_id="Ev0EDIT")

    slack.fake.wait_for("chat.postEphemeral", 2)
    slack.settle()
    assert len(slack.fake.calls_to("chat.postEphemeral")) == 2
    assert rows(db, InboundEvent, InboundEvent.source == "slack-suggestion")
