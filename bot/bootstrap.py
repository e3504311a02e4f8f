"""Start-up: ``bootstrap()`` builds what each ``joinedup`` command runs, from its settings.

One order for every role, each part given what it needs when it is made (nothing is
attached afterwards):

1. the settings (``load_settings()`` unless given) and the database;
2. in ``serve``, the platform adapters (Slack's bolt app and its client, Teams'
   CloudAdapter), mounted on the one aiohttp application;
3. the notifiers: in ``serve`` the adapters' own (one client and one adapter for requests
   and for proactive sends), in ``worker`` and ``remind`` built from settings alone;
4. the delivery engine with those notifiers (an ``OutboxWorker`` in ``serve`` and
   ``worker``; in ``remind`` a ``DeliveryEngine`` on the sweep's clock), and the
   scheduler's jobs;
5. the servers: the aiohttp application (``serve``), the console (``chat``).

The adapters wake the delivery engine after a command that queued a message, yet are built
before it: they are given the ``set`` of an event made first, which the engine then waits
on. Tests build each role with their own settings (a temporary database, a fake Web API's
URL) through this same function.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, overload

from aiohttp import web

from bot.admission import Admission
from bot.console import Console
from bot.downloads import add_download_routes, summary_links
from bot.health import healthz
from bot.notifiers import build_notifiers
from bot.outbox import DeliveryEngine, OutboxWorker, utc_now
from bot.scheduler import Runtime, install_scheduler
from bot.settings import Settings, load_settings
from commands.ports import Notifier
from commands.reminders import worker_id
from integrations.teams.endpoint import TeamsEndpoint, mount_teams
from integrations.web import mount_web
from storage import outbox
from storage.database import Database

if TYPE_CHECKING:
    from integrations.slack.app import JoinedupSlack

log = logging.getLogger(__name__)

RoleName = Literal["serve", "worker", "remind", "chat"]
Clock = Callable[[], dt.datetime]
COMMAND_PATHS = ("/slack/events", "/api/messages")

EVERY_KIND = frozenset(outbox.POLICIES)
REMINDER_KINDS = frozenset({outbox.NUDGE, outbox.DIGEST, outbox.ESCALATION})
# The outbox kinds each role sends. ``serve`` and ``worker`` run the same engine on every
# kind, so a deployment may run either or both; ``remind`` delivers the sweep it planned.
DELIVERS: dict[RoleName, frozenset[str]] = {
    "serve": EVERY_KIND,
    "worker": EVERY_KIND,
    "remind": REMINDER_KINDS,
    "chat": frozenset(),
}


@dataclass(frozen=True)
class Process:
    """What every role has: its settings, its database, the platforms it can send to
    (``notifiers``, by platform) and the outbox kinds it sends."""

    role: RoleName
    settings: Settings
    db: Database
    notifiers: Mapping[str, Notifier]
    kinds: frozenset[str]


@dataclass(frozen=True)
class Server(Process):
    """``joinedup serve``: the aiohttp application (``app``) with Slack at /slack/events when
    configured, Teams at /api/messages, health, downloads and the live view; the delivery
    engine and, unless ``JOINEDUP_SCHEDULER=off``, the scheduler run with it."""

    app: web.Application
    admission: Admission
    slack: JoinedupSlack | None
    teams: TeamsEndpoint
    delivery: OutboxWorker
    scheduler: Runtime | None


@dataclass(frozen=True)
class Worker(Process):
    """``joinedup worker``: the scheduler and the delivery engine, no HTTP server."""

    delivery: OutboxWorker
    scheduler: Runtime


@dataclass(frozen=True)
class Reminders(Process):
    """``joinedup remind``: one sweep, delivered by ``engine`` on the sweep's clock."""

    engine: DeliveryEngine


@dataclass(frozen=True)
class Chat(Process):
    """``joinedup chat``: the console."""

    console: Console


