"""Replies as Adaptive Cards 1.5, built as dicts in code, valid against Microsoft's 1.5.0
schema (tests/fixtures/teams/adaptive-card-1.5.0.schema.json) and under Teams' size limit.

Buttons are ``Action.Execute`` (Universal Actions) with verb ``joinedup`` and
``data = {"command": Button.command}``; pressing one answers with a card that replaces
the one pressed (a list's Previous / Next turn the page in place). A button that picks a
person shows a field for the new owner (an email, an @handle or ``me``) whose text is sent
as ``data.owner`` and appended to the command (1.5 has no people picker: the Teams
``Data.Query`` picker is Adaptive Cards 1.6).

Size: Teams refuses activities over about 28 KB. ``reply_card`` measures the card it
builds and keeps as many items as fit in ``CARD_BYTES``; what it leaves out is counted,
with the way to reach it (a page's Next starts at the first item left out). An oversized
card cannot be produced.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

from commands import actions as a
from commands.measures import value_from_form
from commands.reply import Button, Field, Item, NumberInput, Page, Reply, more_text
from integrations.fitting import most_that_fit

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
VERB = "joinedup"
OWNER_INPUT = "owner"
MEASURE_VERB = "joinedup_measure_value"
# The card with its fallback text, serialised as JSON with every non-ASCII character
# escaped (the most it can weigh on the wire): under 22 KB leaves room for the activity
# around it (summary, conversation, ids) within the 25 KB we allow ourselves of Teams' ~28.
CARD_BYTES = 22_000
FALLBACK_CHARS = 1_500


def _card(
    body: list[dict[str, Any]], actions: list[dict[str, Any]], *, full_width: bool = False
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    if full_width:
        # Teams' own extension (not in the Adaptive Card schema): use the chat's full width.
        card["msteams"] = {"width": "Full"}
    return card


def size(payload: Any) -> int:
    """Bytes of ``payload`` as JSON, non-ASCII escaped: what it can weigh on the wire."""
    return len(json.dumps(payload, separators=(",", ":")))


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _facts(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": f.label, "value": f.value} for f in fields]}


def owner_input(input_id: str = OWNER_INPUT, *, label: str = "New owner") -> dict[str, Any]:
    """Who should own it: an email, an @handle or ``me`` (Adaptive Cards 1.5)."""
    return {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "placeholder": "an email, an @handle, or me",
        "isRequired": True,
        "errorMessage": "Say who: an email, an @handle, or me.",
        "maxLength": 254,
    }


def action(button: Button) -> dict[str, Any]:
    """One core ``Button`` as a card action."""
    execute: dict[str, Any] = {
        "type": "Action.Execute",
        "title": button.label,
        "verb": VERB,
        "data": {"command": button.command},
    }
    if button.style == "primary":
        execute["style"] = "positive"
    elif button.style == "danger":
        execute["style"] = "destructive"
    if not button.picks_person:
        return execute
    return {
        "type": "Action.ShowCard",
        "title": button.label,
        "card": {"type": "AdaptiveCard", "body": [owner_input()], "actions": [execute]},
    }


def _item(item: Item) -> dict[str, Any]:
    title = f"**{item.ref}** {item.title}" if item.ref else item.title
    body: list[dict[str, Any]] = [_text(title, color="attention" if item.highlight else "default")]
    if item.fields:
        body.append(_facts(item.fields))
    actions = [action(b) for b in item.buttons]
    if item.link:
        actions.append({"type": "Action.OpenUrl", "title": "Open message", "url": item.link})
    if actions:
        body.append({"type": "ActionSet", "actions": actions})
    if item.input is not None:
        body.extend(number_input(item.input))
    return {"type": "Container", "separator": True, "spacing": "medium", "items": body}


def reply_card(reply: Reply, *, download_label: str | None = None) -> dict[str, Any]:
    """The Adaptive Card for a Reply, at most ``CARD_BYTES``. With ``download_label``,
    ``reply.link`` becomes an ``Action.OpenUrl`` button with that title (a shared file's
    download link)."""
    total = sum(len(s.items) for s in reply.sections)

    def render(keep: int, cut: int | None = None) -> dict[str, Any]:
        return _render(reply, keep=keep, download_label=download_label, cut=cut)

    low, card = most_that_fit(total, render, lambda card: size(card) <= CARD_BYTES)
    for cut in (2_000, 500, 100):  # a headline and body alone too big: shorten every text
        if size(card) <= CARD_BYTES:
            break
        card = render(low, cut)
    return card


def _render(
    reply: Reply, *, keep: int, download_label: str | None, cut: int | None
) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        _text(
            reply.headline,
            weight="bolder",
            size="medium",
            color="default" if reply.ok else "attention",
        )
    ]
    if reply.body:
        body.append(_text(reply.body))
    if reply.fields:
        body.append(_facts(reply.fields))
    left = keep
    for section in reply.sections:
        shown = section.items[: max(0, left)]
        left -= len(shown)
        body.append(_text(section.title, weight="bolder", spacing="large"))
        if not section.items and section.empty:
            body.append(_text(section.empty, isSubtle=True))
        body.extend(_item(item) for item in shown)
        more = section.more + (0 if reply.page else len(section.items) - len(shown))
        if more:
            body.append(_text(more_text(more, section.more_command), isSubtle=True))
    actions = [action(b) for b in reply.buttons]
    if reply.page is not None:
        body.append(_text(reply.page.position(keep), isSubtle=True, spacing="medium"))
        actions.extend(_page_actions(reply.page, keep))
    if reply.usage:
        body.append(_text(f"Usage: `{reply.usage}`", isSubtle=True, size="small"))
    if reply.link and download_label:
        actions.append({"type": "Action.OpenUrl", "title": download_label, "url": reply.link})
    elif reply.link:
        actions.append({"type": "Action.OpenUrl", "title": "Open message", "url": reply.link})
    if cut is not None:
        _shorten(body, cut)
    card = _card(body, actions, full_width=bool(reply.sections) or len(reply.body or "") > 300)
    card["fallbackText"] = fallback_text(reply, keep)
    return card


def _page_actions(page: Page, shown: int) -> list[dict[str, Any]]:
    """Previous / Next: each runs the list again from its position; the answer replaces
    this card (Action.Execute's refresh)."""
    out = []
    for label, command in (
        ("Previous", page.previous_command()),
        ("Next", page.next_command(shown)),
    ):
        if command is not None:
            out.append(
                {
                    "type": "Action.Execute",
                    "title": label,
                    "verb": VERB,
                    "data": {"command": command},
                }
            )
    return out


def _shorten(elements: list[dict[str, Any]], limit: int) -> None:
    for element in elements:
        if element.get("type") == "TextBlock" and len(element["text"]) > limit:
            element["text"] = element["text"][: limit - 1] + "…"
        if element.get("type") == "FactSet":
            for fact in element["facts"]:
                fact["value"] = fact["value"][:limit]
        if element.get("type") == "Container":
            _shorten(element["items"], limit)


def fallback_text(reply: Reply, shown: int | None = None) -> str:
    """The card's plain text (notifications, clients without cards): the items shown,
    at most ``FALLBACK_CHARS``."""
    if shown is not None:
        left = shown
        sections = []
        for section in reply.sections:
            items = section.items[: max(0, left)]
            left -= len(items)
            dropped = 0 if reply.page else len(section.items) - len(items)
            sections.append(replace(section, items=items, more=section.more + dropped))
        page = replace(reply.page, shown=min(reply.page.shown, shown)) if reply.page else None
        reply = replace(reply, sections=tuple(sections), page=page)
    text = reply.to_text()
    return text if len(text) <= FALLBACK_CHARS else text[: FALLBACK_CHARS - 1] + "…"


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": card}


# --- the message extension's form ------------------------------------------------------------


def log_form(
    *,
    kind: str,
    text: str,
    owner: str | None = None,
    due: dt.date | None = None,
    link: str | None = None,
) -> dict[str, Any]:
    """The task-module form for "Log as decision" / "Log as commitment", prefilled.

    ``owner`` is ``me`` or an AAD object id for the people picker.
    """
    body: list[dict[str, Any]] = [
        {
            "type": "Input.Text",
            "id": "text",
            "label": "Decision" if kind == "decision" else "Commitment",
            "isMultiline": True,
            "isRequired": True,
            "errorMessage": "Say what was decided or promised.",
            "maxLength": 4000,
            "value": text,
        }
    ]
    if kind == "decision":
        body.append(
            {
                "type": "Input.Text",
                "id": "rationale",
                "label": "Because (optional)",
                "isMultiline": True,
                "maxLength": 4000,
            }
        )
    else:
        # 1.5 has no people picker: the owner is me, or the person the message names.
        choices = [{"title": "Me", "value": "me"}]
        if owner and owner != "me":
            choices.append({"title": "The person the message names", "value": owner})
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": "owner",
                "label": "Owner",
                "style": "expanded",
                "isRequired": True,
                "errorMessage": "Pick the owner.",
                "choices": choices,
                "value": owner or "me",
            }
        )
        due_input: dict[str, Any] = {"type": "Input.Date", "id": "due", "label": "Due (optional)"}
        if due:
            due_input["value"] = due.isoformat()
        body.append(due_input)
    submit = {
        "type": "Action.Submit",
        "title": "Log it",
        "style": "positive",
        "data": {"kind": kind, "link": link},
    }
    return _card(body, [submit])


