"""Shortcuts, the log form, buttons and App Home through the real server."""

from __future__ import annotations

import copy
import datetime as dt
import json
from zoneinfo import ZoneInfo

from commands.dates import parse_when
from storage.models import Commitment, Decision
from tests.e2e.slack_harness import SlackDriver, fixture
from tests.e2e.test_slack_commands import create_team
from tests.support import Desk


def rows(db, model, *where):  # type: ignore[no-untyped-def]
    return Desk(db, dt.datetime.now(dt.UTC), team=None).rows(model, *where)


def log_commitment_to_sam(slack: SlackDriver) -> tuple[dict, str]:
    """/commit as Alex for Sam; returns the channel message as posted and its ts."""
    create_team(slack)
    posted = slack.ask("/commit", "<@U2|sam> Send the DPIA draft by Friday")
    return posted, "1763460000.000999"


def submission(view: dict, **values: dict) -> dict:
    payload = copy.deepcopy(fixture("view_submission"))
    payload["view"]["id"] = view.get("id", "V000001")
    payload["view"]["private_metadata"] = view["private_metadata"]
    payload["view"]["state"]["values"] = {k: {"value": v} for k, v in values.items()}
    return payload


def _form(slack: SlackDriver, kind: str) -> dict:
    """Open the "Log as ..." form for ``kind`` from a message shortcut; the form shown."""
    shortcut = fixture("message_shortcut")
    shortcut["callback_id"] = "log_decision" if kind == "decision" else "log_commitment"
    shortcut["trigger_id"] = f"trigger-{kind}"
    slack.interaction(shortcut)
    return slack.fake.wait_for("views.open")[-1].params["view"]


def test_the_shortcut_opens_a_prefilled_form_and_its_submission_logs_and_replies_in_thread(
    slack, db
):
    create_team(slack)
    shortcut = fixture("message_shortcut")

    status, _ = slack.interaction(shortcut)

    assert status == 200
    (opened,) = slack.fake.wait_for("views.open")
    assert opened.params["trigger_id"] == shortcut["trigger_id"]
    view = opened.params["view"]
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["text"]["initial_value"] == "<@U2> can you send the DPIA draft by Friday?"
    assert inputs["owner"]["initial_user"] == "U2"
    friday = parse_when("Friday", today=dt.datetime.now(ZoneInfo("Europe/London")).date())
    assert inputs["due"]["initial_date"] == friday.isoformat()
    meta = json.loads(view["private_metadata"])
    assert meta["permalink"] == "https://joint.slack.com/archives/C1/p1763460000000600"

    view["id"] = "V000042"
    status, body = slack.interaction(
        submission(
            view,
            text={"type": "plain_text_input", "value": "Send the DPIA draft"},
            owner={"type": "users_select", "selected_user": "U2"},
            due={"type": "datepicker", "selected_date": friday.isoformat()},
        )
    )

    assert (status, body) == (200, "")
    (c,) = rows(db, Commitment)
    assert (c.text, c.due_date, c.source_link) == ("Send the DPIA draft", friday, meta["permalink"])
    # The thread post cannot ride on the form's acknowledgement: the delivery engine sends
    # it from the outbox row written with the record.
    (call,) = slack.fake.wait_for("chat.postMessage")
    reply = call.params
    assert reply["thread_ts"] == "1763460000.000600"
    assert reply["text"].startswith("C-1 logged by Alex Morgan")


def test_an_empty_form_is_refused_in_the_form_and_nothing_is_written(slack, db):
    create_team(slack)
    slack.interaction(fixture("message_shortcut"))
    view = slack.fake.wait_for("views.open")[0].params["view"]

    status, body = slack.interaction(
        submission(
            view,
            text={"type": "plain_text_input", "value": "   "},
            owner={"type": "users_select", "selected_user": "U2"},
        )
    )

    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "text" in answer["errors"]
    assert rows(db, Commitment) == []


def test_a_core_refusal_is_shown_in_the_form(slack, db):
    create_team(slack)
    view = _form(slack, "decision")

    status, body = slack.interaction(
        submission(view, text={"type": "plain_text_input", "value": "x" * 4001})
    )

    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "4,001 characters" in answer["errors"]["text"]
    assert rows(db, Decision) == []