@overload
def bootstrap(
    role: Literal["serve"],
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock = utc_now,
) -> Server: ...
@overload
def bootstrap(
    role: Literal["worker"],
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock = utc_now,
) -> Worker: ...
@overload
def bootstrap(
    role: Literal["remind"],
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock = utc_now,
) -> Reminders: ...
@overload
def bootstrap(
    role: Literal["chat"],
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock = utc_now,
) -> Chat: ...
def bootstrap(
    role: RoleName,
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock = utc_now,
) -> Process:
    """Build ``role`` from ``settings`` (default: the environment's) on ``db`` (default: a
    new ``Database`` at ``settings.database_url``, which the caller disposes of), every part
    on ``clock``."""
    settings = settings or load_settings()
    db = db or Database(settings.database_url)
    if role == "serve":
        return _server(settings, db, clock)
    if role == "worker":
        notifiers = build_notifiers(settings, db)
        return Worker(
            role=role,
            settings=settings,
            db=db,
            notifiers=notifiers,
            kinds=DELIVERS[role],
            delivery=OutboxWorker(
                db, notifiers, tick_seconds=settings.outbox_tick_seconds, clock=clock
            ),
            scheduler=Runtime(db, notifiers, clock=clock),
        )
    if role == "remind":
        notifiers = build_notifiers(settings, db)
        return Reminders(
            role=role,
            settings=settings,
            db=db,
            notifiers=notifiers,
            kinds=DELIVERS[role],
            engine=DeliveryEngine(db, notifiers, worker=worker_id(), clock=clock),
        )
    return Chat(
        role=role,
        settings=settings,
        db=db,
        notifiers={},
        kinds=DELIVERS[role],
        console=Console(db, web_origin=settings.web_origin, clock=clock),
    )


def _server(settings: Settings, db: Database, clock: Clock) -> Server:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    # By default two requests per database connection: one working, one ready behind it.
    # A command holds a connection for milliseconds, so the wait inside stays far below
    # Slack's 3 seconds; past it the answer is "busy" at once.
    admission = Admission(
        limit=settings.max_in_flight or 2 * db.max_connections, paths=COMMAND_PATHS
    )
    admission.attach(app)
    app.router.add_get("/healthz", healthz(db))
    # Set by the adapters after a command queued a message; the engine, built after them,
    # waits on it.
    wake = asyncio.Event()
    slack = _slack(settings, db, clock=clock, on_change=wake.set)
    if slack is not None:
        slack.mount(app)
    teams = mount_teams(
        app,
        db=db,
        config=settings.teams,
        on_change=wake.set,
        clock=clock,
        summary_links=summary_links(settings),
        web_origin=settings.web_origin,
    )
    notifiers = build_notifiers(settings, db, slack=slack, teams=teams)
    delivery = OutboxWorker(
        db, notifiers, tick_seconds=settings.outbox_tick_seconds, clock=clock, wake=wake
    )
    delivery.attach(app)
    scheduler = Runtime(db, notifiers, clock=clock) if settings.scheduler_enabled else None
    if scheduler is not None:
        install_scheduler(app, scheduler, tick_seconds=settings.scheduler_tick_seconds)
    add_download_routes(app, settings, db)
    mount_web(app, db, origin=settings.web_origin, clock=clock)
    return Server(
        role="serve",
        settings=settings,
        db=db,
        notifiers=notifiers,
        kinds=DELIVERS["serve"],
        app=app,
        admission=admission,
        slack=slack,
        teams=teams,
        delivery=delivery,
        scheduler=scheduler,
    )


def _slack(
    settings: Settings, db: Database, *, clock: Clock, on_change: Callable[[], None]
) -> JoinedupSlack | None:
    """The Slack adapter when Slack is configured (its notifier shares its client)."""
    slack = settings.slack
    if not slack.configured:
        log.info("Slack: not configured (%s)", slack.why_not())
        return None
    from integrations.slack.app import JoinedupSlack, SlackConfig

    assert slack.signing_secret
    adapter = JoinedupSlack(
        SlackConfig(
            signing_secret=slack.signing_secret,
            bot_token=slack.bot_token,
            client_id=slack.client_id,
            client_secret=slack.client_secret,
            api_url=slack.api_url,
        ),
        db,
        web_origin=settings.web_origin,
        clock=clock,
        on_change=on_change,
    )
    mode = "OAuth install, many workspaces" if slack.oauth else "one workspace, bot token"
    api = f", Web API {slack.api_url}" if slack.api_url else ""
    log.info("Slack: configured at POST /slack/events (%s%s)", mode, api)
    return adapter
