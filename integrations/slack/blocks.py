"""A Reply rendered as Block Kit, and the few views of our own (log modal, suggestion, home).

Everything is built as dicts in code. Every message carries ``text`` (``reply.to_text()``)
beside its blocks: Slack shows it in notifications and where blocks cannot be shown.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from commands import actions as a
from commands.measures import value_from_form
from commands.reply import Button, Field, Item, NumberInput, Page, Reply, more_text
from integrations.fitting import most_that_fit

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
SECTION_TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
BUTTON_LABEL_LIMIT = 75
INPUT_LIMIT = 3000
CONTEXT_TEXT_LIMIT = 3000
BUTTON_VALUE_LIMIT = 2000
ACTION_ID_LIMIT = 255
# chat.postMessage truncates ``text`` past 40,000 characters, but Slack asks for at most
# 4,000; the blocks carry the detail.
TEXT_LIMIT = 3900

BUTTON_ACTION = "joinedup_button"
PICK_ACTION = "joinedup_pick"
# A list's Previous / Next: ``joinedup_page:previous`` and ``joinedup_page:next``; the value
# is a button value whose command runs the list from its position. The answer replaces the
# message that holds the button.
PAGE_ACTION = "joinedup_page"
SUGGEST_LOG_ACTION = "joinedup_suggest_log"
SUGGEST_DISMISS_ACTION = "joinedup_suggest_dismiss"
LOG_MODAL = "joinedup_log"
MEASURE_VALUE_ACTION = "joinedup_measure_value"
SHORTCUT_DECISION = "log_decision"
SHORTCUT_COMMITMENT = "log_commitment"

Block = dict[str, Any]

# Slack's own markup that must survive escaping: mentions, channels, specials and links.
_SLACK_MARKUP = re.compile(r"<(?:[@#!][^<>\s]+|(?:https?|mailto):[^<>\s]+)>")


def mrkdwn(text: str) -> str:
    """Escape &, < and > as Slack asks, keeping mention tokens (``<@U123>``) and links."""
    out, last = [], 0
    for found in _SLACK_MARKUP.finditer(text):
        out.append(_escape(text[last : found.start()]))
        out.append(found.group())
        last = found.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = BUTTON_LABEL_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_TEXT_LIMIT)}}


def _context(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": _cut(text, CONTEXT_TEXT_LIMIT)}],
    }


# --- buttons ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ButtonPress:
    """What a clicked button asks for: ``command`` run in ``team_id`` (None: the channel's)."""

    command: str
    team_id: int | None


def button_value(command: str, team_id: int | None) -> str:
    """A button's value: its command and team, within Slack's 2,000 characters."""
    value = json.dumps({"c": command, "t": team_id}, separators=(",", ":"))
    if len(value) > BUTTON_VALUE_LIMIT:
        value = json.dumps({"c": command[:1500], "t": team_id}, separators=(",", ":"))
    return value


def read_button(action: dict[str, Any]) -> ButtonPress:
    """The command behind a button or a person picker (``action`` from block_actions)."""
    action_id = str(action.get("action_id", ""))
    if action_id.startswith(PICK_ACTION + ":"):
        # joinedup_pick:<n>:<team id or empty>:<command>
        _, _, team, command = action_id.split(":", 3)
        return ButtonPress(command=command, team_id=int(team) if team else None)
    raw = json.loads(action.get("value") or "{}")
    team_id = raw.get("t")
    return ButtonPress(command=str(raw.get("c", "")), team_id=int(team_id) if team_id else None)


def _elements(
    buttons: Sequence[Button], team_id: int | None, counter: Iterator[int]
) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    for button in buttons[:25]:
        n = next(counter)
        if button.picks_person:
            elements.append(
                {
                    "type": "users_select",
                    "action_id": f"{PICK_ACTION}:{n}:{team_id or ''}:{button.command}"[:255],
                    "placeholder": _plain(f"{button.label}…", 150),
                }
            )
            continue
        element: dict[str, Any] = {
            "type": "button",
            "action_id": f"{BUTTON_ACTION}:{n}",
            "text": _plain(button.label),
            "value": button_value(button.command, team_id),
        }
        if button.style:
            element["style"] = button.style
        elements.append(element)
    return elements


# --- a Reply ---------------------------------------------------------------------------------


def _fields_text(fields: Sequence[Field]) -> str:
    return "   ".join(f"*{mrkdwn(f.label)}:* {mrkdwn(f.value)}" for f in fields)


def _item_blocks(item: Item, team_id: int | None, counter: Iterator[int]) -> list[Block]:
    mark = ":red_circle: " if item.highlight else ""
    ref = f"*{mrkdwn(item.ref)}*  " if item.ref else ""
    blocks = [_section(f"{mark}{ref}{mrkdwn(item.title)}")]
    detail = _fields_text(item.fields)
    if item.link:
        detail += ("   " if detail else "") + f"<{item.link}|source>"
    if detail:
        blocks.append(_context(detail))
    if item.buttons:
        blocks.append({"type": "actions", "elements": _elements(item.buttons, team_id, counter)})
    if item.input is not None:
        blocks.append(number_input_block(item.input, team_id))
    return blocks


def reply_blocks(
    reply: Reply,
    *,
    team_id: int | None = None,
    section_team_ids: Sequence[int] | None = None,
    limit: int = MESSAGE_BLOCK_LIMIT,
) -> list[Block]:
    """``reply`` as at most ``limit`` blocks, every text within Slack's limits.

    ``team_id`` goes into button values, for buttons clicked where there is no linked
    channel (a direct message, App Home); ``section_team_ids`` gives it per section.

    What does not fit is never dropped silently: the renderer keeps as many items as fit
    and says how many more there are and how to reach them: a paged list's Next button
    starts at the first item left out; any other section ends "…and N more: `command`".
    """
    return _fit(reply, team_id=team_id, section_team_ids=section_team_ids, limit=limit).blocks


@dataclass(frozen=True)
class _Fitted:
    blocks: list[Block]
    kept: int  # how many of the reply's items are shown


def _fit(
    reply: Reply,
    *,
    team_id: int | None,
    section_team_ids: Sequence[int] | None,
    limit: int,
) -> _Fitted:
    total = sum(len(s.items) for s in reply.sections)

    def render(keep: int) -> list[Block]:
        return _render(
            reply, keep=keep, team_id=team_id, section_team_ids=section_team_ids, limit=limit
        )

    low, blocks = most_that_fit(total, render, lambda blocks: len(blocks) <= limit)
    if len(blocks) > limit:  # a headline, body and fields alone over the limit: say so
        blocks = blocks[: limit - 1] + [_context(f"…{len(blocks) - limit + 1} more blocks cut.")]
    return _Fitted(blocks, low)


def _body_sections(text: str) -> list[Block]:
    """A long body as several sections (each under Slack's 3,000 characters), cut at lines."""
    out, chunk = [], ""
    for line in text.split("\n"):
        line = _cut(line, SECTION_TEXT_LIMIT)
        if chunk and len(chunk) + 1 + len(line) > SECTION_TEXT_LIMIT:
            out.append(_section(chunk))
            chunk = line
        else:
            chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        out.append(_section(chunk))
    return out


def _render(
    reply: Reply,
    *,
    keep: int,
    team_id: int | None,
    section_team_ids: Sequence[int] | None,
    limit: int,
) -> list[Block]:
    counter = itertools.count(1)
    headline = mrkdwn(reply.headline)
    blocks: list[Block] = [_section(f"*{headline}*" if reply.ok else f":warning: {headline}")]
    if reply.body:
        blocks.extend(_body_sections(mrkdwn(reply.body)))
    for start in range(0, len(reply.fields), 10):
        chunk = reply.fields[start : start + 10]
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": _cut(f"*{mrkdwn(f.label)}*\n{mrkdwn(f.value)}", FIELD_LIMIT),
                    }
                    for f in chunk
                ],
            }
        )
    if reply.link:
        blocks.append(_context(f"<{reply.link}|Source message>"))
    if reply.buttons:
        blocks.append({"type": "actions", "elements": _elements(reply.buttons, team_id, counter)})
    left = keep
    for index, section in enumerate(reply.sections):
        section_team = (
            section_team_ids[index]
            if section_team_ids is not None and index < len(section_team_ids)
            else team_id
        )
        shown = section.items[: max(0, left)]
        left -= len(shown)
        blocks.append({"type": "divider"})
        blocks.append(_section(f"*{mrkdwn(section.title)}*"))
        if not section.items and section.empty:
            blocks.append(_context(mrkdwn(section.empty)))
        for item in shown:
            blocks.extend(_item_blocks(item, section_team, counter))
        more = section.more + (0 if reply.page else len(section.items) - len(shown))
        if more:
            command = section.more_command
            blocks.append(_context(mrkdwn(more_text(more, command))))
    if reply.page is not None:
        blocks.extend(_page_blocks(reply.page, keep, team_id))
    if reply.usage:
        blocks.append(_context(f"Usage: `{mrkdwn(reply.usage)}`"))
    return blocks


