"""Slack's direct messages (the app's Messages tab) and which messages are read at all.

A message in the app's DM is a command (no slash needed): ``help``, ``list mine``,
``done C-5`` (the natural answer to a nudge). The core decides which team it is about
(``commands.scope``); this module only reads Slack's event.
"""

from __future__ import annotations

import re
from typing import Any

# Message subtypes read like plain messages: a message with a file attached, and a thread
# reply also sent to the channel. Every other subtype (edits, joins, bots) is not a person
# saying something new.
READ_SUBTYPES = frozenset({"file_share", "thread_broadcast"})


def is_read(event: dict[str, Any]) -> bool:
    """A person's new message (plain, with a file, or a reply sent to the channel too)."""
    subtype = event.get("subtype")
    return (
        (subtype is None or subtype in READ_SUBTYPES)
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def is_direct_message(event: dict[str, Any]) -> bool:
    """A message in a DM with the app (``message.im``)."""
    return event.get("channel_type") == "im"


def is_direct_channel(channel_id: str | None, name: str | None = None) -> bool:
    """Slack's DM channel ids start with D (slash commands also name them "directmessage")."""
    return bool(channel_id) and (str(channel_id).startswith("D") or name == "directmessage")


def command_text(event: dict[str, Any], bot_user_id: str | None) -> str | None:
    """The command in a DM to the app, or None when it is not a person's message. The
    app's own mention is dropped (people type it out of habit); an empty message is help."""
    if not is_read(event):
        return None
    text = str(event.get("text") or "")
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return text.strip() or "help"
