"""``GET /healthz``: whether this server reaches its database (200, or 503 when it does not)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import text

from storage.database import Database

log = logging.getLogger(__name__)


def healthz(db: Database) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler: ``{"ok": true, "database": "ok"}``, or a 503 when ``SELECT 1`` fails."""

    def ping() -> None:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def handle(request: web.Request) -> web.Response:
        try:
            await asyncio.to_thread(ping)
        except Exception as exc:  # the database is what we report on, whatever broke
            log.warning("healthz: database unreachable: %s", exc)
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)
        return web.json_response({"ok": True, "database": "ok"})

    return handle
