"""What reaches the core from any platform: who, where, when, what text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChannelRef:
    """A conversation on a platform: a Slack channel, a Teams conversation, a console session."""

    platform: str
    tenant: str
    channel_id: str
    name: str | None = None
    # A direct conversation with the bot (Slack's Messages tab, a Teams personal chat): an
    # unlinked one answers person-level commands across the person's teams.
    direct: bool = False


@dataclass(frozen=True)
class Invocation:
    """One command as the core sees it.

    ``mentions`` maps each mention token exactly as it appears in ``text`` (the
    adapter makes it one whitespace-free token, e.g. ``<@U024BE7LH>``) to the
    id of the Person it names, already resolved by the adapter.
    """

    text: str
    person_id: int
    platform: str
    now: dt.datetime
    channel: ChannelRef | None = None
    team_id: int | None = None
    mentions: Mapping[str, int] = field(default_factory=dict)
    source_link: str | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Invocation.now must be timezone-aware (UTC)")
