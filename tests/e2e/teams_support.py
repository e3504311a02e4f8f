"""Driving the real server as Teams would: Bot Framework activity JSON over HTTP."""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "teams"
TENANT = "tenant-1"
CHANNEL = "19:general@thread.tacv2"
BOT = "28:joinedup-bot"
ALEX = {"id": "29:1alex", "name": "Alex Council", "aadObjectId": "aad-alex"}
SAM = {"id": "29:1sam", "name": "Sam", "aadObjectId": "aad-sam"}
PAT = {"id": "29:1pat", "name": "Pat", "aadObjectId": "aad-pat"}

_counter = [1763460001000]


def fixture(name: str, *, service_url: str, **changes: Any) -> dict[str, Any]:
    """A recorded activity with its serviceUrl pointed at the fake connector."""
    activity = json.loads((FIXTURES / f"{name}.json").read_text())
    activity["serviceUrl"] = service_url
    for key, value in changes.items():
        activity[key] = value
    return activity


def channel_message(
    text: str,
    *,
    service_url: str,
    sender: dict[str, str] = ALEX,
    mentions: list[dict[str, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """``<at>Joinedup</at> <text>`` in the team channel; ``{name}`` mentions as entities."""
    _counter[0] += 1
    activity = fixture("channel_message_commit", service_url=service_url)
    activity["id"] = str(_counter[0])
    activity["from"] = dict(sender)
    activity["conversation"]["id"] = f"{CHANNEL};messageid={_counter[0]}"
    activity["text"] = f"<at>Joinedup</at> {text}"
    activity["entities"] = [activity["entities"][0]] + [
        {"type": "mention", "mentioned": dict(m), "text": f"<at>{m['name']}</at>"} for m in mentions
    ]
    return activity


def personal_message(
    text: str, *, service_url: str, sender: dict[str, str] = SAM
) -> dict[str, Any]:
    _counter[0] += 1
    activity = fixture("personal_message", service_url=service_url)
    activity["id"] = str(_counter[0])
    activity["from"] = dict(sender)
    activity["conversation"]["id"] = f"a:personal-{sender['id']}"
    activity["text"] = text
    return activity


def card_action(
    command: str,
    *,
    service_url: str,
    sender: dict[str, str] = SAM,
    person: str | None = None,
) -> dict[str, Any]:
    activity = fixture("card_action_done", service_url=service_url)
    activity = copy.deepcopy(activity)
    activity["from"] = dict(sender)
    activity["value"]["action"]["data"] = {"command": command}
    if person is not None:
        activity["value"]["action"]["data"]["person"] = person
    return activity


def post(
    base_url: str, activity: dict[str, Any], *, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """POST an activity to ``/api/messages``: (status, JSON body or None)."""
    request = urllib.request.Request(
        base_url + "/api/messages",
        data=json.dumps(activity).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else None
        except ValueError:
            return exc.code, raw.decode(errors="replace")
