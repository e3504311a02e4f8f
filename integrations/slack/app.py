"""Joinedup's Slack app: a bolt ``AsyncApp`` whose listeners translate Slack into
Invocations for the command core and render its Replies as Block Kit.

This module sets the app up and registers every listener in one place (``_register``);
the listeners live in ``forms.py`` (commands and the log form), ``buttons.py`` (buttons,
paging, measure inputs) and ``events.py`` (messages, DMs, reactions, mentions, home), the
road to the core in ``road.py``, the HTTP routes and signature check in ``http.py``.

Commit before acknowledging. The app runs with ``process_before_response=True``: bolt sends
the HTTP response only when the listener returns, so each listener runs the core (in a
thread) and the record is committed BEFORE Slack gets its 200. Slack's three seconds: a
command is milliseconds of database work, and the server caps the requests in flight
(``bot.server``) so that the wait stays far below that; past the cap Slack is told at once
that we are busy and nothing is saved.

Where the answer goes: a slash command's reply rides in the acknowledgement itself
(``ack(response_type=..., blocks=..., text=...)``); a form's errors ride in its
acknowledgement too. Anything that cannot (the reply to an app_mention, to a reaction, a
button's in-place update, the log form's thread post, a DM) is written by ``dispatch`` as an
outbox row in the record's own transaction (``Invocation.reply_address``) and delivered by
the delivery engine.

Retries: every Invocation carries an idempotency key (event id, trigger id, view id, action
ts, or a hash of the signed body), claimed by ``commands.dispatch`` in the same transaction
as the record, so a retried event, a double-delivered interaction or a replayed slash
command writes nothing the second time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse

from integrations.slack import blocks as bk
from integrations.slack import direct
from integrations.slack.buttons import Buttons
from integrations.slack.client import web_client
from integrations.slack.events import Events
from integrations.slack.forms import SLASH_COMMANDS, Forms
from integrations.slack.http import INSTALL_PATH, REDIRECT_PATH, SlackHttp
from integrations.slack.notifier import SlackNotifier, TokenSource, single_token
from integrations.slack.people import SlackPeople
from integrations.slack.road import Clock, RetryLater, Road
from storage.database import Database
from storage.models import utcnow

log = logging.getLogger(__name__)

BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:history",
    "groups:history",
    "im:history",
    "reactions:read",
    "users:read",
    "users:read.email",
    "im:write",
    "files:write",
    "app_mentions:read",
)


@dataclass(frozen=True)
class SlackConfig:
    """What the Slack app needs from the settings: a bot token (one workspace) or an OAuth
    client id and secret (many workspaces), the signing secret, and the Web API URL."""

    signing_secret: str
    bot_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    api_url: str | None = None

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)


async def _in_direct_message(event: dict[str, Any]) -> bool:
    return direct.is_direct_message(event)


class JoinedupSlack:
    """The Slack adapter: ``bolt`` (the AsyncApp), ``mount(web_app)``, and ``notifier``, the
    delivery engine's way out to Slack through the same client and tokens. ``web_origin``:
    where the live view answers (``Settings.web_origin``), for the links replies carry."""

    def __init__(
        self,
        config: SlackConfig,
        db: Database,
        *,
        web_origin: str | None = None,
        clock: Clock = utcnow,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.people = SlackPeople(db)
        self.road = Road(db, self.people, clock=clock, web_origin=web_origin, on_change=on_change)
        self.forms = Forms(self.road)
        self.buttons = Buttons(self.road)
        self.events = Events(self.road)
        self.client = web_client(token=config.bot_token, api_url=config.api_url)
        if config.oauth:
            # slack-sdk's SQLAlchemy stores need sqlalchemy[asyncio]: imported in OAuth mode only.
            from integrations.slack.oauth import InstallationStore, StateStore

            assert config.client_id and config.client_secret
            self.installations: Any = InstallationStore(
                client_id=config.client_id, engine=db.engine
            )
            self.bolt = AsyncApp(
                signing_secret=config.signing_secret,
                client=self.client,
                process_before_response=True,
                oauth_settings=AsyncOAuthSettings(
                    client_id=config.client_id,
                    client_secret=config.client_secret,
                    scopes=list(BOT_SCOPES),
                    install_path=INSTALL_PATH,
                    redirect_uri_path=REDIRECT_PATH,
                    installation_store=self.installations,
                    state_store=StateStore(engine=db.engine),
                ),
            )
            tokens: TokenSource = self._installed_token
        else:
            assert config.bot_token, "a bot token or OAuth credentials"
            self.installations = None
            self.bolt = AsyncApp(
                signing_secret=config.signing_secret,
                client=self.client,  # the client holds the token
                process_before_response=True,
            )
            tokens = single_token(config.bot_token)
        self.notifier = SlackNotifier(db=db, tokens=tokens, api_url=config.api_url)
        self.http = SlackHttp(self.bolt, config.signing_secret)
        self._register()

    async def _installed_token(self, tenant: str) -> str | None:
        assert self.installations is not None
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=tenant)
        return bot.bot_token if bot else None

    # --- HTTP ------------------------------------------------------------------------------

    def mount(self, app: web.Application) -> None:
        """Add /slack/events (and in OAuth mode /slack/install, /slack/oauth_redirect)."""
        self.http.mount(app)

    # --- listeners -------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.bolt
        for name in SLASH_COMMANDS:
            app.command(name)(self.forms.on_command)
        app.shortcut(bk.SHORTCUT_DECISION)(self.forms.on_shortcut)
        app.shortcut(bk.SHORTCUT_COMMITMENT)(self.forms.on_shortcut)
        app.view(bk.LOG_MODAL)(self.forms.on_log_submitted)
        app.action(re.compile(f"^{bk.BUTTON_ACTION}:"))(self.buttons.on_button)
        app.action(re.compile(f"^{bk.PICK_ACTION}:"))(self.buttons.on_button)
        app.action(re.compile(f"^{bk.PAGE_ACTION}:"))(self.buttons.on_page)
        app.action(bk.SUGGEST_LOG_ACTION)(self.forms.on_suggestion_taken)
        app.action(bk.SUGGEST_DISMISS_ACTION)(self.forms.on_suggestion_dismissed)
        # A DM to the app is a command; registered first, so on_message never sees one.
        app.event("message", matchers=[_in_direct_message])(self.events.on_direct_message)
        app.action(bk.MEASURE_VALUE_ACTION)(self.buttons.on_measure_value)
        app.event("message")(self.events.on_message)
        app.event("reaction_added")(self.events.on_reaction)
        app.event("app_home_opened")(self.events.on_home_opened)
        app.event("app_mention")(self.events.on_mention)
        app.error(self.on_error)

    async def on_error(self, error: Exception) -> BoltResponse:
        """A listener that raised. A payload missing what Slack always sends is a 400 (the
        sender's fault, nothing written); a fault of ours (``RetryLater``, the database down)
        is a 500, so that Slack retries an event and nothing acknowledged is lost."""
        if isinstance(error, KeyError | TypeError | ValueError | AttributeError):
            log.info("Slack: malformed payload (%s: %s)", type(error).__name__, error)
            return BoltResponse(status=400, body="malformed request")
        if not isinstance(error, RetryLater):
            log.error("Slack listener failed", exc_info=error)
        return BoltResponse(status=500, body="")
