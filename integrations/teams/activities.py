"""Reading Bot Framework activities: the wire JSON Teams sends, as plain dicts.

Nothing here imports botbuilder: the activity schema is the Bot Framework
protocol, which the Microsoft 365 Agents SDK speaks too, so these functions
survive an SDK swap unchanged.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Iterable
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


# --- checking a stranger's activity before anything parses it --------------------------------

# Real activities nest a dozen levels at most (an Adaptive Card in an invoke's value); the
# JSON parser recurses per level, so a deeply nested body would otherwise be a RecursionError.
MAX_DEPTH = 64
# Fields whose JSON type the SDK's deserializer and our readers rely on.
_OBJECTS = ("from", "recipient", "conversation", "channelData")
_LISTS = ("entities", "membersAdded", "membersRemoved", "attachments")
_STRINGS = ("type", "id", "serviceUrl", "text", "name", "channelId", "replyToId")


def too_deep(body: bytes, *, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text ``body`` nests arrays/objects more than ``limit`` deep
    (brackets inside strings do not count). Cheap when there are few brackets."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def malformed(body: Any) -> str | None:
    """Why ``body`` is not an activity we can read, or None. Checked before the SDK
    deserializes it, so that a wrong type is a 400 and never a traceback."""
    if not isinstance(body, dict):
        return "not a Bot Framework activity"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return "not a Bot Framework activity"
    for name in _STRINGS:
        if body.get(name) is not None and not isinstance(body[name], str):
            return f"{name} must be a string"
    for name in _OBJECTS:
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"{name} must be an object"
    for name in _LISTS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return f"{name} must be a list of objects"
    for name in ("from", "recipient", "conversation"):
        for key, value in (body.get(name) or {}).items():
            if key in ("id", "name", "aadObjectId", "tenantId", "conversationType"):
                if value is not None and not isinstance(value, str):
                    return f"{name}.{key} must be a string"
    for entity in body.get("entities") or []:
        if entity.get("mentioned") is not None and not isinstance(entity["mentioned"], dict):
            return "a mention's 'mentioned' must be an object"
    return None


_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def service_url_allowed(url: str, *, hosts: Iterable[str], loopback: bool) -> bool:
    """Whether ``url`` is an https URL on one of ``hosts`` (``*.example.com`` allows its
    subdomains; an entry may also be written as a URL), or, with ``loopback``, an http(s)
    URL on this machine."""
    try:
        parsed = urllib.parse.urlsplit(url)
        host = (parsed.hostname or "").lower()
        parsed.port  # noqa: B018 (a malformed port raises ValueError here)
    except ValueError:
        return False
    if not host or parsed.scheme not in ("http", "https"):
        return False
    if loopback and host in _LOOPBACK_HOSTS:
        return True
    if parsed.scheme != "https":
        return False
    for entry in hosts:
        entry = entry.strip().lower()
        if "://" in entry:
            entry = (urllib.parse.urlsplit(entry).hostname or "").lower()
        if entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False