def task_module(card: dict[str, Any], *, title: str) -> dict[str, Any]:
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": title,
                "height": "medium",
                "width": "medium",
                "card": attachment(card),
            },
        }
    }


def task_message(text: str) -> dict[str, Any]:
    """A task-module response that shows ``text`` (an error) instead of a form."""
    return {"task": {"type": "message", "value": text}}


# --- a measure's value, asked for in place ------------------------------------------------------


def number_input(spec: NumberInput) -> list[dict[str, Any]]:
    """An ``Input.Number`` and its ``Action.Execute`` (verb ``joinedup_measure_value``); the
    action's data names the team, the measure and the period, and Teams adds the input's
    value to it under the input's id (``value_M<n>_<period>``, unique per card)."""
    input_id = f"value_M{spec.measure}_{spec.period}"
    return [
        {
            "type": "Input.Number",
            "id": input_id,
            "label": spec.label,
            "placeholder": "Value",
            "isRequired": True,
            "errorMessage": "Give a number.",
        },
        {
            "type": "ActionSet",
            "actions": [
                {
                    "type": "Action.Execute",
                    "title": f"Record M-{spec.measure}",
                    "verb": MEASURE_VERB,
                    "style": "positive",
                    "data": {
                        "measure": spec.measure,
                        "period": spec.period,
                        "team_id": spec.team_id,
                        "input": input_id,
                    },
                }
            ],
        },
    ]


def read_measure_value(data: dict[str, Any]) -> tuple[a.RecordMeasureValue, int | None]:
    """The typed command behind a submitted ``Input.Number`` (the invoke's
    ``value.action.data``) and the team to run it in; CommandError for a non-number."""
    raw = data.get(str(data.get("input", "")), "")
    command = value_from_form(
        measure=data.get("measure", ""), period=str(data.get("period", "")), value=str(raw)
    )
    team = data.get("team_id")
    return command, int(team) if team else None
