"""The one HTTP server: Slack at /slack/events, Teams at /api/messages, /healthz."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import text

from bot.admission import Admission
from bot.downloads import add_download_routes, summary_link
from bot.notifiers import build_notifiers
from bot.outbox import OutboxWorker
from bot.scheduler import install_scheduler
from bot.settings import Settings
from integrations.teams.endpoint import mount_teams
from integrations.web import mount_web
from storage.database import Database

if TYPE_CHECKING:
    from integrations.slack.app import JoinedupSlack
    from integrations.slack.road import SummaryFile

log = logging.getLogger(__name__)

DB_KEY = web.AppKey("db", Database)
SETTINGS_KEY = web.AppKey("settings", Settings)
SLACK_KEY: web.AppKey[JoinedupSlack] = web.AppKey("slack")
ADMISSION_KEY = web.AppKey("admission", Admission)
COMMAND_PATHS = ("/slack/events", "/api/messages")


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


def mount_slack(
    app: web.Application,
    settings: Settings,
    db: Database,
    *,
    summary_file: SummaryFile | None = None,
    on_change: Callable[[], None] | None = None,
) -> JoinedupSlack | None:
    """Slack at /slack/events (and the OAuth install pages) when it is configured."""
    slack = settings.slack
    if not slack.configured:
        log.info("Slack: not configured (%s)", slack.why_not())
        return None
    from integrations.slack.app import JoinedupSlack, SlackConfig

    assert slack.signing_secret
    app[SLACK_KEY] = JoinedupSlack(
        SlackConfig(
            signing_secret=slack.signing_secret,
            bot_token=slack.bot_token,
            client_id=slack.client_id,
            client_secret=slack.client_secret,
            api_url=slack.api_url,
        ),
        db,
        summary_file=summary_file,
        on_change=on_change,
    )
    app[SLACK_KEY].mount(app)
    mode = "OAuth install, many workspaces" if slack.oauth else "one workspace, bot token"
    api = f", Web API {slack.api_url}" if slack.api_url else ""
    log.info("Slack: configured at POST /slack/events (%s%s)", mode, api)
    return app[SLACK_KEY]


def summary_spreadsheet(db: Database) -> SummaryFile:
    """Slack's ``/summary``: (team id, ISO week) -> the workbook to upload."""

    def build(team_id: int, week: str) -> tuple[str, bytes]:
        from commands.weekly import IsoWeek
        from integrations.spreadsheet import export_week

        export = export_week(
            db, team_id=team_id, week=IsoWeek.from_label(week), now=dt.datetime.now(dt.UTC)
        )
        return export.filename, export.content

    return build


def summary_download_link(
    settings: Settings,
) -> Callable[[int, str, dt.datetime], str | None]:
    """Teams' ``summary``: a signed, expiring download URL (None without a public URL)."""

    def link(team_id: int, week: str, now: dt.datetime) -> str | None:
        from commands.weekly import IsoWeek

        try:
            return summary_link(settings, team_id=team_id, week=IsoWeek.from_label(week), now=now)
        except ValueError:
            log.warning("Teams summary: set JOINEDUP_PUBLIC_URL to offer the spreadsheet")
            return None

    return link


def build_app(
    settings: Settings, db: Database, *, slack_summary_file: SummaryFile | None = None
) -> web.Application:
    """The aiohttp application with every configured platform mounted."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[DB_KEY] = db
    app[SETTINGS_KEY] = settings
    # By default two requests per database connection: one working, one ready behind it.
    # A command holds a connection for milliseconds, so the wait inside stays far below
    # Slack's 3 seconds; past it the answer is "busy" at once.
    limit = settings.max_in_flight or 2 * db.max_connections
    admission = Admission(limit=limit, paths=COMMAND_PATHS)
    admission.attach(app)
    app[ADMISSION_KEY] = admission
    app.router.add_get("/healthz", healthz)
    outbox = OutboxWorker(db, tick_seconds=settings.outbox_tick_seconds, settings=settings)
    slack = mount_slack(
        app,
        settings,
        db,
        summary_file=slack_summary_file or summary_spreadsheet(db),
        on_change=outbox.kick,
    )
    teams = mount_teams(
        app,
        db=db,
        config=settings.teams,
        on_change=outbox.kick,
        summary_link=summary_download_link(settings),
    )
    outbox.notifiers = build_notifiers(settings, db, teams=teams, slack=slack)
    outbox.attach(app)
    if settings.scheduler_enabled:
        install_scheduler(app, settings, db, outbox.notifiers)
    add_download_routes(app, settings, db)
    mount_web(app, db, public_url=settings.public_url, port=settings.port)
    return app


def listen_host(settings: Settings) -> str:
    """``JOINEDUP_HOST`` (or ``--host``) when given; otherwise every interface, except in
    Teams' anonymous mode (no ``MICROSOFT_APP_ID``: unsigned activities are accepted), which
    is local-only by construction."""
    if settings.host:
        return settings.host
    return "127.0.0.1" if settings.teams.anonymous else "0.0.0.0"


def run_server(settings: Settings, db: Database, *, port: int) -> None:
    app = build_app(settings, db)
    host = listen_host(settings)
    if settings.teams.anonymous and not settings.host:
        log.warning(
            "Teams anonymous mode (MICROSOFT_APP_ID is not set): listening on 127.0.0.1 only. "
            "Set MICROSOFT_APP_ID to accept Teams from outside, or JOINEDUP_HOST to listen "
            "elsewhere anyway."
        )
    elif settings.teams.anonymous:
        log.warning(
            "Teams anonymous mode on %s, as JOINEDUP_HOST asks: /api/messages accepts "
            "unsigned activities from whoever can reach it (allowed service URLs only)",
            host,
        )
    log.info(
        "Joinedup listening on http://%s:%d (database %s, at most %d requests in flight)",
        host,
        port,
        db.engine.url.render_as_string(hide_password=True),
        app[ADMISSION_KEY].limit,
    )
    # SIGTERM: aiohttp closes the listening socket, runs on_shutdown (Admission starts
    # refusing), waits for the running handlers (each commits before it answers), then exits.
    web.run_app(app, host=host, port=port, print=None, access_log=None, shutdown_timeout=30.0)
