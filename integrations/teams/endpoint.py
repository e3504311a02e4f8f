"""``POST /api/messages``: Teams activities in, the core's Replies out as Adaptive Cards.

The Bot Framework SDK (botbuilder) appears here, in ``proactive.py`` and in
``notifier.py`` only: it authenticates the request (Bot Framework JWT when an app
id is configured), gives us a connector client for the activity's
``serviceUrl`` and sends. Reading activities (``activities.py``) and building
cards (``cards.py``) work on plain JSON, so swapping the archived SDK for the
Microsoft 365 Agents SDK touches this folder alone.

Everything is translation: the core decides, this module reads activities and
renders replies. Database work runs in threads (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import requests
from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes

from commands import actions as a
from commands.dispatch import dispatch, run
from commands.extraction import extract
from commands.invocation import ChannelRef, Invocation, ReplyAddress
from commands.language import CommandError
from commands.reply import Reply
from commands.rules import local_today
from integrations.teams import activities as act
from integrations.teams import people as teams_people
from integrations.teams import proactive
from integrations.teams.cards import (
    CONTENT_TYPE,
    MEASURE_VERB,
    log_form,
    read_measure_value,
    reply_card,
    task_message,
    task_module,
)
from storage.database import Database
from storage.teams import team_for_channel

log = logging.getLogger(__name__)

# The request's JSON as Teams sent it. The SDK's Activity model drops what it has no field
# for (mention entities' "mentioned", conversation.tenantId), so the turn reads this instead.
_RAW_ACTIVITY: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "teams_raw_activity", default=None
)
# Whether this turn's activity was authenticated (a Bot Framework token was checked).
_AUTHENTICATED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "teams_authenticated", default=False
)
MESSAGE_CARD_RESPONSE = "application/vnd.microsoft.activity.message"
MEMBER_LOOKUP_TIMEOUT_S = 5.0
# How long "Teams gave no email for this account" is remembered before asking again.
NO_EMAIL_TTL_S = 3600.0
_AT_WITH_ATTRIBUTES = re.compile(r"<at\b[^>]*>", re.I)


# (team id, ISO week label, now) -> a signed download URL for that week's spreadsheet, or
# None when the server has no public address to link to.
SummaryLink = Callable[[int, str, dt.datetime], str | None]


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
    summary_link: SummaryLink | None = None,
) -> TeamsEndpoint:
    """Add ``POST /api/messages`` to ``app``. With no app id the bot accepts unsigned
    requests (local use with a fake or the emulator); the start-up log says which."""
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
        summary_link=summary_link,
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
    token = _RAW_ACTIVITY.set(body)
    authenticated = _AUTHENTICATED.set(not bot.anonymous)
    try:
        invoke = await adapter.process_activity(auth, activity, bot.on_turn)
    finally:
        _RAW_ACTIVITY.reset(token)
        _AUTHENTICATED.reset(authenticated)
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


@dataclass(frozen=True)
class _Turn:
    raw: dict[str, Any]
    tenant: str
    now: dt.datetime
    person_id: int | None
    channel: ChannelRef


class JoinedupTeamsBot:
    """The turn handler (botbuilder's ``Bot``): one activity in, replies and an invoke
    response out."""

    def __init__(
        self,
        *,
        db: Database,
        adapter: CloudAdapter,
        app_id: str,
        on_change: Callable[[], None] | None,
        clock: Callable[[], dt.datetime],
        summary_link: SummaryLink | None = None,
        service_hosts: tuple[str, ...] = (),
        anonymous: bool = False,
    ) -> None:
        self.db = db
        self.service_hosts = service_hosts
        self.anonymous = anonymous
        self.adapter = adapter
        self.app_id = app_id
        self.on_change = on_change
        self.clock = clock
        self.summary_link = summary_link
        self._no_email: dict[tuple[str, str], float] = {}

    def service_url_allowed(self, url: str) -> bool:
        """Whether an activity may name ``url`` as its serviceUrl: the bot posts its replies
        there, and stores it for later messages. A host on the allow-list (over https), or,
        in anonymous mode, a loopback address (the Emulator, the tests' fake connector)."""
        return act.service_url_allowed(url, hosts=self.service_hosts, loopback=self.anonymous)

    # --- the turn ------------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        raw = _RAW_ACTIVITY.get() or turn_context.activity.serialize()
        turn = await self._begin(turn_context, raw)
        kind, name = raw.get("type"), raw.get("name")
        if kind == "message":
            await self._on_message(turn_context, turn)
        elif kind == "invoke" and name == "adaptiveCard/action":
            await self._on_card_action(turn_context, turn)
        elif kind == "invoke" and name == "composeExtension/fetchTask":
            await self._on_fetch_task(turn_context, turn)
        elif kind == "invoke" and name == "composeExtension/submitAction":
            await self._on_submit_action(turn_context, turn)
        elif kind == "invoke":
            await _invoke_response(turn_context, {}, status=200)
        elif kind == "conversationUpdate" and self._bot_was_added(raw):
            personal = (raw.get("conversation") or {}).get("conversationType") == "personal"
            await turn_context.send_activity(proactive.message(_welcome(personal=personal)))

    async def _begin(self, turn_context: TurnContext, raw: dict[str, Any]) -> _Turn:
        """Who and where: the sender as a Person, and the conversation's reference stored for
        proactive messages (on every activity, install included)."""
        tenant = act.tenant_of(raw)
        now = self.clock()
        sender = act.sender(raw)
        person_id: int | None = None
        if sender.id and sender.id != act.bot_id(raw):
            [sender] = await self._with_emails(turn_context, tenant, [sender])
            ids = await asyncio.to_thread(
                teams_people.resolve, self.db, tenant=tenant, accounts=[sender]
            )
            person_id = ids[sender.id]
        channel_id = act.channel_conversation_id(raw)
        reference = TurnContext.get_conversation_reference(turn_context.activity).serialize()
        reference.setdefault("conversation", {})["id"] = channel_id
        reference["conversation"]["tenantId"] = tenant
        reference.pop("activityId", None)
        if channel_id and raw.get("serviceUrl"):
            await asyncio.to_thread(
                teams_people.remember,
                self.db,
                conversation_id=channel_id,
                conversation_type=act.conversation_type(raw),
                tenant=tenant,
                service_url=str(raw["serviceUrl"]),
                reference=reference,
                person_id=person_id,
                now=now,
                # An unauthenticated request may introduce a conversation, never redirect
                # one the bot already knows.
                update=_AUTHENTICATED.get(),
            )
        channel = ChannelRef(
            platform=act.PLATFORM,
            tenant=tenant,
            channel_id=channel_id,
            name=act.channel_name(raw),
            direct=act.conversation_type(raw) == "personal",  # a personal chat with the bot
        )
        return _Turn(raw=raw, tenant=tenant, now=now, person_id=person_id, channel=channel)

    def _changed(self, queued: bool) -> None:
        """Wake the delivery loop when the command queued a message (a kick costs the loop
        a lease query in a write transaction)."""
        if self.on_change is not None and queued:
            self.on_change()

    async def _dispatch(self, turn: _Turn, text: str, mentions: Mapping[str, int]) -> Reply:
        assert turn.person_id is not None
        invocation = Invocation(
            text=text,
            person_id=turn.person_id,
            platform=act.PLATFORM,
            now=turn.now,
            channel=turn.channel,
            mentions=dict(mentions),
            idempotency_key=_activity_key(turn.raw),
        )
        uow = self.db.watched()
        reply = await asyncio.to_thread(dispatch, invocation, uow)
        self._changed(uow.queued)
        return self._with_download(reply, turn.now)

    def _with_download(self, reply: Reply, now: dt.datetime) -> Reply:
        """Teams bots cannot upload files into channels: a weekly summary gets a signed,
        expiring link to download its spreadsheet from our server instead."""
        summary = reply.summary
        if not (reply.ok and summary is not None and self.summary_link):
            return reply
        link = self.summary_link(summary.team_id, summary.week, now)
        return replace(reply, link=link) if link else reply

    # --- messages ------------------------------------------------------------------------

    async def _on_message(self, turn_context: TurnContext, turn: _Turn) -> None:
        if turn.person_id is None:
            return
        button = act.button_command(turn.raw)  # a legacy Action.Submit click
        if button is not None:
            reply = await self._run_button(turn_context, turn, *button)
        else:
            command = act.command_of(turn.raw)
            mentions = await self._with_emails(turn_context, turn.tenant, command.mentions)
            ids = await asyncio.to_thread(
                teams_people.resolve, self.db, tenant=turn.tenant, accounts=mentions
            )
            reply = await self._dispatch(turn, command.text, {m.token: ids[m.id] for m in mentions})
        if reply.duplicate:
            # A redelivery: its claim committed with the record the first time; the reply
            # went then. Nothing more.
            log.info("Teams: activity %s already handled", turn.raw.get("id"))
            return
        # Committed: the reply goes in the turn (if this send fails, the record is safe and
        # only the confirmation is missing).
        label = "Download spreadsheet" if reply.link and reply.summary is not None else None
        await turn_context.send_activity(proactive.message(reply, download_label=label))

    # --- card buttons (Action.Execute) ---------------------------------------------------

    async def _on_card_action(self, turn_context: TurnContext, turn: _Turn) -> None:
        action = (turn.raw.get("value") or {}).get("action") or {}
        if action.get("verb") == MEASURE_VERB:
            await self._on_measure_value(turn_context, turn, action.get("data") or {})
            return
        button = act.button_command(turn.raw)
        if button is None or turn.person_id is None:
            await _invoke_response(
                turn_context,
                {
                    "statusCode": 400,
                    "type": "application/vnd.microsoft.error",
                    "value": {"code": "BadRequest", "message": "Not a Joinedup button."},
                },
            )
            return
        reply = await self._run_button(turn_context, turn, *button)
        if reply.duplicate:
            body = {"statusCode": 200, "type": MESSAGE_CARD_RESPONSE, "value": "Already done."}
        elif reply.ok:
            body = {"statusCode": 200, "type": CONTENT_TYPE, "value": reply_card(reply)}
        else:
            # The card stays as it was; Teams shows the message (e.g. not allowed).
            body = {"statusCode": 200, "type": MESSAGE_CARD_RESPONSE, "value": reply.to_text()}
        await _invoke_response(turn_context, body)

    async def _on_measure_value(
        self, turn_context: TurnContext, turn: _Turn, data: dict[str, Any]
    ) -> None:
        """A value given in a nudge's ``Input.Number``: the typed ``RecordMeasureValue``, run
        as whoever submitted it in the measure's team; the card is replaced by the result.
        A value that is not a number leaves the card as it was, with the reason."""
        if turn.person_id is None:
            await _invoke_response(
                turn_context,
                {
                    "statusCode": 200,
                    "type": MESSAGE_CARD_RESPONSE,
                    "value": "I don't know who you are yet.",
                },
            )
            return
        try:
            command, team_id = read_measure_value(data)
        except (CommandError, ValueError) as exc:
            message = exc.message if isinstance(exc, CommandError) else "That is not a value."
            await _invoke_response(
                turn_context, {"statusCode": 200, "type": MESSAGE_CARD_RESPONSE, "value": message}
            )
            return
        invocation = Invocation(
            text=f"measure M-{command.number} (card)",
            person_id=turn.person_id,
            platform=act.PLATFORM,
            now=turn.now,
            channel=turn.channel,
            team_id=team_id,
            idempotency_key=_activity_key(turn.raw),
        )
        # Committed before the invoke response: a redelivered submission writes nothing.
        uow = self.db.watched()
        reply = await asyncio.to_thread(run, command, invocation, uow)
        self._changed(uow.queued)
        if reply.ok:
            body = {"statusCode": 200, "type": CONTENT_TYPE, "value": reply_card(reply)}
        else:
            body = {"statusCode": 200, "type": MESSAGE_CARD_RESPONSE, "value": reply.to_text()}
        await _invoke_response(turn_context, body)

    async def _run_button(
        self, turn_context: TurnContext, turn: _Turn, command: str, picked: str | None
    ) -> Reply:
        """Run a button's command as the person who clicked it; a picked person (the people
        picker's AAD object id) is appended as their mention token."""
        mentions: dict[str, int] = {}
        if picked is not None:
            account = await self._account_for_aad(turn_context, turn.tenant, picked)
            if account is None:
                return Reply(
                    headline="I couldn't find that person in this conversation; "
                    "mention them in a message instead.",
                    ok=False,
                )
            ids = await asyncio.to_thread(
                teams_people.resolve, self.db, tenant=turn.tenant, accounts=[account]
            )
            command = f"{command} {account.token}"
            mentions[account.token] = ids[account.id]
        return await self._dispatch(turn, command, mentions)

    # --- the message extension ("Log as decision" / "Log as commitment") -----------------

    async def _on_fetch_task(self, turn_context: TurnContext, turn: _Turn) -> None:
        value = turn.raw.get("value") or {}
        kind = _kind_of(value)
        payload = value.get("messagePayload") or {}
        text = _message_text(payload)
        today = await asyncio.to_thread(self._team_today, turn)
        found = extract(text, today=today)
        owner = None
        if kind == "commitment":
            owner = _owner_for_picker(found.owner, payload, turn.raw)
        form = log_form(
            kind=kind,
            text=found.text or act.plain_text(text),
            owner=owner,
            due=found.due if kind == "commitment" else None,
            link=payload.get("linkToMessage"),
        )
        title = "Log as decision" if kind == "decision" else "Log as commitment"
        await _invoke_response(turn_context, task_module(form, title=title))

    async def _on_submit_action(self, turn_context: TurnContext, turn: _Turn) -> None:
        value = turn.raw.get("value") or {}
        data = value.get("data") or {}
        payload = value.get("messagePayload") or {}
        kind = data.get("kind") if data.get("kind") in ("decision", "commitment") else None
        kind = kind or _kind_of(value)
        text = " ".join(str(data.get("text") or "").split())
        if turn.person_id is None:
            await _invoke_response(turn_context, task_message("I don't know who you are yet."))
            return
        if not text:
            await _invoke_response(turn_context, task_message(f"The {kind} text is missing."))
            return
        mentions: dict[str, int] = {}
        command: a.Command
        if kind == "decision":
            rationale = " ".join(str(data.get("rationale") or "").split()) or None
            command = a.LogDecision(text=text, rationale=rationale)
        else:
            owner = str(data.get("owner") or "me").strip()
            if owner != "me":
                account = await self._account_for_aad(turn_context, turn.tenant, owner)
                if account is None:
                    await _invoke_response(
                        turn_context,
                        task_message("I couldn't find that owner in this conversation."),
                    )
                    return
                ids = await asyncio.to_thread(
                    teams_people.resolve, self.db, tenant=turn.tenant, accounts=[account]
                )
                mentions[account.token] = ids[account.id]
                owner = account.token
            due = str(data.get("due") or "").strip() or None
            command = a.LogCommitment(owner=owner, text=text, when=due)
        invocation = Invocation(
            text=f"{kind} (message action)",
            person_id=turn.person_id,
            platform=act.PLATFORM,
            now=turn.now,
            channel=turn.channel,
            mentions=mentions,
            source_link=data.get("link") or payload.get("linkToMessage"),
            idempotency_key=_activity_key(turn.raw),
            # The logged record is posted under the message it came from, by the delivery
            # engine, from a row written with the record; a refusal shows in the form.
            reply_address=ReplyAddress(
                platform=act.PLATFORM,
                address=self._thread_address(turn, payload),
                refusals=False,
            ),
        )
        uow = self.db.watched()
        reply = await asyncio.to_thread(run, command, invocation, uow)
        self._changed(uow.queued)
        if not reply.ok and not reply.duplicate:
            await _invoke_response(turn_context, task_message(reply.to_text()))
            return
        await _invoke_response(turn_context, {})

    @staticmethod
    def _thread_address(turn: _Turn, payload: dict[str, Any]) -> dict[str, Any]:
        """Where a logged record is posted: under its message. In a team channel the thread
        is the conversation ``<channel>;messageid=<root message id>``."""
        root = payload.get("replyToId") or payload.get("id")
        conversation = act.conversation_id(turn.raw)
        if act.conversation_type(turn.raw) == "channel" and root:
            conversation = f"{act.channel_conversation_id(turn.raw)};messageid={root}"
        return {
            "tenant": turn.tenant,
            "conversation_id": conversation,
            "service_url": str(turn.raw.get("serviceUrl") or ""),
            "reply_to_id": None,
            "update_activity_id": None,
        }

    # --- people --------------------------------------------------------------------------

    async def _with_emails(
        self, turn_context: TurnContext, tenant: str, accounts: tuple[act.Account, ...] | list
    ) -> list[act.Account]:
        """Ask Teams for the email of accounts whose Person has none yet, so a person already
        known on Slack by that email becomes the same Person on first sight."""
        accounts = list(accounts)
        if not accounts:
            return accounts
        need = await asyncio.to_thread(
            teams_people.accounts_without_email, self.db, tenant=tenant, accounts=accounts
        )
        out = []
        for account in accounts:
            if account.id in need and not self._recently_without_email(tenant, account.id):
                member = await self._member(turn_context, account.id)
                if member is not None and member.email:
                    account = replace(
                        account,
                        email=member.email,
                        name=account.name or member.name,
                        aad_object_id=account.aad_object_id or member.aad_object_id,
                    )
                else:
                    self._no_email[(tenant, account.id)] = time.monotonic()
            out.append(account)
        return out

    def _recently_without_email(self, tenant: str, user_id: str) -> bool:
        at = self._no_email.get((tenant, user_id))
        return at is not None and time.monotonic() - at < NO_EMAIL_TTL_S

    async def _member(self, turn_context: TurnContext, member_id: str) -> act.Account | None:
        """The member as Teams' roster knows them (email, AAD object id), or None."""
        try:
            member = await asyncio.wait_for(
                TeamsInfo.get_member(turn_context, member_id), MEMBER_LOOKUP_TIMEOUT_S
            )
        except Exception as exc:  # no roster access, not a member, connector down
            log.info("Teams: member lookup for %s failed: %s", member_id, exc)
            return None
        if member is None or not getattr(member, "id", None):
            return None
        return act.Account(
            id=member.id,
            name=getattr(member, "name", None),
            aad_object_id=getattr(member, "aad_object_id", None),
            email=getattr(member, "email", None) or None,
        )

    async def _account_for_aad(
        self, turn_context: TurnContext, tenant: str, aad_object_id: str
    ) -> act.Account | None:
        """The Teams account behind a people-picker value (an AAD object id): the roster
        first (it gives the email), then accounts already seen."""
        member = await self._member(turn_context, aad_object_id)
        if member is not None:
            return member
        return await asyncio.to_thread(
            teams_people.account_by_aad, self.db, tenant=tenant, aad_object_id=aad_object_id
        )

    def _team_today(self, turn: _Turn) -> dt.date:
        with self.db.uow() as uow:
            team = team_for_channel(
                uow.session,
                platform=act.PLATFORM,
                tenant=turn.tenant,
                channel_id=turn.channel.channel_id,
            )
            return local_today(turn.now, team.timezone if team else "UTC")

    @staticmethod
    def _bot_was_added(raw: dict[str, Any]) -> bool:
        me = act.bot_id(raw)
        return any((m or {}).get("id") == me for m in raw.get("membersAdded") or [])


async def _invoke_response(
    turn_context: TurnContext, body: dict[str, Any], *, status: int = 200
) -> None:
    await turn_context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status, body=body))
    )


