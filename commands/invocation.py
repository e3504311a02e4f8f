"""What reaches the core from any platform: who, where, when, what text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
class ReplyAddress:
    """Where the reply goes when it cannot ride on the platform's acknowledgement (a reply to
    a Slack event, a button's in-place update, a form's thread post): ``dispatch`` writes it
    as an outbox row in the same transaction as the record.

    ``address`` is the platform's address (see ``storage.outbox.enqueue``); ``private``, when
    given, is used instead for a reply meant for the user alone (help, lists, errors).
    ``address`` None: a reply for the channel is not sent (the adapter shows the new state
    another way). ``refusals`` False: a refusal is not queued (it rides on the
    acknowledgement, e.g. a form showing its errors).
    """

    platform: str
    address: Mapping[str, Any] | None
    private: Mapping[str, Any] | None = None
    refusals: bool = True

    def for_reply(self, *, for_channel: bool) -> dict[str, Any] | None:
        """The address for a reply, or None when it is not to be sent."""
        chosen = self.address if for_channel or self.private is None else self.private
        return dict(chosen) if chosen is not None else None


@dataclass(frozen=True)
class Invocation:
    """One command as the core sees it.

    ``mentions`` maps each mention token exactly as it appears in ``text`` (the
    adapter makes it one whitespace-free token, e.g. ``<@U024BE7LH>``) to the
    id of the Person it names, already resolved by the adapter.

    ``idempotency_key`` names this request for good (a Slack event id or trigger id, a Teams
    activity id, a hash of the signed body, a console uuid): ``dispatch`` claims it in the
    same transaction as the record, so a redelivery writes nothing. ``reply_address`` is set
    only when the reply cannot travel in the acknowledgement.

    ``account``: the actor's account on ``platform`` as ``(tenant, user id)``, when the
    adapter knows it. The core then takes as the actor whoever holds that account at the
    time of the command (``person_id`` may come from the adapter's cache, and accounts move
    when two people are joined by ``me confirm``).

    ``web_origin``: where the live view answers (``https://joinedup.example.org``), for the
    links a reply carries (``dashboard``'s sign-in link); the adapter has it from the
    settings it was built with (``bot.bootstrap``).
    """

    text: str
    person_id: int
    platform: str
    now: dt.datetime
    channel: ChannelRef | None = None
    team_id: int | None = None
    mentions: Mapping[str, int] = field(default_factory=dict)
    source_link: str | None = None
    idempotency_key: str | None = None
    reply_address: ReplyAddress | None = None
    account: tuple[str, str] | None = None
    web_origin: str | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Invocation.now must be timezone-aware (UTC)")
