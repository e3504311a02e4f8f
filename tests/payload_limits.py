"""The platforms' own rules for what the bot sends, as test assertions.

Slack: slack_sdk's Block Kit models (``Block.parse(...).validate_json()`` checks each
text's length, elements per block, ...) and the documented numbers: 50 blocks in a
message, 100 in a view, ``text`` under 4,000 characters. Teams: Microsoft's Adaptive
Card 1.5.0 schema (``tests/fixtures/teams/adaptive-card-1.5.0.schema.json``, from
github.com/microsoft/AdaptiveCards ``schemas/1.5.0/adaptive-card.json``, MIT licence)
and activities under 25 KB serialised.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from slack_sdk.models.blocks import Block

from commands.reply import Reply
from integrations.slack import blocks as bk
from integrations.teams import proactive

SCHEMA_FILE = Path(__file__).parent / "fixtures" / "teams" / "adaptive-card-1.5.0.schema.json"
TEAMS_ACTIVITY_LIMIT = 25_000
_REF = re.compile(r"\bC-(\d+)\b")


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def check_blocks(blocks: list[dict[str, Any]], *, limit: int) -> None:
    assert 1 <= len(blocks) <= limit, f"{len(blocks)} blocks (limit {limit})"
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()  # raises SlackObjectFormationError past any Block Kit limit


def check_slack_message(message: dict[str, Any]) -> None:
    check_blocks(message["blocks"], limit=bk.MESSAGE_BLOCK_LIMIT)
    assert 0 < len(message["text"]) < 4000


def check_slack_view(view: dict[str, Any]) -> None:
    check_blocks(view["blocks"], limit=bk.VIEW_BLOCK_LIMIT)


def check_card(card: dict[str, Any]) -> None:
    """Valid Adaptive Card 1.5. ``msteams`` (full width) is Teams' own documented extension
    of the card's root, outside the Adaptive Card schema: it is checked, then set aside."""
    card = copy.deepcopy(card)
    teams_only = card.pop("msteams", None)
    assert teams_only in (None, {"width": "Full"})
    assert card["version"] == "1.5"
    errors = sorted(_validator().iter_errors(card), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])


def teams_activity(reply: Reply) -> dict[str, Any]:
    """The activity the bot would send, serialised as the Bot Framework sends it."""
    activity = proactive.message(reply).serialize()
    activity.update(
        {
            "conversation": {"id": "19:" + "x" * 60 + "@thread.tacv2", "tenantId": "t" * 36},
            "from": {"id": "28:" + "b" * 36, "name": "Joinedup"},
            "recipient": {"id": "29:" + "u" * 80},
            "serviceUrl": "https://smba.trafficmanager.net/emea/",
            "replyToId": "1" * 13,
        }
    )
    return activity


def check_teams(reply: Reply) -> dict[str, Any]:
    activity = teams_activity(reply)
    size = len(json.dumps(activity))
    assert size < TEAMS_ACTIVITY_LIMIT, f"activity of {size:,} bytes"
    [attachment] = activity["attachments"]
    check_card(attachment["content"])
    return dict(attachment["content"])


def slack_refs(message: dict[str, Any]) -> list[int]:
    """The C-n shown as items (bold refs in section texts)."""
    found = []
    for block in message["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        found += [int(n) for n in re.findall(r"^(?::red_circle: )?\*C-(\d+)\*", text)]
    return found


def slack_button_command(message: dict[str, Any], action_id: str) -> str | None:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return bk.read_button(element).command
    return None


def card_refs(card: dict[str, Any]) -> list[int]:
    found = []
    for element in card["body"]:
        if element.get("type") == "Container":
            text = element["items"][0]["text"]
            found += [int(n) for n in re.findall(r"^\*\*C-(\d+)\*\*", text)]
    return found


def card_button_command(card: dict[str, Any], title: str) -> str | None:
    for action in card.get("actions", []):
        if action.get("title") == title and action.get("type") == "Action.Execute":
            return str(action["data"]["command"])
    return None
