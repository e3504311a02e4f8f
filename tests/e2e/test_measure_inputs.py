"""A measure value given in a nudge's input, through the real server: Slack's input block
(block_actions) and Teams' Input.Number (Action.Execute), each recorded once as the typed
RecordMeasureValue, a non-number refused with nothing written."""

from __future__ import annotations

import copy
import datetime as dt
import time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from commands.periods import period_of
from commands.reply import NumberInput
from integrations.slack import blocks as bk
from integrations.teams import cards
from storage.database import Database
from storage.models import AuditEvent, MeasureValue
from tests.background import Server
from tests.e2e.slack_harness import SlackDriver, fixture
from tests.e2e.teams_support import SAM, card_action, channel_message, post
from tests.e2e.test_slack_commands import create_team
from tests.fakes.bot_connector import FakeBotConnector


def _values(db: Database) -> list[tuple[str, float, int]]:
    with db.uow() as uow:
        return [
            (v.period, v.value, v.recorded_by_id)
            for v in uow.session.scalars(select(MeasureValue).order_by(MeasureValue.id))
        ]


def _audits(db: Database) -> int:
    with db.uow() as uow:
        return len(uow.session.scalars(select(AuditEvent)).all())


def _this_month() -> str:
    return period_of(dt.datetime.now(ZoneInfo("Europe/London")).date(), "month").label


def _typed_in_slack(slack: SlackDriver, block: dict, value: str, action_ts: str) -> dict:
    """The block_actions Slack sends when someone presses Enter in the input, in a DM."""
    payload = copy.deepcopy(fixture("block_actions"))
    payload["user"] = {"id": "U1", "username": "alex", "name": "alex", "team_id": "T1"}
    payload["container"] = {"type": "message", "message_ts": "1.0", "channel_id": "D1"}
    payload["channel"] = {"id": "D1", "name": "directmessage"}
    payload["message"] = {"type": "message", "ts": "1.0", "text": "", "blocks": [block]}
    payload["actions"] = [
        {
            "type": "plain_text_input",
            "block_id": block["block_id"],
            "action_id": block["element"]["action_id"],
            "value": value,
            "action_ts": action_ts,
        }
    ]
    return payload


def test_a_value_typed_into_the_slack_input_is_recorded_once(
    slack: SlackDriver, db: Database
) -> None:
    create_team(slack)
    added = slack.ask("/joinedup", "measure add People sleeping rough target 20 baseline 64")
    assert added["response_type"] == "in_channel" and "M-1" in added["text"]
    month = _this_month()
    block = bk.number_input_block(
        NumberInput(label=f"M-1 for {month}", measure=1, period=month, team_id=1)
    )

    status, _ = slack.interaction(_typed_in_slack(slack, block, "sixty", "1.000001"))
    assert status == 200
    [refused] = slack.fake.wait_for("response_url")
    assert '"sixty" is not a number' in refused.params["text"]
    before = _audits(db)
    assert _values(db) == []

    typed = _typed_in_slack(slack, block, "57", f"{time.time():.6f}")
    status, _ = slack.interaction(typed)
    assert status == 200
    answer = slack.fake.wait_for("response_url", 2)[1]
    assert answer.params["text"].startswith(f"M-1 {month}: 57 recorded")
    status, _ = slack.interaction(typed)  # Slack retries the same action: nothing doubled
    assert status == 200
    slack.settle()
    assert [(p, v) for p, v, _ in _values(db)] == [(month, 57.0)]
    assert _audits(db) == before + 1


def test_a_value_submitted_from_the_teams_input_number_is_recorded(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    status, _ = post(
        server.url, channel_message("team create Rough Sleeping", service_url=connector.url)
    )
    assert status == 201
    post(
        server.url,
        channel_message(
            "measure add People sleeping rough target 20 baseline 64", service_url=connector.url
        ),
    )
    month = _this_month()
    [_, execute_set] = cards.number_input(
        NumberInput(label=f"M-1 for {month}", measure=1, period=month, team_id=1)
    )
    data = dict(execute_set["actions"][0]["data"])

    def submit(value: str) -> tuple[int, dict]:
        activity = card_action("", sender=SAM, service_url=connector.url)
        activity["value"]["action"]["verb"] = cards.MEASURE_VERB
        # Teams adds each input's value to the action's data under the input's id.
        activity["value"]["action"]["data"] = {**data, data["input"]: value}
        return post(server.url, activity)

    status, body = submit("about sixty")
    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert '"about sixty" is not a number' in body["value"]
    assert _values(db) == []

    status, body = submit("58.5")
    assert status == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][0]["text"] == f"M-1 {month}: 58.5 recorded (Sam)"
    assert [(p, v) for p, v, _ in _values(db)] == [(month, 58.5)]