def test_a_refusal_about_the_rationale_is_shown_next_to_the_rationale(slack, db):
    create_team(slack)
    view = _form(slack, "decision")

    status, body = slack.interaction(
        submission(
            view,
            text={"type": "plain_text_input", "value": "Run the pilot"},
            rationale={"type": "plain_text_input", "value": "y" * 4001},
        )
    )

    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["rationale"]
    assert "4,001 characters" in answer["errors"]["rationale"]
    assert rows(db, Decision) == []


def test_done_updates_the_commitment_message_in_place(slack, db):
    posted, ts = log_commitment_to_sam(slack)

    status, _ = slack.interaction(slack.button_payload(posted, label="Done", user="U2", ts=ts))

    assert status == 200
    assert rows(db, Commitment)[0].status == "done"  # committed before the 200
    # In place, through the interaction's response_url (the message came from a command).
    (update,) = slack.fake.wait_for("response_url")
    assert update.params["replace_original"] is True
    assert update.params["text"].startswith("C-1 done (Sam Jones)")
    labels = [
        e["text"]["text"]
        for b in update.params["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels == ["Reopen"]
    assert rows(db, Commitment)[0].status == "done"


def test_a_button_refused_to_someone_who_is_not_the_owner_changes_nothing(slack, db):
    posted, ts = log_commitment_to_sam(slack)

    slack.interaction(slack.button_payload(posted, label="Done", user="U3", ts=ts))

    (refusal,) = slack.fake.wait_for("response_url")
    assert refusal.params["response_type"] == "ephemeral"
    assert refusal.params["replace_original"] is False
    assert "Only Sam Jones (the owner)" in refusal.params["text"]
    slack.settle()
    assert len(slack.fake.calls_to("response_url")) == 1
    assert rows(db, Commitment)[0].status == "open"


def test_reassign_picks_a_person_and_updates_the_message(slack, db):
    posted, ts = log_commitment_to_sam(slack)
    payload = slack.button_payload(posted, label="Done", user="U1", ts=ts)
    picker = next(
        e
        for b in posted["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "users_select"
    )
    payload["actions"] = [
        dict(
            picker,
            type="users_select",
            selected_user="U3",
            block_id="b1",
            action_ts="1763460050.000001",
        )
    ]

    slack.interaction(payload)

    (update,) = slack.fake.wait_for("response_url")
    assert update.params["replace_original"] is True
    assert "reassigned from Sam Jones to Priya Shah" in update.params["text"]
    (c,) = rows(db, Commitment)
    assert c.owner.display_name == "Priya Shah"


def test_app_home_shows_open_commitments_and_recent_decisions(slack, db):
    log_commitment_to_sam(slack)
    slack.ask("/decision", "Pool the data budget")
    event = dict(fixture("app_home_opened"), user="U2")

    status, _ = slack.event(event, event_id="EvHOME1")

    assert status == 200
    (publish,) = slack.fake.wait_for("views.publish")
    assert publish.params["user_id"] == "U2"
    view = publish.params["view"]
    assert view["type"] == "home"
    text = json.dumps(view)
    assert "Your open commitments" in text and "C-1" in text and "Send the DPIA draft" in text
    assert "Recent decisions" in text and "D-1" in text
    done = next(
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("text", {}).get("text") == "Done"
    )
    team_id = json.loads(done["value"])["t"]
    assert isinstance(team_id, int)


def test_a_form_rationale_that_says_because_is_kept_whole(slack, db):
    create_team(slack)
    view = _form(slack, "decision")

    status, body = slack.interaction(
        submission(
            view,
            text={"type": "plain_text_input", "value": "Pool the data budget"},
            rationale={
                "type": "plain_text_input",
                "value": "both teams asked because the extract is shared",
            },
        )
    )

    assert (status, body) == (200, "")
    (d,) = rows(db, Decision)
    # Rebuilt as "decision ... because ..." and parsed again, it split at the first "because".
    assert (d.text, d.rationale) == (
        "Pool the data budget",
        "both teams asked because the extract is shared",
    )


def test_a_form_commitment_ending_with_by_hand_and_no_date_is_logged_as_written(slack, db):
    create_team(slack)
    view = _form(slack, "commitment")

    status, body = slack.interaction(
        submission(
            view,
            text={"type": "plain_text_input", "value": "Review the by-laws by hand"},
            owner={"type": "users_select", "selected_user": "U2"},
        )
    )

    assert (status, body) == (200, "")  # it was refused: due "hand" is not a date
    (c,) = rows(db, Commitment)
    assert (c.text, c.due_date, c.owner.display_name) == (
        "Review the by-laws by hand",
        None,
        "Sam Jones",
    )
