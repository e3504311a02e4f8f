"""Bounded work and honest overload: how many requests are being processed at once, and
what a request past the bound, or during shutdown, is told.

Every request on a command route (Slack's ``/slack/events``, Teams' ``/api/messages``)
takes a slot for as long as its handler runs, which, since the record is committed before
the acknowledgement, covers the database work. Past ``limit`` slots the request is
answered AT ONCE and nothing is saved:

- a Slack slash command gets a 200 whose body is an ephemeral "busy, nothing was saved,
  try again" (Slack shows a non-200 to a slash command as a bare "dispatch_failed");
- any other Slack request (an event, an interaction) gets a 503: Slack retries events, and
  shows an interaction's failure to the person who clicked;
- a Teams activity gets a 503 with ``Retry-After``.

Nothing waits in a queue: memory stays flat however long the overload lasts.

Shutdown: once the server stops accepting (SIGTERM), a request that still arrives on an
open connection gets the same 503 (or busy answer); the requests already admitted finish,
commit and are answered before the process exits (aiohttp waits for running handlers).
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Collection

from aiohttp import web

log = logging.getLogger(__name__)

BUSY_TEXT = "Joinedup is busy — nothing was saved, please try again in a moment."
RETRY_AFTER_S = "1"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Admission:
    """The in-flight bound for ``paths``, as an aiohttp middleware (``self.middleware``)."""

    def __init__(self, *, limit: int, paths: Collection[str]) -> None:
        if limit < 1:
            raise ValueError("the in-flight limit must be at least 1")
        self.limit = limit
        self.paths = frozenset(paths)
        self.in_flight = 0
        self.peak = 0
        self.refused = 0
        self.draining = False

    def attach(self, app: web.Application) -> None:
        app.middlewares.append(self.middleware)

        async def drain(_app: web.Application) -> None:
            # on_shutdown runs after the listening sockets are closed and before aiohttp
            # waits for the running handlers: from here on, refuse what still arrives.
            self.draining = True
            log.info("Shutting down: refusing new requests, finishing %d", self.in_flight)

        app.on_shutdown.append(drain)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path not in self.paths:
            return await handler(request)
        if self.draining or self.in_flight >= self.limit:
            self.refused += 1
            return await self._busy(request)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1

    async def _busy(self, request: web.Request) -> web.Response:
        """The answer past the bound: nothing is read beyond what tells a slash command from
        the rest, nothing is verified (the answer carries no data) and nothing is written."""
        if request.path.startswith("/slack/") and await _is_slash_command(request):
            return web.json_response({"response_type": "ephemeral", "text": BUSY_TEXT})
        return web.json_response(
            {"error": "busy", "message": BUSY_TEXT},
            status=503,
            headers={"Retry-After": RETRY_AFTER_S},
        )


async def _is_slash_command(request: web.Request) -> bool:
    if not request.content_type.startswith("application/x-www-form-urlencoded"):
        return False
    try:
        form = urllib.parse.parse_qs((await request.read()).decode(), max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        return False
    return "command" in form and "payload" not in form
