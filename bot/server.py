"""The one HTTP server (``joinedup serve``): Slack at /slack/events, Teams at /api/messages,
/healthz, downloads and the live view, as ``bot.bootstrap`` builds them."""

from __future__ import annotations

import gc
import logging

from aiohttp import web

from bot.bootstrap import Server, bootstrap
from bot.settings import Settings
from storage.database import Database

log = logging.getLogger(__name__)


def build_app(settings: Settings, db: Database) -> web.Application:
    """The ``serve`` role's aiohttp application, built from ``settings`` on ``db`` (tests
    start it with their own)."""
    return bootstrap("serve", settings, db=db).app


def listen_host(settings: Settings) -> str:
    """``JOINEDUP_HOST`` (or ``--host``) when given; otherwise every interface, except in
    Teams' anonymous mode (no ``MICROSOFT_APP_ID``: unsigned activities are accepted), which
    is local-only by construction."""
    if settings.host:
        return settings.host
    return "127.0.0.1" if settings.teams.anonymous else "0.0.0.0"


def run_server(server: Server) -> None:
    """Listen on ``settings.port`` until SIGINT/SIGTERM."""
    settings, db = server.settings, server.db
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
        settings.port,
        db.engine.url.render_as_string(hide_password=True),
        server.admission.limit,
    )
    # What start-up built (the ORM's mappers and compiled statements, bolt and its listeners,
    # the card schemas) lives as long as the process: frozen out of the cyclic collector,
    # whose full passes over it paused the event loop for up to 95 ms under load, with every
    # request waiting. What requests leave behind is still collected.
    gc.collect()
    gc.freeze()
    # SIGTERM: aiohttp closes the listening socket, runs on_shutdown (Admission starts
    # refusing), waits for the running handlers (each commits before it answers), then exits.
    web.run_app(
        server.app,
        host=host,
        port=settings.port,
        print=None,
        access_log=None,
        shutdown_timeout=30.0,
    )