def _page_blocks(page: Page, shown: int, team_id: int | None) -> list[Block]:
    """The position ("16–30 of 212") and the Previous / Next buttons: each runs the list
    again from its position, and the answer replaces the message (``PAGE_ACTION``)."""
    blocks: list[Block] = [_context(mrkdwn(f"{page.position(shown)}"))]
    elements: list[dict[str, Any]] = []
    for label, name, command in (
        ("Previous", "previous", page.previous_command()),
        ("Next", "next", page.next_command(shown)),
    ):
        if command is not None:
            elements.append(
                {
                    "type": "button",
                    "action_id": f"{PAGE_ACTION}:{name}",
                    "text": _plain(label),
                    "value": button_value(command, team_id),
                }
            )
    if elements:
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def fallback_text(reply: Reply, shown: int | None = None) -> str:
    """The message's ``text`` (notifications, clients without blocks): the items shown, and
    under Slack's 4,000 characters whatever the reply's size."""
    if shown is not None:
        left = shown
        sections = []
        for section in reply.sections:
            items = section.items[: max(0, left)]
            left -= len(items)
            dropped = 0 if reply.page else len(section.items) - len(items)
            sections.append(replace(section, items=items, more=section.more + dropped))
        page = reply.page
        if page is not None:
            page = replace(page, shown=min(page.shown, shown))
        reply = replace(reply, sections=tuple(sections), page=page)
    return _cut(reply.to_text(), TEXT_LIMIT)


