"""Joinedup's Slack app: a bolt ``AsyncApp`` whose listeners translate Slack into
Invocations for the command core and render its Replies as Block Kit.

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

import asyncio
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from commands import actions as a
from commands.capture import channel_today, log_command, reaction_kind, suggestion_for
from commands.dispatch import dispatch, run
from commands.extraction import extract
from commands.home import show_home
from commands.invocation import ChannelRef, Invocation, ReplyAddress
from commands.language import CommandError
from commands.reply import Reply, error
from integrations.slack import blocks as bk
from integrations.slack import direct
from integrations.slack.client import web_client
from integrations.slack.notifier import SlackNotifier, TokenSource, single_token
from integrations.slack.people import MENTION, PLATFORM, SlackPeople, normalise_text
from storage.database import Database
from storage.inbound import claim
from storage.models import utcnow

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

# The slash commands and the words of the command language each one starts with.
SLASH_COMMANDS: dict[str, str] = {
    "/joinedup": "",
    "/decision": "decision",
    "/commit": "commit",
    "/owner": "who owns",
    "/summary": "summary",
}
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

# The lead wires the weekly summary's spreadsheet: (team id, ISO week) -> (filename, bytes).
SummaryFile = Callable[[int, str], tuple[str, bytes]]
Clock = Callable[[], dt.datetime]


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


class RetryLater(Exception):
    """Nothing was saved because of a fault on our side: answer 500 so that Slack retries."""


async def _in_direct_message(event: dict[str, Any]) -> bool:
    return direct.is_direct_message(event)


def body_hash(request: Any) -> str:
    """The fallback idempotency key: a hash of the signed body (the same bytes when Slack
    delivers the same request again)."""
    raw = getattr(request, "raw_body", "") or ""
    return hashlib.sha256(raw.encode() if isinstance(raw, str) else raw).hexdigest()


def _response_type(reply: Reply) -> str:
    """A record for the channel (its author is in the headline); help, lists and errors for
    the user alone."""
    return "in_channel" if reply.ok and reply.visibility == "channel" else "ephemeral"


class JoinedupSlack:
    """The Slack adapter: ``bolt`` (the AsyncApp), ``mount(web_app)``, ``notifier``."""

    def __init__(
        self,
        config: SlackConfig,
        db: Database,
        *,
        summary_file: SummaryFile | None = None,
        clock: Clock = utcnow,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.summary_file = summary_file
        # Called on the event loop after each command: wakes the outbox worker so the
        # other platform hears of the change at once rather than at its next tick.
        self.on_change = on_change
        self.clock = clock
        self.people = SlackPeople(db)
        self._verifier = SignatureVerifier(config.signing_secret)
        self._tasks: set[asyncio.Future[None]] = set()
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
        self._register()

    async def _installed_token(self, tenant: str) -> str | None:
        assert self.installations is not None
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=tenant)
        return bot.bot_token if bot else None

    # --- HTTP ------------------------------------------------------------------------------

    def mount(self, app: web.Application) -> None:
        """Add /slack/events (and in OAuth mode /slack/install, /slack/oauth_redirect)."""
        app.router.add_post(EVENTS_PATH, self._handle_events)
        if self.bolt.oauth_flow is not None:
            app.router.add_get(INSTALL_PATH, self._handle_install)
            app.router.add_get(REDIRECT_PATH, self._handle_redirect)

    async def _handle_events(self, request: web.Request) -> web.Response:
        # Verify the signature and timestamp here, before anything parses the body: an
        # unsigned request is a 401 and its body is never logged (bolt's own check logs the
        # whole body of a badly signed request at INFO). bolt checks again; it then passes.
        body = await request.read()
        if not self._verified(request, body):
            return web.Response(status=401, text="invalid signature\n")
        try:
            bolt_request = await to_bolt_request(request)
            response = await self.bolt.async_dispatch(bolt_request)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # Signed by Slack but not a body we can read (bad JSON, a payload that is not
            # an object, ...): the sender's mistake, a 400, and nothing written.
            log.info("Slack: unreadable signed request (%s)", type(exc).__name__)
            return web.Response(status=400, text="malformed request\n")
        return await to_aiohttp_response(response)

    def _verified(self, request: web.Request, body: bytes) -> bool:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp.isascii() or not timestamp.isdigit() or not signature.isascii():
            return False
        return self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature)

    async def _handle_install(self, request: web.Request) -> web.Response:
        assert self.bolt.oauth_flow is not None
        response = await self.bolt.oauth_flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _handle_redirect(self, request: web.Request) -> web.Response:
        assert self.bolt.oauth_flow is not None
        response = await self.bolt.oauth_flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    # --- listeners -------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.bolt
        for name in SLASH_COMMANDS:
            app.command(name)(self.on_command)
        app.shortcut(bk.SHORTCUT_DECISION)(self.on_shortcut)
        app.shortcut(bk.SHORTCUT_COMMITMENT)(self.on_shortcut)
        app.view(bk.LOG_MODAL)(self.on_log_submitted)
        app.action(re.compile(f"^{bk.BUTTON_ACTION}:"))(self.on_button)
        app.action(re.compile(f"^{bk.PICK_ACTION}:"))(self.on_button)
        app.action(re.compile(f"^{bk.PAGE_ACTION}:"))(self.on_page)
        app.action(bk.SUGGEST_LOG_ACTION)(self.on_suggestion_taken)
        app.action(bk.SUGGEST_DISMISS_ACTION)(self.on_suggestion_dismissed)
        # A DM to the app is a command; registered first, so on_message never sees one.
        app.event("message", matchers=[_in_direct_message])(self.on_direct_message)
        app.action(bk.MEASURE_VALUE_ACTION)(self.on_measure_value)
        app.event("message")(self.on_message)
        app.event("reaction_added")(self.on_reaction)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("app_mention")(self.on_mention)
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

    async def on_command(
        self, ack: Any, command: dict[str, Any], client: AsyncWebClient, request: Any
    ) -> None:
        verb = SLASH_COMMANDS.get(command.get("command", ""), "")
        text = (command.get("text") or "").strip()
        line = f"{verb} {text}".strip() if verb else (text or "help")
        team_id = command["team_id"]
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=command["user_id"],
            text=line,
            channel_id=command.get("channel_id"),
            channel_name=command.get("channel_name"),
            # Slash commands carry no id of their own; the trigger id is unique per use.
            key=f"command:{command.get('trigger_id') or body_hash(request)}",
        )
        reply = await self._run(invocation)
        # Slack's 3 seconds: this listener runs before the response (process_before_response),
        # so the record above is committed before this ack; the reply travels in the ack.
        if reply.duplicate:
            await ack()
            return
        if reply.ok and reply.summary is not None and self.summary_file:
            await ack()  # the spreadsheet (a read: nothing to lose) follows as a file
            channel = command.get("channel_id")
            if channel:
                self._background(self._share_summary(client, reply, channel=channel))
            return
        await ack(response_type=_response_type(reply), **bk.message(reply))

    async def on_shortcut(
        self, ack: Any, shortcut: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        kind = "decision" if shortcut["callback_id"] == bk.SHORTCUT_DECISION else "commitment"
        source = shortcut.get("message") or {}
        await self._open_log_form(
            client,
            kind=kind,
            trigger_id=shortcut["trigger_id"],
            team_id=context.team_id or shortcut["team"]["id"],
            channel=shortcut["channel"]["id"],
            source=source,
        )
        await ack()

    async def _open_log_form(
        self,
        client: AsyncWebClient,
        *,
        kind: str,
        trigger_id: str,
        team_id: str,
        channel: str,
        source: dict[str, Any],
    ) -> None:
        text, _ = normalise_text(source.get("text") or "")
        ref = ChannelRef(platform=PLATFORM, tenant=team_id, channel_id=channel)
        today = await asyncio.to_thread(self._read, channel_today, channel=ref, now=self.clock())
        found = extract(text, today=today)
        owner = source.get("user")
        if found.owner and (mention := MENTION.fullmatch(found.owner)):
            owner = mention.group(1)
        ts = source.get("ts", "")
        permalink = await self._permalink(client, channel, ts)
        view = bk.log_modal(
            kind=kind,
            text=found.text if found.kind != "none" else text,
            owner_user_id=owner,
            due=found.due if kind == "commitment" else None,
            metadata={
                "team": team_id,
                "channel": channel,
                "ts": ts,
                "thread": source.get("thread_ts") or ts,
                "permalink": permalink,
            },
        )
        await client.views_open(trigger_id=trigger_id, view=view)

    async def on_log_submitted(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        kind = meta.get("kind", "decision")
        values = view["state"]["values"]

        def value(block: str, key: str = "value") -> str:
            return str((values.get(block, {}).get("value") or {}).get(key) or "").strip()

        text = " ".join(value(bk.TEXT_BLOCK).split())
        if not text:
            await ack(response_action="errors", errors={bk.TEXT_BLOCK: f"Say what the {kind} is."})
            return
        # The form's fields become a typed command: nothing is turned back into command
        # text to be parsed again (a rationale saying "because", a text ending "by hand").
        command: a.Command
        label = kind
        if kind == "decision":
            rationale = " ".join(value(bk.RATIONALE_BLOCK).split()) or None
            command = a.LogDecision(text=text, rationale=rationale)
        else:
            owner = value(bk.OWNER_BLOCK, "selected_user")
            if not owner:
                await ack(response_action="errors", errors={bk.OWNER_BLOCK: "Who owns it?"})
                return
            due = value(bk.DUE_BLOCK, "selected_date") or None
            command = a.LogCommitment(owner=f"<@{owner}>", text=text, when=due)
            label = f"commitment (log form) <@{owner}>"  # resolves the owner's mention
        user_id = body["user"]["id"]
        team_id = meta.get("team") or body["team"]["id"]
        channel = meta.get("channel")
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=user_id,
            text=label,
            channel_id=channel,
            source_link=meta.get("permalink"),
            key=f"view:{view['id']}",
            # The record goes under the message it came from; a refusal rides on the ack
            # (the form shows it), so only a logged record is queued.
            reply_to=self._address(
                team_id, channel=channel, user=user_id, thread_ts=meta.get("thread")
            ),
            refusals_queued=False,
        )
        reply = await self._run(invocation, command)
        if reply.retry:
            raise RetryLater()
        if not reply.ok and not reply.duplicate:
            # The core says which field a refusal is about; one this form lacks goes on
            # the text.
            blocks = (
                {"owner": bk.OWNER_BLOCK, "due": bk.DUE_BLOCK}
                if kind == "commitment"
                else {"rationale": bk.RATIONALE_BLOCK}
            )
            block = blocks.get(reply.field or "", bk.TEXT_BLOCK)
            await ack(response_action="errors", errors={block: reply.headline[:150]})
            return
        await ack()  # committed (or a resubmission already logged): close the form

    async def on_button(
        self,
        ack: Any,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        press = bk.read_button(action)
        command = press.command
        if action.get("type") == "users_select":
            if not action.get("selected_user"):
                await ack()
                return
            command += f" <@{action['selected_user']}>"
        user_id = body["user"]["id"]
        team_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))
        container = body.get("container") or {}
        channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
        response_url = body.get("response_url")
        on_home = container.get("type") == "view"
        source = body.get("message") or {}
        one_record = sum(1 for b in source.get("blocks", []) if b.get("type") == "actions") <= 1
        private: dict[str, Any]
        if response_url:
            private = {"tenant": team_id, "user": user_id, "response_url": response_url}
        elif channel_id and not on_home:
            private = self._address(team_id, channel=channel_id, user=user_id, ephemeral=True)
        else:
            private = self._address(team_id, channel=None, user=user_id)  # the app's DM
        public: dict[str, Any] | None
        if on_home:
            public = None  # the home page is published again below
        elif not container.get("is_ephemeral") and one_record and container.get("message_ts"):
            # The record's own message: show its new state in place.
            public = {
                **(
                    private
                    if response_url
                    else self._address(team_id, channel=channel_id, user=user_id)
                ),
                "update_ts": str(container["message_ts"]),
            }
        else:
            public = (
                dict(private)
                if response_url
                else self._address(team_id, channel=channel_id, user=user_id)
            )
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=user_id,
            text=command,
            channel_id=channel_id,
            team=press.team_id,
            key=f"action:{user_id}:{action.get('action_id')}:{action.get('action_ts')}",
            reply_to=ReplyAddress(platform=PLATFORM, address=public, private=private),
        )
        reply = await self._run(invocation)
        if reply.retry:
            raise RetryLater()
        await ack()
        if on_home and not reply.duplicate:
            # The home page shows the new state (a view, not a record: nothing to lose).
            self._background(self._publish_home(client, team_id=team_id, user_id=user_id))

    async def on_page(
        self,
        ack: Any,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: Any,
    ) -> None:
        """A list's Previous / Next: run the list from the button's position and show the
        page in place of the message that held the button (a read: nothing to claim)."""
        press = bk.read_button(action)
        user_id = body["user"]["id"]
        team_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))
        container = body.get("container") or {}
        channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=user_id,
            text=press.command,
            channel_id=channel_id,
            team=press.team_id,
            key=f"page:{user_id}:{action.get('action_id')}:{action.get('action_ts')}",
        )
        reply = await self._run(invocation)
        if reply.retry:
            raise RetryLater()
        await ack()
        await respond(replace_original=True, **bk.message(reply, team_id=press.team_id))

    async def on_direct_message(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        """A message in the app's DM (Messages tab): a command, answered in the DM through
        the outbox (an event's answer cannot ride on its acknowledgement)."""
        text = direct.command_text(event, context.bot_user_id)
        if text is None:
            return
        team_id = str(context.team_id or event.get("team") or "")
        channel = event["channel"]
        here = self._address(team_id, channel=channel, user=event["user"])
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=event["user"],
            text=text,
            channel_id=channel,
            key=f"event:{body.get('event_id') or channel + ':' + event['ts']}",
            # In the DM everything is for the person: a plain post, never an ephemeral.
            reply_to=ReplyAddress(platform=PLATFORM, address=here, private=here),
        )
        reply = await self._run_event(invocation)
        if reply.ok and reply.summary is not None and self.summary_file and not reply.duplicate:
            self._background(self._share_summary(client, reply, channel=channel))

    async def on_measure_value(
        self,
        ack: Any,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: Any,
    ) -> None:
        """A value typed into a nudge's input block (Enter sends block_actions): the typed
        ``RecordMeasureValue``, run as whoever typed it in the measure's team, answered in
        the same conversation. A value that is not a number gets the reason; nothing is
        written."""
        user_id = body["user"]["id"]
        team_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))
        try:
            entry = bk.read_measure_value(action)
        except CommandError as exc:
            await ack()
            await respond(replace_original=False, **bk.message(error(exc.message, usage=exc.usage)))
            return
        except ValueError:
            log.warning("Slack: a measure value input with a block id not ours: %r", action)
            await ack()
            return
        response_url = body.get("response_url")
        here = (
            {"tenant": team_id, "user": user_id, "response_url": response_url}
            if response_url
            else self._address(team_id, channel=None, user=user_id)  # the app's DM
        )
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=user_id,
            text="",
            channel_id=None,
            team=entry.team_id,
            key=f"action:{user_id}:{action.get('action_id')}:{action.get('action_ts')}",
            reply_to=ReplyAddress(platform=PLATFORM, address=here, private=here),
        )
        # Committed (with its answer queued) before the acknowledgement.
        reply = await self._run(invocation, entry.command)
        if reply.retry:
            raise RetryLater()
        await ack()

    async def on_suggestion_taken(
        self,
        ack: Any,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: Any,
    ) -> None:
        await ack()
        wanted = json.loads(action.get("value") or "{}")
        team_id = body["team"]["id"]
        source = await self._fetch_message(client, wanted["channel"], wanted["ts"])
        if source is None:
            await respond(replace_original=True, text="I can't find that message any more.")
            return
        await self._open_log_form(
            client,
            kind=wanted.get("kind", "decision"),
            trigger_id=body["trigger_id"],
            team_id=team_id,
            channel=wanted["channel"],
            source=source,
        )
        await respond(delete_original=True)

    async def on_suggestion_dismissed(self, ack: Any, respond: Any) -> None:
        await ack()
        await respond(delete_original=True)

    async def on_message(self, event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        # Edits, joins and bots' messages are not suggestions; nor is a message addressed
        # to us (app_mention runs it as a command).
        if not direct.is_read(event):  # plain, file_share and thread_broadcast messages only
            return
        text = event.get("text") or ""
        if context.bot_user_id and f"<@{context.bot_user_id}" in text:
            return
        team_id = str(context.team_id or event.get("team") or "")
        channel, ts = event["channel"], event["ts"]
        ref = ChannelRef(platform=PLATFORM, tenant=team_id, channel_id=channel)
        normalised, _ = normalise_text(text)
        found = await asyncio.to_thread(
            self._read, suggestion_for, channel=ref, text=normalised, now=self.clock()
        )
        if found is None:
            return
        # A hint, not a record: one per message whatever Slack retries, claimed before it
        # is posted (a hint lost to a crash in between is not worth a second one).
        if not await asyncio.to_thread(
            self._claim, "slack-suggestion", f"{team_id}:{channel}:{ts}"
        ):
            return
        await client.chat_postEphemeral(
            channel=channel,
            user=event["user"],
            thread_ts=event.get("thread_ts"),
            **bk.suggestion(kind=found.kind, text=found.text, channel=channel, ts=ts),
        )

    async def on_reaction(
        self, event: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message":
            return
        team_id = context.team_id
        channel, ts = item["channel"], item["ts"]
        ref = ChannelRef(platform=PLATFORM, tenant=team_id, channel_id=channel)
        kind = await asyncio.to_thread(
            self._read, reaction_kind, channel=ref, reaction=event.get("reaction", "")
        )
        if kind is None:
            return
        source = await self._fetch_message(client, channel, ts)
        if source is None:
            return
        author = source.get("user") or event.get("item_user") or event["user"]
        text, _ = normalise_text(source.get("text") or "")
        today = await asyncio.to_thread(self._read, channel_today, channel=ref, now=self.clock())
        line = log_command(kind, extract(text, today=today), author=f"<@{author}>")
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=event["user"],
            text=line,
            channel_id=channel,
            source_link=await self._permalink(client, channel, ts),
            # Per message and kind: a retried event, or a second person adding the same
            # reaction, logs nothing more.
            key=f"reaction:{team_id}:{channel}:{ts}:{kind}",
            reply_to=self._address(
                team_id,
                channel=channel,
                user=event["user"],
                thread_ts=source.get("thread_ts") or ts,
            ),
        )
        await self._run_event(invocation)

    async def on_mention(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        text = event.get("text") or ""
        if context.bot_user_id:
            text = re.sub(rf"<@{re.escape(context.bot_user_id)}(?:\|[^>]*)?>", " ", text)
        team_id = context.team_id
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=event["user"],
            text=text.strip() or "help",
            channel_id=event["channel"],
            key=f"event:{body.get('event_id') or event['ts']}",
            reply_to=self._address(
                team_id,
                channel=event["channel"],
                user=event["user"],
                thread_ts=event.get("thread_ts"),
            ),
        )
        reply = await self._run_event(invocation)
        if reply.ok and reply.summary is not None and self.summary_file and not reply.duplicate:
            self._background(self._share_summary(client, reply, channel=event["channel"]))

    async def on_home_opened(
        self, event: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        await self._publish_home(client, team_id=context.team_id, user_id=event["user"])

    # --- the road to the core and back ----------------------------------------------------

    @staticmethod
    def _address(
        tenant: str,
        *,
        channel: str | None,
        user: str,
        thread_ts: str | None = None,
        ephemeral: bool = False,
    ) -> dict[str, Any]:
        return {
            "tenant": tenant,
            "channel": channel,
            "thread_ts": thread_ts,
            "user": user,
            "ephemeral": ephemeral,
        }

    async def _invocation(
        self,
        client: AsyncWebClient,
        *,
        team_id: str,
        user_id: str,
        text: str,
        channel_id: str | None,
        key: str,
        channel_name: str | None = None,
        source_link: str | None = None,
        team: int | None = None,
        reply_to: dict[str, Any] | ReplyAddress | None = None,
        refusals_queued: bool = True,
    ) -> Invocation:
        normalised, mentioned = normalise_text(text)
        # A lone actor comes from the cache: ``account`` lets the core check in its own
        # transaction who holds the account now.
        persons = await self.people.resolve(client, team_id, [user_id, *mentioned], cached=True)
        channel = (
            ChannelRef(
                platform=PLATFORM,
                tenant=team_id,
                channel_id=channel_id,
                name=channel_name
                if channel_name not in (None, "directmessage", "privategroup")
                else None,
                direct=direct.is_direct_channel(channel_id, channel_name),
            )
            if channel_id
            else None
        )
        address: ReplyAddress | None
        if isinstance(reply_to, dict):
            # A record for the channel (its author is in the headline); help, lists and
            # errors for the user alone.
            address = ReplyAddress(
                platform=PLATFORM,
                address=reply_to,
                private={**reply_to, "ephemeral": True} if reply_to.get("channel") else reply_to,
                refusals=refusals_queued,
            )
        elif reply_to is not None:
            address = replace(reply_to, refusals=refusals_queued)
        else:
            address = None
        return Invocation(
            text=normalised,
            person_id=persons[user_id],
            platform=PLATFORM,
            now=self.clock(),
            channel=channel,
            team_id=team,
            mentions={f"<@{u}>": persons[u] for u in mentioned},
            source_link=source_link,
            idempotency_key=key,
            reply_address=address,
            account=(team_id, user_id),
        )

    async def _run(self, invocation: Invocation, command: a.Command | None = None) -> Reply:
        """Dispatch in a worker thread (``command``: a form's typed command, run as it is):
        the claim, the record and any queued reply commit together before this returns."""
        uow = self.db.watched()
        if command is None:
            reply = await asyncio.to_thread(dispatch, invocation, uow)
        else:
            reply = await asyncio.to_thread(run, command, invocation, uow)
        # Wake the delivery loop only when the command queued a message (an announcement,
        # a reply): a kick costs the loop a lease query in a write transaction.
        if self.on_change is not None and uow.queued:
            self.on_change()
        return reply

    async def _run_event(self, invocation: Invocation) -> Reply:
        """An event's command: a fault of ours raises, so the event gets a 500 and Slack
        delivers it again (its retry is deduplicated by the event id's claim)."""
        reply = await self._run(invocation)
        if reply.retry:
            raise RetryLater()
        return reply

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` (a read's follow-up: a file, a home page) after the response; kept
        so that it is not garbage-collected mid-flight, and logged if it fails."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def done(finished: asyncio.Future[None]) -> None:
            self._tasks.discard(task)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("Slack follow-up failed", exc_info=finished.exception())

        task.add_done_callback(done)

    def _claim(self, source: str, key: str) -> bool:
        with self.db.uow() as uow:
            fresh = claim(uow.session, source=source, key=key)
            uow.commit()
            return fresh

    def _read(self, query: Callable[..., Any], **kwargs: Any) -> Any:
        with self.db.reader() as uow:
            return query(uow.session, **kwargs)

    async def _share_summary(self, client: AsyncWebClient, reply: Reply, *, channel: str) -> None:
        assert self.summary_file is not None and reply.summary is not None
        filename, content = await asyncio.to_thread(
            self.summary_file, reply.summary.team_id, reply.summary.week
        )
        await client.files_upload_v2(
            channel=channel,
            file=content,
            filename=filename,
            title=filename,
            initial_comment=reply.to_text(),
        )

    async def _publish_home(self, client: AsyncWebClient, *, team_id: str, user_id: str) -> None:
        persons = await self.people.resolve(client, team_id, [user_id])
        reply = await asyncio.to_thread(
            show_home, person_id=persons[user_id], now=self.clock(), uow=self.db.uow
        )
        await client.views_publish(user_id=user_id, view=bk.home_view(reply))

    async def _permalink(self, client: AsyncWebClient, channel: str, ts: str) -> str | None:
        try:
            response = await client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError as exc:
            log.info("chat.getPermalink failed: %s", exc.response.get("error"))
            return None
        return response.get("permalink")

    async def _fetch_message(
        self, client: AsyncWebClient, channel: str, ts: str
    ) -> dict[str, Any] | None:
        """One message by its ts: from the channel's history, or from a thread."""
        try:
            found = await client.conversations_history(
                channel=channel, latest=ts, inclusive=True, limit=1
            )
            for msg in found.get("messages") or []:
                if msg.get("ts") == ts:
                    return dict(msg)
            replies = await client.conversations_replies(channel=channel, ts=ts, limit=1)
            for msg in replies.get("messages") or []:
                if msg.get("ts") == ts:
                    return dict(msg)
        except SlackApiError as exc:
            log.info("could not read message %s in %s: %s", ts, channel, exc.response.get("error"))
        return None
