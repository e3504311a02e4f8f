"""Logging records from ordinary chat: suggestions, reactions and the "log this message" form.

The platform adapters ask here whether a message should get a suggestion, what a reaction
means in a channel, and which command logs a message; the rules stay in the core.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy.orm import Session

from commands.extraction import Extraction, extract
from commands.invocation import ChannelRef
from commands.language import is_owner_token
from commands.rules import local_today
from storage.models import Team
from storage.teams import team_for_channel

RecordKind = Literal["decision", "commitment"]
DEFAULT_TIMEZONE = "Europe/London"


def _team(session: Session, channel: ChannelRef) -> Team | None:
    return team_for_channel(
        session, platform=channel.platform, tenant=channel.tenant, channel_id=channel.channel_id
    )


def channel_today(session: Session, *, channel: ChannelRef, now: dt.datetime) -> dt.date:
    """Today in the channel's team's timezone (London for a channel not linked yet)."""
    team = _team(session, channel)
    return local_today(now, team.timezone if team else DEFAULT_TIMEZONE)


def suggestion_for(
    session: Session, *, channel: ChannelRef, text: str, now: dt.datetime
) -> Extraction | None:
    """What to suggest logging for a message, if anything: only in a linked channel whose team
    has suggestions on, and only a message the extractor reads as a decision or commitment."""
    team = _team(session, channel)
    if team is None or not team.suggestions_enabled:
        return None
    found = extract(text, today=local_today(now, team.timezone))
    return None if found.kind == "none" else found


def reaction_kind(session: Session, *, channel: ChannelRef, reaction: str) -> RecordKind | None:
    """The kind of record a reaction logs in this channel (the team's configured emoji names;
    skin tones ignored), or None."""
    team = _team(session, channel)
    if team is None:
        return None
    name = reaction.split("::", 1)[0].strip(":")
    if name == team.decision_reaction:
        return "decision"
    if name == team.commitment_reaction:
        return "commitment"
    return None


def log_command(kind: RecordKind, found: Extraction, *, author: str) -> str:
    """The command that logs a message as ``kind``, from what the extractor read in it.

    A commitment belongs to the person the message names; otherwise ("I'll...", "we
    will...", or no owner found) to its ``author`` (a mention token).
    """
    text = " ".join(found.text.split())
    if kind == "decision":
        return f"decision {text}"
    owner = found.owner if found.owner and found.owner not in ("me", "we") else author
    if owner.startswith("@") and not owner.startswith("<@"):
        owner = author  # a plain "@name" in chat text is not a handle we can trust
    if not is_owner_token(owner):
        owner = author  # a name from minutes ("Priya to send..."): the text keeps it
    line = f"commit {owner} {text}"
    if found.kind == "commitment" and found.due:
        line += f" by {found.due.isoformat()}"
    return line
