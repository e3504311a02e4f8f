"""A nudge's measure value input on each platform: rendered from the core's NumberInput,
read back as the typed RecordMeasureValue, and carried unchanged through a delivery row."""

from __future__ import annotations

import pytest

from commands import actions as a
from commands.language import CommandError
from commands.reminders import reply_as_dict
from commands.reply import Item, NumberInput, Reply, Section
from integrations.slack import blocks as bk
from integrations.teams import cards

ASK = NumberInput(label="M-2 for 2026-11 (people)", measure=2, period="2026-11", team_id=7)
NUDGE = Reply(
    headline="Good morning Sam: 1 measure value to give on your list",
    sections=(
        Section("Values to give", (Item(title="People sleeping rough", ref="M-2", input=ASK),)),
    ),
)


def test_the_input_survives_the_delivery_rows_round_trip() -> None:
    assert Reply.from_dict(reply_as_dict(NUDGE)) == NUDGE
    assert Reply.from_dict(NUDGE.to_dict()) == NUDGE


def test_slack_renders_an_input_block_that_dispatches_on_enter() -> None:
    blocks = bk.reply_blocks(NUDGE)
    [block] = [b for b in blocks if b["type"] == "input"]
    assert block["dispatch_action"] is True
    assert block["block_id"] == "joinedup_measure_value:7:2:2026-11"
    assert block["label"]["text"] == "M-2 for 2026-11 (people)"
    element = block["element"]
    assert element["type"] == "plain_text_input"  # number_input is for modals only
    assert element["action_id"] == bk.MEASURE_VALUE_ACTION
    assert element["dispatch_action_config"] == {"trigger_actions_on": ["on_enter_pressed"]}


def test_a_value_typed_in_slack_reads_back_as_the_typed_command() -> None:
    action = {
        "type": "plain_text_input",
        "block_id": "joinedup_measure_value:7:2:2026-11",
        "action_id": bk.MEASURE_VALUE_ACTION,
        "value": " 1,204.5 ",
    }
    entry = bk.read_measure_value(action)
    assert entry.command == a.RecordMeasureValue(number=2, value=1204.5, period="2026-11")
    assert entry.team_id == 7
    with pytest.raises(CommandError) as refused:
        bk.read_measure_value({**action, "value": "sixty"})
    assert '"sixty" is not a number' in refused.value.message
    with pytest.raises(ValueError):
        bk.read_measure_value({**action, "block_id": "someone_else:1:2:3"})


def test_teams_renders_an_input_number_with_an_execute_action() -> None:
    card = cards.reply_card(NUDGE)
    container = card["body"][-1]
    number, actions = container["items"][-2:]
    assert number["type"] == "Input.Number" and number["id"] == "value_M2_2026-11"
    assert number["label"] == "M-2 for 2026-11 (people)" and number["isRequired"] is True
    [execute] = actions["actions"]
    assert execute["type"] == "Action.Execute" and execute["verb"] == cards.MEASURE_VERB
    assert execute["data"] == {
        "measure": 2,
        "period": "2026-11",
        "team_id": 7,
        "input": "value_M2_2026-11",
    }


def test_a_value_submitted_from_teams_reads_back_as_the_typed_command() -> None:
    data = {"measure": 2, "period": "2026-11", "team_id": 7, "input": "value_M2_2026-11"}
    command, team = cards.read_measure_value({**data, "value_M2_2026-11": "58"})
    assert command == a.RecordMeasureValue(number=2, value=58.0, period="2026-11")
    assert team == 7
    with pytest.raises(CommandError):
        cards.read_measure_value({**data, "value_M2_2026-11": ""})
