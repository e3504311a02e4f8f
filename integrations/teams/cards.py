"""Replies as Adaptive Cards (schema 1.5), built as dicts in code.

Buttons are ``Action.Execute`` (Universal Actions) with verb ``joinedup`` and
``data = {"command": Button.command}``; a button that picks a person opens a
people picker (``Input.ChoiceSet`` over ``graph.microsoft.com/users``) whose
value (the chosen user's AAD object id) is sent as ``data.person``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from commands import actions as a
from commands.measures import value_from_form
from commands.reply import Button, Field, Item, NumberInput, Reply

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
VERB = "joinedup"
PEOPLE_DATASET = "graph.microsoft.com/users"
MEASURE_VERB = "joinedup_measure_value"


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _facts(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": f.label, "value": f.value} for f in fields]}


def people_picker(input_id: str, *, label: str, value: str | None = None) -> dict[str, Any]:
    picker: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "isRequired": True,
        "errorMessage": "Pick a person.",
        "style": "filtered",
        "choices": [],
        "choices.data": {"type": "Data.Query", "dataset": PEOPLE_DATASET},
    }
    if value:
        picker["value"] = value
    return picker


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
    execute["title"] = button.label
    return {
        "type": "Action.ShowCard",
        "title": button.label,
        "card": _card(
            [people_picker("person", label="New owner")],
            [execute],
        ),
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
    """The Adaptive Card for a Reply. With ``download_label``, ``reply.link`` becomes an
    ``Action.OpenUrl`` button with that title (a shared file's download link)."""
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
    for section in reply.sections:
        body.append(_text(section.title, weight="bolder", spacing="large"))
        if not section.items and section.empty:
            body.append(_text(section.empty, isSubtle=True))
        body.extend(_item(item) for item in section.items)
    if reply.usage:
        body.append(_text(f"Usage: `{reply.usage}`", isSubtle=True, size="small"))
    actions = [action(b) for b in reply.buttons]
    if reply.link and download_label:
        actions.append({"type": "Action.OpenUrl", "title": download_label, "url": reply.link})
    elif reply.link:
        actions.append({"type": "Action.OpenUrl", "title": "Open message", "url": reply.link})
    return _card(body, actions)


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
        picker = people_picker("owner", label="Owner", value=owner or "me")
        picker["choices"] = [{"title": "Me", "value": "me"}]
        body.append(picker)
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