def _activity_key(raw: dict[str, Any]) -> str | None:
    """The idempotency key of an activity: its id within its conversation (a redelivery
    carries the same id)."""
    if not raw.get("id"):
        return None
    return f"{raw.get('type')}:{act.conversation_id(raw)}:{raw['id']}"


def _kind_of(value: dict[str, Any]) -> str:
    return "decision" if "decision" in str(value.get("commandId") or "").lower() else "commitment"


def _message_text(payload: dict[str, Any]) -> str:
    """The message's body as text, with ``<at id="0">Sam</at>`` made ``<at>Sam</at>`` (the
    form the extractor reads as a mention)."""
    content = str((payload.get("body") or {}).get("content") or "")
    return act.plain_text(_AT_WITH_ATTRIBUTES.sub("<at>", content))


def _owner_for_picker(
    owner: str | None, payload: dict[str, Any], raw: dict[str, Any]
) -> str | None:
    """The people picker's initial value for what the extractor found: ``me`` (the person
    logging it), or the AAD object id of the author or of a mentioned person."""
    clicker = (raw.get("from") or {}).get("aadObjectId")
    if owner == "me":
        author = ((payload.get("from") or {}).get("user") or {}).get("id")
        return "me" if not author or author == clicker else str(author)
    if owner and owner.lower().startswith("<at>"):
        name = act.plain_text(re.sub(r"</?at>", "", owner, flags=re.I)).strip()
        for mention in payload.get("mentions") or []:
            user = (mention.get("mentioned") or {}).get("user") or {}
            if name in (mention.get("mentionText"), user.get("displayName")) and user.get("id"):
                return str(user["id"])
    return "me"


def _welcome(*, personal: bool = False) -> Reply:
    if personal:
        # A personal chat needs no link: person-level commands work here across teams.
        return Reply(
            headline="Hello, I'm Joinedup: one joint log of decisions and commitments.",
            body="Type a command here without mentioning me: `list mine` shows your open "
            "commitments in every team, `done C-5` closes one, `dashboard` gives you a "
            "sign-in link to the live view, and `help` lists the rest.",
        )
    return Reply(
        headline="Hello, I'm Joinedup: one joint log of decisions and commitments.",
        body="Link this conversation to a team: `@Joinedup team create <name>`, or "
        "`@Joinedup team join <code>` with a code from `team link` in one of the team's "
        "channels (Slack or Teams). Then try `@Joinedup help`.",
        visibility="channel",
    )
