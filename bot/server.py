"""The one HTTP server: Slack at /slack/events, Teams at /api/messages, /healthz."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import text

from bot.downloads import add_download_routes
from bot.settings import Settings
from storage.database import Database

log = logging.getLogger(__name__)

DB_KEY = web.AppKey("db", Database)
SETTINGS_KEY = web.AppKey("settings", Settings)


async def healthz(request: web.Request) -> web.Response:
    db = request.app[DB_KEY]

    def ping() -> None:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await asyncio.to_thread(ping)
    except Exception as exc:  # the database is what we report on, whatever broke
        log.warning("healthz: database unreachable: %s", exc)
        return web.json_response({"ok": False, "database": "unreachable"}, status=503)
    return web.json_response({"ok": True, "database": "ok"})


def build_app(settings: Settings, db: Database) -> web.Application:
    """The aiohttp application with every configured platform mounted."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[DB_KEY] = db
    app[SETTINGS_KEY] = settings
    app.router.add_get("/healthz", healthz)
    add_download_routes(app, settings, db)
    return app


def run_server(settings: Settings, db: Database, *, host: str, port: int) -> None:
    app = build_app(settings, db)
    log.info(
        "Joinedup listening on http://%s:%d (database %s)",
        host,
        port,
        db.engine.url.render_as_string(hide_password=True),
    )
    web.run_app(app, host=host, port=port, print=None, access_log=None)
