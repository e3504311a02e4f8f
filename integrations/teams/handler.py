"""The Teams turn handler: messages, card actions and other invokes, routed to the core."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter

from commands.invocation import ChannelRef, Invocation
from commands.language import CommandError
from commands.reply import Reply
from integrations.running import run_command
from integrations.spreadsheet.links import SummaryLinks
from integrations.teams import activities as act
from integrations.teams import people as teams_people
from integrations.teams import proactive
from integrations.teams.cards import CONTENT_TYPE, MEASURE_VERB, read_measure_value, reply_card
from integrations.teams.extension import MessageExtension
from integrations.teams.roster import Roster
from integrations.teams.turn import (
    AUTHENTICATED,
    MESSAGE_CARD_RESPONSE,
    RAW_ACTIVITY,
    Turn,
    activity_key,
    invoke_response,
)
from storage.database import Database

log = logging.getLogger(__name__)


class JoinedupTeamsBot:
    """The turn handler (botbuilder's ``Bot``): one activity in, replies and an invoke
    response out. ``summary_links`` signs a ``summary``'s download link; ``web_origin`` is
    where the live view answers, for the links replies carry."""

    def __init__(
        self,
        *,
        db: Database,
        adapter: CloudAdapter,
        app_id: str,
        on_change: Callable[[], None] | None,
        clock: Callable[[], dt.datetime],
        summary_links: SummaryLinks | None = None,
        web_origin: str | None = None,
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
        self.summary_links = summary_links
        self.web_origin = web_origin
        self.roster = Roster(db)
        self.extension = MessageExtension(db, self.roster, self._changed)

    def service_url_allowed(self, url: str) -> bool:
        """Whether an activity may name ``url`` as its serviceUrl: the bot posts its replies
        there, and stores it for later messages. A host on the allow-list (over https), or,
        in anonymous mode, a loopback address (the Emulator, the tests' fake connector)."""
        return act.service_url_allowed(url, hosts=self.service_hosts, loopback=self.anonymous)

    # --- the turn ------------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        raw = RAW_ACTIVITY.get() or turn_context.activity.serialize()
        turn = await self._begin(turn_context, raw)
        kind, name = raw.get("type"), raw.get("name")
        if kind == "message":
            await self._on_message(turn_context, turn)
        elif kind == "invoke" and name == "adaptiveCard/action":
            await self._on_card_action(turn_context, turn)
        elif kind == "invoke" and name == "composeExtension/fetchTask":
            await self.extension.on_fetch_task(turn_context, turn)
        elif kind == "invoke" and name == "composeExtension/submitAction":
            await self.extension.on_submit_action(turn_context, turn)
        elif kind == "invoke":
            await invoke_response(turn_context, {}, status=200)
        elif kind == "conversationUpdate" and self._bot_was_added(raw):
            personal = (raw.get("conversation") or {}).get("conversationType") == "personal"
            await turn_context.send_activity(proactive.message(_welcome(personal=personal)))

    async def _begin(self, turn_context: TurnContext, raw: dict[str, Any]) -> Turn:
        """Who and where: the sender as a Person, and the conversation's reference stored for
        proactive messages (on every activity, install included)."""
        tenant = act.tenant_of(raw)
        now = self.clock()
        sender = act.sender(raw)
        person_id: int | None = None
        if sender.id and sender.id != act.bot_id(raw):
            [sender] = await self.roster.with_emails(turn_context, tenant, [sender])
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
                update=AUTHENTICATED.get(),
            )
        channel = ChannelRef(
            platform=act.PLATFORM,
            tenant=tenant,
            channel_id=channel_id,
            name=act.channel_name(raw),
            direct=act.conversation_type(raw) == "personal",  # a personal chat with the bot
        )
        return Turn(raw=raw, tenant=tenant, now=now, person_id=person_id, channel=channel)

    def _changed(self, queued: bool) -> None:
        """Wake the delivery loop when the command queued a message (a kick costs the loop
        a lease query in a write transaction)."""
        if self.on_change is not None and queued:
            self.on_change()

    async def _dispatch(self, turn: Turn, text: str, mentions: Mapping[str, int]) -> Reply:
        assert turn.person_id is not None
        invocation = Invocation(
            text=text,
            person_id=turn.person_id,
            platform=act.PLATFORM,
            now=turn.now,
            channel=turn.channel,
            mentions=dict(mentions),
            idempotency_key=activity_key(turn.raw),
            web_origin=self.web_origin,
        )
        reply, queued = await run_command(self.db, invocation)
        self._changed(queued)
        return self._with_download(reply, turn.now)

    def _with_download(self, reply: Reply, now: dt.datetime) -> Reply:
        """Teams bots cannot upload files into channels: a weekly summary gets a signed,
        expiring link to download its spreadsheet from our server instead."""
        summary = reply.summary
        if not (reply.ok and summary is not None and self.summary_links):
            return reply
        try:
            link = self.summary_links.for_week(team_id=summary.team_id, week=summary.week, now=now)
        except ValueError:
            log.warning("Teams summary: set JOINEDUP_PUBLIC_URL to offer the spreadsheet")
            return reply
        return replace(reply, link=link)

    # --- messages ------------------------------------------------------------------------

    async def _on_message(self, turn_context: TurnContext, turn: Turn) -> None:
        if turn.person_id is None:
            return
        button = act.button_command(turn.raw)  # a legacy Action.Submit click
        if button is not None:
            reply = await self._run_button(turn_context, turn, *button)
        else:
            command = act.command_of(turn.raw)
            mentions = await self.roster.with_emails(turn_context, turn.tenant, command.mentions)
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

    async def _on_card_action(self, turn_context: TurnContext, turn: Turn) -> None:
        action = (turn.raw.get("value") or {}).get("action") or {}
        if action.get("verb") == MEASURE_VERB:
            await self._on_measure_value(turn_context, turn, action.get("data") or {})
            return
        button = act.button_command(turn.raw)
        if button is None or turn.person_id is None:
            await invoke_response(
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
        await invoke_response(turn_context, body)

    async def _on_measure_value(
        self, turn_context: TurnContext, turn: Turn, data: dict[str, Any]
    ) -> None:
        """A value given in a nudge's ``Input.Number``: the typed ``RecordMeasureValue``, run
        as whoever submitted it in the measure's team; the card is replaced by the result.
        A value that is not a number leaves the card as it was, with the reason."""
        if turn.person_id is None:
            await invoke_response(
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
            await invoke_response(
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
            idempotency_key=activity_key(turn.raw),
            web_origin=self.web_origin,
        )
        # Committed before the invoke response: a redelivered submission writes nothing.
        reply, queued = await run_command(self.db, invocation, command)
        self._changed(queued)
        if reply.ok:
            body = {"statusCode": 200, "type": CONTENT_TYPE, "value": reply_card(reply)}
        else:
            body = {"statusCode": 200, "type": MESSAGE_CARD_RESPONSE, "value": reply.to_text()}
        await invoke_response(turn_context, body)

    async def _run_button(
        self, turn_context: TurnContext, turn: Turn, command: str, picked: str | None
    ) -> Reply:
        """Run a button's command as the person who clicked it; a picked person (the people
        picker's AAD object id) is appended as their mention token."""
        mentions: dict[str, int] = {}
        if picked is not None:
            account = await self.roster.account_for_aad(turn_context, turn.tenant, picked)
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

    @staticmethod
    def _bot_was_added(raw: dict[str, Any]) -> bool:
        me = act.bot_id(raw)
        return any((m or {}).get("id") == me for m in raw.get("membersAdded") or [])


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