def message(reply: Reply, *, team_id: int | None = None) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / postEphemeral / update: text + blocks.
    Buttons run in ``team_id``, else the reply's own ``team_id`` / ``section_team_ids``."""
    fitted = _fit(
        reply,
        team_id=team_id if team_id is not None else reply.team_id,
        section_team_ids=reply.section_team_ids or None,
        limit=MESSAGE_BLOCK_LIMIT,
    )
    return {"text": fallback_text(reply, fitted.kept), "blocks": fitted.blocks}


def home_view(reply: Reply) -> dict[str, Any]:
    return {
        "type": "home",
        "blocks": reply_blocks(
            reply,
            team_id=reply.team_id,
            section_team_ids=reply.section_team_ids or None,
            limit=VIEW_BLOCK_LIMIT,
        ),
    }


# --- the log modal (message shortcuts and "Log it") ------------------------------------------

TEXT_BLOCK, RATIONALE_BLOCK, OWNER_BLOCK, DUE_BLOCK = "text", "rationale", "owner", "due"


def log_modal(
    *,
    kind: str,
    text: str,
    owner_user_id: str | None,
    due: dt.date | None,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """The form to log a message as a decision or commitment, prefilled by the extractor."""
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": TEXT_BLOCK,
            "label": _plain("Decision" if kind == "decision" else "Commitment"),
            "element": {
                "type": "plain_text_input",
                "action_id": "value",
                "multiline": True,
                "max_length": INPUT_LIMIT,
                "initial_value": _cut(text, INPUT_LIMIT),
            },
        }
    ]
    if kind == "decision":
        blocks.append(
            {
                "type": "input",
                "block_id": RATIONALE_BLOCK,
                "optional": True,
                "label": _plain("Because (rationale)"),
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            }
        )
    else:
        owner: dict[str, Any] = {"type": "users_select", "action_id": "value"}
        if owner_user_id:
            owner["initial_user"] = owner_user_id
        blocks.append(
            {
                "type": "input",
                "block_id": OWNER_BLOCK,
                "label": _plain("Owner"),
                "element": owner,
            }
        )
        picker: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
        if due:
            picker["initial_date"] = due.isoformat()
        blocks.append(
            {
                "type": "input",
                "block_id": DUE_BLOCK,
                "optional": True,
                "label": _plain("Due"),
                "element": picker,
            }
        )
    if metadata.get("permalink"):
        blocks.append(_context(f"From <{metadata['permalink']}|this message>"))
    return {
        "type": "modal",
        "callback_id": LOG_MODAL,
        "title": _plain(f"Log a {kind}", 24),
        "submit": _plain("Log it"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps(dict(metadata, kind=kind), separators=(",", ":")),
        "blocks": blocks,
    }


def suggestion(*, kind: str, text: str, channel: str, ts: str) -> dict[str, Any]:
    """The ephemeral "log this?" offered to a message's author."""
    said = f"That reads like a {kind}. Log it in the joint log?"
    value = json.dumps({"kind": kind, "channel": channel, "ts": ts}, separators=(",", ":"))
    return {
        "text": f"{said}\n{text}",
        "blocks": [
            _section(f"{said}\n>{mrkdwn(_cut(text, 500))}"),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": SUGGEST_LOG_ACTION,
                        "text": _plain("Log it"),
                        "style": "primary",
                        "value": value,
                    },
                    {
                        "type": "button",
                        "action_id": SUGGEST_DISMISS_ACTION,
                        "text": _plain("Dismiss"),
                        "value": value,
                    },
                ],
            },
        ],
    }


