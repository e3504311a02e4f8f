"""Teams HTTP and authentication: ``POST /api/messages``, the token check, the allow-list.

Teams activities come in here and the core's Replies go out as Adaptive Cards: the turn
handler is ``handler.py``, the message extension ``extension.py``, roster look-ups
``roster.py``, what one turn shares ``turn.py``.

The Bot Framework SDK (botbuilder) appears in this folder only: it authenticates the
request (Bot Framework JWT when an app id is configured), gives us a connector client for
the activity's ``serviceUrl`` and sends. Reading activities (``activities.py``) and building
cards (``cards.py``) work on plain JSON, so swapping the archived SDK for the
Microsoft 365 Agents SDK touches this folder alone.

Everything is translation: the core decides, this folder reads activities and
renders replies. Database work runs in threads (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity

from integrations.spreadsheet.links import SummaryLinks
from integrations.teams import activities as act
from integrations.teams.handler import JoinedupTeamsBot
from integrations.teams.turn import AUTHENTICATED, RAW_ACTIVITY
from storage.database import Database

log = logging.getLogger(__name__)


class TeamsConfig(Protocol):
    """What the endpoint needs from settings (``bot.settings.TeamsSettings`` fits)."""

    @property
    def app_id(self) -> str | None: ...
    @property
    def app_password(self) -> str | None: ...
    @property
    def tenant_id(self) -> str | None: ...
    @property
    def app_type(self) -> str: ...
    @property
    def service_hosts(self) -> tuple[str, ...]: ...


class _BotFrameworkConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, config: TeamsConfig) -> None:
        self.APP_ID = config.app_id or ""
        self.APP_PASSWORD = config.app_password or ""
        self.APP_TENANTID = config.tenant_id or ""
        self.APP_TYPE = config.app_type or "MultiTenant"


def make_adapter(config: TeamsConfig) -> CloudAdapter:
    """A CloudAdapter authenticated from settings (with no app id: anonymous)."""
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(_BotFrameworkConfig(config)))


@dataclass
class TeamsEndpoint:
    """What ``mount_teams`` built: the adapter (for proactive sends) and the bot's app id."""

    adapter: CloudAdapter
    app_id: str
    bot: JoinedupTeamsBot
    anonymous: bool


def mount_teams(
    app: web.Application,
    *,
    db: Database,
    config: TeamsConfig,
    on_change: Callable[[], None] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    path: str = "/api/messages",
    summary_links: SummaryLinks | None = None,
    web_origin: str | None = None,
) -> TeamsEndpoint:
    """Add ``POST /api/messages`` to ``app``. With no app id the bot accepts unsigned
    requests (local use with a fake or the emulator); the start-up log says which.
    ``summary_links`` signs a ``summary``'s download link (none without it); ``web_origin``
    is where the live view answers, for the links replies carry."""
    anonymous = not config.app_id
    # msrest warns about every channelData field its models lack (teamsChannelId, ...).
    logging.getLogger("msrest.serialization").setLevel(logging.ERROR)
    adapter = make_adapter(config)
    bot = JoinedupTeamsBot(
        db=db,
        adapter=adapter,
        app_id=config.app_id or "",
        on_change=on_change,
        clock=clock or (lambda: dt.datetime.now(dt.UTC)),
        summary_links=summary_links,
        web_origin=web_origin,
        service_hosts=tuple(config.service_hosts),
        anonymous=anonymous,
    )

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        if turn_context.activity.type == "event":  # a proactive send: the sender reports it
            return
        log.error("Teams turn failed", exc_info=error)

    adapter.on_turn_error = on_turn_error

    async def messages(request: web.Request) -> web.StreamResponse:
        return await handle_request(request, adapter, bot)

    app.router.add_post(path, messages)
    if anonymous:
        log.warning(
            "Teams: anonymous mode (MICROSOFT_APP_ID is not set): %s accepts unsigned "
            "requests; for local use only",
            path,
        )
    else:
        log.info(
            "Teams: configured for app id %s (%s)%s at %s",
            config.app_id,
            config.app_type,
            f", tenant {config.tenant_id}" if config.tenant_id else "",
            path,
        )
    return TeamsEndpoint(adapter=adapter, app_id=config.app_id or "", bot=bot, anonymous=anonymous)


async def handle_request(
    request: web.Request, adapter: CloudAdapter, bot: JoinedupTeamsBot
) -> web.StreamResponse:
    """The HTTP side of one activity (CloudAdapter.process, with JSON invoke bodies).

    Everything that can throw on a stranger's input happens under a 4xx: the JSON is
    checked for depth before it is parsed, the activity's shape before the SDK reads it,
    the token, then its serviceUrl against the allow-list, all before anything is stored.
    """
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _refuse(415, "expected application/json")
    raw_body = await request.read()
    if act.too_deep(raw_body):
        return _refuse(400, "the JSON is nested too deeply")
    try:
        body = json.loads(raw_body)
    except (ValueError, RecursionError):
        return _refuse(400, "the body is not JSON")
    problem = act.malformed(body)
    if problem is not None:
        return _refuse(400, problem)
    try:
        activity = Activity().deserialize(body)
    except Exception:  # msrest's DeserializationError and friends: a shape it cannot read
        return _refuse(400, "not a Bot Framework activity")
    header = request.headers.get("Authorization", "")
    try:
        auth = await authenticate(adapter, activity, header)
    except requests.RequestException as exc:
        # The Bot Framework's keys could not be fetched: we cannot tell, so the sender is
        # asked to retry rather than told the token is bad.
        log.warning("Teams: could not fetch the token signing keys: %s", exc)
        return _refuse(503, "cannot verify the request now")
    except Exception as exc:
        # Forged, expired, wrong audience, unknown key, not a JWT at all...: unauthorized.
        log.info("Teams: refused an unauthenticated request (%s)", type(exc).__name__)
        return _refuse(401, "unauthorized")
    if not bot.service_url_allowed(str(body.get("serviceUrl") or "")):
        log.info("Teams: refused an activity for a serviceUrl outside the allow-list")
        return _refuse(403, "serviceUrl not allowed")
    token = RAW_ACTIVITY.set(body)
    authenticated = AUTHENTICATED.set(not bot.anonymous)
    try:
        invoke = await adapter.process_activity(auth, activity, bot.on_turn)
    finally:
        RAW_ACTIVITY.reset(token)
        AUTHENTICATED.reset(authenticated)
    if invoke is None:
        return web.Response(status=201)
    payload = invoke.body
    if payload is not None and not isinstance(payload, dict | list):
        payload = payload.serialize() if hasattr(payload, "serialize") else None
    return web.json_response(payload, status=int(invoke.status or 200))


async def authenticate(adapter: CloudAdapter, activity: Activity, header: str) -> Any:
    """The SDK's token check, in a worker thread with its own event loop: botframework's
    OpenID metadata and key fetch (``_OpenIdMetadata._refresh``) uses blocking ``requests``
    inside an ``async`` function, which would stall every other request on our loop."""

    def check() -> Any:
        return asyncio.run(
            adapter.bot_framework_authentication.authenticate_request(activity, header)
        )

    return await asyncio.to_thread(check)


def _refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
