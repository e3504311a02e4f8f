"""Joinedup's Slack app: a bolt ``AsyncApp`` whose listeners translate Slack into
Invocations for the command core and render its Replies as Block Kit.

Slack's three seconds: every listener acknowledges first and then does the database work.
bolt (``process_before_response=False``, the default) sends the HTTP response as soon as
``ack()`` is called and lets the listener carry on; events are acknowledged by bolt before
the listener runs. The one exception is the log form's submission, whose answer
(close, or show the errors) depends on the result: it waits up to ``SUBMIT_WAIT`` seconds
for the core and otherwise closes the form and finishes in the background.

Retries: each write is guarded by an ``InboundEvent`` claim committed in the same
transaction as the record (see ``_run``), so a retried event, a double-delivered
interaction or a replayed slash command writes nothing the second time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from commands import actions as a
from commands.capture import channel_today, log_command, reaction_kind, suggestion_for
from commands.dispatch import dispatch, run
from commands.extraction import extract
from commands.home import show_home
from commands.invocation import ChannelRef, Invocation
from commands.language import CommandError
from commands.reply import Reply, error
from integrations.slack import blocks as bk
from integrations.slack.client import web_client
from integrations.slack.notifier import SlackNotifier, TokenSource, single_token
from integrations.slack.people import MENTION, PLATFORM, SlackPeople, normalise_text
from storage.database import Database, UnitOfWork
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
    "reactions:read",
    "users:read",
    "users:read.email",
    "im:write",
    "files:write",
    "app_mentions:read",
)
SUBMIT_WAIT = 2.0  # seconds of Slack's three that a form submission waits for the core

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


class AlreadyHandled(CommandError):
    """Raised inside the unit of work when its InboundEvent claim was taken before."""

    def __init__(self) -> None:
        super().__init__("Already handled.")


class _ClaimingUnitOfWork(UnitOfWork):
    """A unit of work that first claims ``(source, key)``: the claim commits with the record,
    or rolls back with it (a crash or an error leaves the retry free to try again)."""

    def __init__(self, db: Database, source: str, key: str, seen: list[bool]) -> None:
        super().__init__(db.sessions)
        self.source, self.key, self.seen = source, key, seen

    def __enter__(self) -> UnitOfWork:
        super().__enter__()
        try:
            fresh = claim(self.session, source=self.source, key=self.key)
        except BaseException:
            self.session.close()
            raise
        if not fresh:
            self.session.rollback()
            self.session.close()
            self.seen.append(True)
            raise AlreadyHandled()
        return self


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
        # bolt verifies the signature and timestamp (401 when either is wrong).
        return await to_aiohttp_response(
            await self.bolt.async_dispatch(await to_bolt_request(request))
        )

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
        app.action(bk.SUGGEST_LOG_ACTION)(self.on_suggestion_taken)
        app.action(bk.SUGGEST_DISMISS_ACTION)(self.on_suggestion_dismissed)
        app.action(bk.MEASURE_VALUE_ACTION)(self.on_measure_value)
        app.event("message")(self.on_message)
        app.event("reaction_added")(self.on_reaction)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("app_mention")(self.on_mention)

    async def on_command(
        self, ack: Any, command: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        await ack()  # within Slack's 3 seconds; the work below runs after the response
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
        )
        # Slash commands carry no id of their own; the trigger id is unique per use.
        key = command.get("trigger_id")
        reply = await self._run(invocation, ("slack-command", key) if key else None)
        if reply is not None:
            await self._answer(
                client,
                reply,
                team_id=team_id,
                channel=command.get("channel_id"),
                user=command["user_id"],
                respond=respond,
            )

    async def on_shortcut(
        self, ack: Any, shortcut: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        await ack()
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
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SUBMIT_WAIT
        meta = json.loads(view.get("private_metadata") or "{}")
        kind = meta.get("kind", "decision")
        values = view["state"]["values"]

        def value(block: str, key: str = "value") -> str:
            return str((values.get(block, {}).get("value") or {}).get(key) or "").strip()

        text = value(bk.TEXT_BLOCK)
        if not text:
            await ack(response_action="errors", errors={bk.TEXT_BLOCK: f"Say what the {kind} is."})
            return
        if kind == "decision":
            rationale = value(bk.RATIONALE_BLOCK)
            line = f"decision {text}" + (f" because {rationale}" if rationale else "")
        else:
            owner = value(bk.OWNER_BLOCK, "selected_user")
            if not owner:
                await ack(response_action="errors", errors={bk.OWNER_BLOCK: "Who owns it?"})
                return
            due = value(bk.DUE_BLOCK, "selected_date")
            line = f"commit <@{owner}> {text}" + (f" by {due}" if due else "")
        user_id = body["user"]["id"]
        team_id = meta.get("team") or body["team"]["id"]
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=user_id,
            text=line,
            channel_id=meta.get("channel"),
            source_link=meta.get("permalink"),
        )
        work = asyncio.ensure_future(self._run(invocation, ("slack-view", view["id"])))
        try:
            reply = await asyncio.wait_for(
                asyncio.shield(work), timeout=max(0.1, deadline - loop.time())
            )
        except TimeoutError:
            # Slack's 3 seconds are nearly up: close the form and finish in the background.
            await ack()
            reply = await work
            if reply is not None:
                await self._answer(
                    client,
                    reply,
                    team_id=team_id,
                    channel=meta.get("channel"),
                    user=user_id,
                    thread_ts=meta.get("thread"),
                )
            return
        if reply is not None and not reply.ok:
            block = (
                bk.OWNER_BLOCK
                if "who" in reply.headline.lower() and kind == "commitment"
                else bk.TEXT_BLOCK
            )
            await ack(response_action="errors", errors={block: reply.headline[:150]})
            return
        await ack()
        if reply is not None:
            await self._answer(
                client,
                reply,
                team_id=team_id,
                channel=meta.get("channel"),
                user=user_id,
                thread_ts=meta.get("thread"),
            )

    async def on_button(
        self,
        ack: Any,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: Any,
    ) -> None:
        await ack()
        press = bk.read_button(action)
        command = press.command
        if action.get("type") == "users_select":
            if not action.get("selected_user"):
                return
            command += f" <@{action['selected_user']}>"
        user_id = body["user"]["id"]
        team_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))
        container = body.get("container") or {}
        channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
        invocation = await self._invocation(
            client,
            team_id=team_id,
            user_id=user_id,
            text=command,
            channel_id=channel_id,
            team=press.team_id,
        )
        key = f"{user_id}:{action.get('action_id')}:{action.get('action_ts')}"
        reply = await self._run(invocation, ("slack-action", key))
        if reply is None:
            return
        if container.get("type") == "view":
            await self._publish_home(client, team_id=team_id, user_id=user_id)
            if not reply.ok:
                await self._post(client, channel=user_id, reply=reply)  # the app's DM
            return
        if not reply.ok:
            await self._answer(
                client, reply, team_id=team_id, channel=channel_id, user=user_id, respond=respond
            )
            return
        source = body.get("message") or {}
        one_record = sum(1 for b in source.get("blocks", []) if b.get("type") == "actions") <= 1
        if container.get("is_ephemeral") or not one_record or not channel_id:
            await respond(replace_original=False, **bk.message(reply))
            return
        # The record's own message: show its new state in place.
        await client.chat_update(
            channel=channel_id, ts=str(container.get("message_ts")), **bk.message(reply)
        )

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
        await ack()
        user_id = body["user"]["id"]
        team_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))
        try:
            entry = bk.read_measure_value(action)
        except CommandError as exc:
            await respond(replace_original=False, **bk.message(error(exc.message, usage=exc.usage)))
            return
        except ValueError:
            log.warning("Slack: a measure value input with a block id not ours: %r", action)
            return
        invocation = await self._invocation(
            client, team_id=team_id, user_id=user_id, text="", channel_id=None, team=entry.team_id
        )
        key = f"{user_id}:{action.get('action_id')}:{action.get('action_ts')}"
        reply = await self._run(invocation, ("slack-action", key), command=entry.command)
        if reply is not None:
            await respond(replace_original=False, **bk.message(reply))

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
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
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
        # One suggestion per message, whatever Slack retries: claimed before it is posted.
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
        )
        # Per message and kind: a retried event, or a second person adding the same
        # reaction, logs nothing more.
        reply = await self._run(invocation, ("slack-reaction", f"{team_id}:{channel}:{ts}:{kind}"))
        if reply is not None:
            await self._answer(
                client,
                reply,
                team_id=team_id,
                channel=channel,
                user=event["user"],
                thread_ts=source.get("thread_ts") or ts,
            )

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
        )
        reply = await self._run(invocation, ("slack-event", body.get("event_id") or event["ts"]))
        if reply is not None:
            await self._answer(
                client,
                reply,
                team_id=team_id,
                channel=event["channel"],
                user=event["user"],
                thread_ts=event.get("thread_ts"),
            )

    async def on_home_opened(
        self, event: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        await self._publish_home(client, team_id=context.team_id, user_id=event["user"])

    # --- the road to the core and back ----------------------------------------------------

    async def _invocation(
        self,
        client: AsyncWebClient,
        *,
        team_id: str,
        user_id: str,
        text: str,
        channel_id: str | None,
        channel_name: str | None = None,
        source_link: str | None = None,
        team: int | None = None,
    ) -> Invocation:
        normalised, mentioned = normalise_text(text)
        persons = await self.people.resolve(client, team_id, [user_id, *mentioned])
        channel = (
            ChannelRef(
                platform=PLATFORM,
                tenant=team_id,
                channel_id=channel_id,
                name=channel_name
                if channel_name not in (None, "directmessage", "privategroup")
                else None,
            )
            if channel_id
            else None
        )
        return Invocation(
            text=normalised,
            person_id=persons[user_id],
            platform=PLATFORM,
            now=self.clock(),
            channel=channel,
            team_id=team,
            mentions={f"<@{u}>": persons[u] for u in mentioned},
            source_link=source_link,
        )

    async def _run(
        self,
        invocation: Invocation,
        once: tuple[str, str] | None,
        *,
        command: a.Command | None = None,
    ) -> Reply | None:
        """Dispatch in a worker thread; None when ``once`` (source, key) was handled before.
        With ``command`` (a form's typed command), run it instead of parsing the text."""

        def go(uow: Callable[[], UnitOfWork]) -> Reply:
            if command is not None:
                return run(command, invocation, uow)
            return dispatch(invocation, uow)

        def work() -> Reply | None:
            if once is None:
                return go(self.db.uow)
            seen: list[bool] = []
            reply = go(lambda: _ClaimingUnitOfWork(self.db, once[0], once[1], seen))
            return None if seen else reply

        reply = await asyncio.to_thread(work)
        if self.on_change is not None:
            self.on_change()
        return reply

    def _read(self, query: Callable[..., Any], **kwargs: Any) -> Any:
        with self.db.uow() as uow:
            return query(uow.session, **kwargs)

    def _claim(self, source: str, key: str) -> bool:
        with self.db.uow() as uow:
            fresh = claim(uow.session, source=source, key=key)
            uow.commit()
            return fresh

    async def _answer(
        self,
        client: AsyncWebClient,
        reply: Reply,
        *,
        team_id: str,
        channel: str | None,
        user: str,
        respond: Any = None,
        thread_ts: str | None = None,
    ) -> None:
        """A record for the channel (the author is in its headline); anything else, help,
        lists and errors, for the user alone."""
        summary = reply.data.get("summary")
        if reply.ok and isinstance(summary, dict) and self.summary_file and channel:
            await self._share_summary(client, reply, summary=summary, channel=channel)
            return
        if reply.ok and reply.visibility == "channel" and channel:
            try:
                await self._post(client, channel=channel, reply=reply, thread_ts=thread_ts)
            except SlackApiError as exc:
                if respond is None:
                    raise
                # Not a member of this channel (or a DM with someone else): the slash
                # command's response URL still reaches it.
                log.info(
                    "chat.postMessage refused (%s); answering via response_url",
                    exc.response.get("error"),
                )
                await respond(response_type="in_channel", **bk.message(reply))
            return
        if channel:
            try:
                await client.chat_postEphemeral(
                    channel=channel, user=user, thread_ts=thread_ts, **bk.message(reply)
                )
                return
            except SlackApiError as exc:
                if respond is None:
                    raise
                log.info(
                    "chat.postEphemeral refused (%s); answering via response_url",
                    exc.response.get("error"),
                )
        if respond is not None:
            await respond(**bk.message(reply))
        else:
            await self._post(client, channel=user, reply=reply)

    async def _post(
        self, client: AsyncWebClient, *, channel: str, reply: Reply, thread_ts: str | None = None
    ) -> None:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, **bk.message(reply))

    async def _share_summary(
        self, client: AsyncWebClient, reply: Reply, *, summary: dict[str, Any], channel: str
    ) -> None:
        assert self.summary_file is not None
        filename, content = await asyncio.to_thread(
            self.summary_file, int(summary["team_id"]), str(summary["week"])
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