# --- a measure's value, asked for in place ------------------------------------------------------


@dataclass(frozen=True)
class MeasureValueEntry:
    """A value typed into a nudge's input: the typed command, run in ``team_id``."""

    command: a.RecordMeasureValue
    team_id: int | None


def number_input_block(spec: NumberInput, team_id: int | None = None) -> Block:
    """An input block in the message itself: Slack sends ``block_actions`` (action id
    ``joinedup_measure_value``) when Enter is pressed. ``dispatch_action`` is what lets an
    input block live in a message rather than a modal. The block id carries the team, the
    measure and the period, so the value needs nothing else to be recorded."""
    team = spec.team_id if spec.team_id is not None else team_id
    return {
        "type": "input",
        "dispatch_action": True,
        "block_id": f"{MEASURE_VALUE_ACTION}:{team or ''}:{spec.measure}:{spec.period}",
        "label": _plain(spec.label, 2000),
        "hint": _plain("Type the number and press Enter.", 2000),
        # A plain_text_input, not a number_input: Slack allows number_input in modals only.
        # The core reads the number (a non-number gets a short message, nothing written).
        "element": {
            "type": "plain_text_input",
            "action_id": MEASURE_VALUE_ACTION,
            "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
            "placeholder": _plain("Value", 150),
        },
    }


def read_measure_value(action: dict[str, Any]) -> MeasureValueEntry:
    """The typed command behind a submitted value (``action`` from block_actions). A value
    that is not a number, or a block id that is not ours, is a CommandError / ValueError."""
    # joinedup_measure_value:<team id or empty>:<measure number>:<period>
    name, team, measure, period = str(action.get("block_id", "")).split(":", 3)
    if name != MEASURE_VALUE_ACTION:
        raise ValueError(f"not a measure value input: {name!r}")
    command = value_from_form(measure=measure, period=period, value=str(action.get("value", "")))
    return MeasureValueEntry(command=command, team_id=int(team) if team else None)
