"""Reading Bot Framework activities: the wire JSON Teams sends, as plain dicts.

Nothing here imports botbuilder: the activity schema is the Bot Framework
protocol, which the Microsoft 365 Agents SDK speaks too, so these functions
survive an SDK swap unchanged.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

PLATFORM = "teams"
_THREAD_SUFFIX = re.compile(r";messageid=\d+$")
_AT_TAG = re.compile(r"<at[^>]*>(.*?)</at>", re.I | re.S)
_BREAKS = re.compile(r"<\s*(?:br\s*/?|/p|/div)\s*>", re.I)


@dataclass(frozen=True)
class Account:
    """A Teams user as an activity names them: ``id`` is the Bot Framework id (``29:...``)."""

    id: str
    name: str | None = None
    aad_object_id: str | None = None
    email: str | None = None

    @property
    def token(self) -> str:
        """The whitespace-free mention token the core sees: ``<@29:1abc>``."""
        return f"<@{self.id}>"


@dataclass(frozen=True)
class Command:
    """A message addressed to the bot, with the bot's mention removed and every other mention
    replaced by an ``Account.token``."""

    text: str
    mentions: tuple[Account, ...]


def tenant_of(activity: dict[str, Any]) -> str:
    conversation = activity.get("conversation") or {}
    channel_data = activity.get("channelData") or {}
    return str(
        conversation.get("tenantId") or (channel_data.get("tenant") or {}).get("id") or "default"
    )


def conversation_id(activity: dict[str, Any]) -> str:
    return str((activity.get("conversation") or {}).get("id") or "")


def channel_conversation_id(activity: dict[str, Any]) -> str:
    """The conversation without a thread's ``;messageid=`` suffix: one id per team channel."""
    return _THREAD_SUFFIX.sub("", conversation_id(activity))


def conversation_type(activity: dict[str, Any]) -> str:
    """``personal``, ``groupChat`` or ``channel``."""
    return str((activity.get("conversation") or {}).get("conversationType") or "personal")


def channel_name(activity: dict[str, Any]) -> str | None:
    channel_data = activity.get("channelData") or {}
    channel = channel_data.get("channel") or {}
    team = channel_data.get("team") or {}
    if channel.get("name") and team.get("name"):
        return f"{team['name']} / {channel['name']}"
    return channel.get("name") or (activity.get("conversation") or {}).get("name")


def sender(activity: dict[str, Any]) -> Account:
    raw = activity.get("from") or {}
    return Account(
        id=str(raw.get("id") or ""),
        name=raw.get("name"),
        aad_object_id=raw.get("aadObjectId"),
    )


def bot_id(activity: dict[str, Any]) -> str:
    return str((activity.get("recipient") or {}).get("id") or "")


def plain_text(text: str) -> str:
    """Teams message HTML as plain text (``<at>`` tags are kept; see ``command_of``)."""
    text = _BREAKS.sub(" ", text)
    text = re.sub(r"<(?!/?at\b)[^>]+>", "", text, flags=re.I)
    return html.unescape(text).replace("\u00a0", " ")


def command_of(activity: dict[str, Any], text: str | None = None) -> Command:
    """The command in a message: the bot's own ``<at>`` mention removed, other mentions (from
    the activity's mention entities) replaced by tokens, any leftover markup dropped."""
    raw = plain_text(text if text is not None else str(activity.get("text") or ""))
    me = bot_id(activity)
    mentions: list[Account] = []
    for entity in activity.get("entities") or []:
        if entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned") or {}
        tag = entity.get("text") or f"<at>{mentioned.get('name', '')}</at>"
        tag = html.unescape(tag)
        if mentioned.get("id") == me:
            raw = raw.replace(tag, " ", 1)
            continue
        account = Account(
            id=str(mentioned.get("id") or ""),
            name=mentioned.get("name"),
            aad_object_id=mentioned.get("aadObjectId"),
        )
        if not account.id or tag not in raw:
            continue
        raw = raw.replace(tag, f" {account.token} ", 1)
        mentions.append(account)
    # A mention the entities did not explain (or the bot's name typed by hand) is just its name.
    raw = _AT_TAG.sub(lambda m: m.group(1), raw)
    return Command(text=" ".join(raw.split()), mentions=tuple(mentions))


def button_command(activity: dict[str, Any]) -> tuple[str, str | None] | None:
    """``(command, picked person)`` from an ``Action.Execute`` invoke or a legacy
    ``Action.Submit`` message; None when the value is not one of our buttons."""
    value = activity.get("value") or {}
    if activity.get("type") == "invoke":
        action = value.get("action") or {}
        if action.get("verb") != "joinedup":
            return None
        data = action.get("data") or {}
    else:
        data = value
    command = data.get("command")
    if not isinstance(command, str) or not command.strip():
        return None
    owner = data.get("owner")  # a card's "New owner" field (cards.owner_input)
    if isinstance(owner, str) and owner.strip() and "kind" not in data:
        command = f"{command.strip()} {' '.join(owner.split())}"
    picked = data.get("person")
    return command.strip(), picked if isinstance(picked, str) and picked.strip() else None
