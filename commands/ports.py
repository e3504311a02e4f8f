"""Ports the core needs from the outside world, as Protocols (implemented by integrations)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from commands.reply import Reply


class DeliveryError(Exception):
    """A platform refused or failed a delivery. ``retry_after`` (seconds) when it said when
    to come back (Slack 429 Retry-After); ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Notifier(Protocol):
    """Sends a Reply to a channel or to a person on one platform (``platform``: "slack",
    "teams"). Implementations raise DeliveryError on failure; they never retry forever."""

    platform: str

    async def post_to_channel(self, *, tenant: str, channel_id: str, reply: Reply) -> None: ...

    async def deliver_reply(self, *, address: dict[str, Any], reply: Reply) -> None:
        """Answer a person's own request after its acknowledgement (an outbox row of kind
        "reply"). ``address`` is platform-specific, written by the adapter that took the
        request: Slack ``{"tenant", "channel", "thread_ts", "user", "ephemeral",
        "update_ts", "response_url"}``; Teams ``{"tenant", "conversation_id",
        "service_url", "reply_to_id", "update_activity_id"}``."""
        ...

    async def send_to_person(self, *, person_id: int, reply: Reply) -> bool:
        """Direct message; False when this platform has no way to reach the person."""
        ...

    async def share_summary(
        self, *, tenant: str, channel_id: str, reply: Reply, now: dt.datetime
    ) -> None:
        """Share a weekly summary in a channel: ``reply`` is its text and ``reply.summary``
        (team, ISO week) says which spreadsheet goes with it. The notifier attaches it its
        platform's way, as it stands at ``now``: Slack builds the workbook and uploads it;
        Teams, whose bots cannot upload into channels, posts the reply with a signed,
        expiring link to download it from our server."""
        ...


class Clock(Protocol):
    def __call__(self) -> dt.datetime: ...
