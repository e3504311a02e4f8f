"""From Slack's listeners to the core and back: Invocations, runs, addresses, follow-ups."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from commands import actions as a
from commands.home import show_home
from commands.invocation import ChannelRef, Invocation, ReplyAddress
from commands.reply import Reply
from integrations.running import run_command
from integrations.slack import blocks as bk
from integrations.slack import direct
from integrations.slack.people import PLATFORM, SlackPeople, normalise_text
from integrations.slack.summary import summary_workbook, upload_summary
from storage.database import Database
from storage.inbound import claim

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


class RetryLater(Exception):
    """Nothing was saved because of a fault on our side: answer 500 so that Slack retries."""


def body_hash(request: Any) -> str:
    """The fallback idempotency key: a hash of the signed body (the same bytes when Slack
    delivers the same request again)."""
    raw = getattr(request, "raw_body", "") or ""
    return hashlib.sha256(raw.encode() if isinstance(raw, str) else raw).hexdigest()


class Road:
    """What every listener needs to reach the core: the database, people, the clock, and
    where the live view answers (``web_origin``, for the links replies carry)."""

    def __init__(
        self,
        db: Database,
        people: SlackPeople,
        *,
        clock: Clock,
        web_origin: str | None,
        on_change: Callable[[], None] | None,
    ) -> None:
        self.db = db
        self.people = people
        self.clock = clock
        self.web_origin = web_origin
        # Called on the event loop after each command: wakes the outbox worker so the
        # other platform hears of the change at once rather than at its next tick.
        self.on_change = on_change
        self._tasks: set[asyncio.Future[None]] = set()

    @staticmethod
    def address(
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

    async def invocation(
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
            web_origin=self.web_origin,
        )

    async def run(self, invocation: Invocation, command: a.Command | None = None) -> Reply:
        """Run the command (``command``: a form's typed command, run as it is): the claim,
        the record and any queued reply have committed together when this returns."""
        reply, queued = await run_command(self.db, invocation, command)
        # Wake the delivery loop only when the command queued a message (an announcement,
        # a reply): a kick costs the loop a lease query in a write transaction.
        if self.on_change is not None and queued:
            self.on_change()
        return reply

    async def run_event(self, invocation: Invocation) -> Reply:
        """An event's command: a fault of ours raises, so the event gets a 500 and Slack
        delivers it again (its retry is deduplicated by the event id's claim)."""
        reply = await self.run(invocation)
        if reply.retry:
            raise RetryLater()
        return reply

    def background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` (a read's follow-up: a file, a home page) after the response; kept
        so that it is not garbage-collected mid-flight, and logged if it fails."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def done(finished: asyncio.Future[None]) -> None:
            self._tasks.discard(task)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("Slack follow-up failed", exc_info=finished.exception())

        task.add_done_callback(done)

    def claim(self, source: str, key: str) -> bool:
        with self.db.uow() as uow:
            fresh = claim(uow.session, source=source, key=key)
            uow.commit()
            return fresh

    def read(self, query: Callable[..., Any], **kwargs: Any) -> Any:
        with self.db.reader() as uow:
            return query(uow.session, **kwargs)

    async def share_summary(self, client: AsyncWebClient, reply: Reply, *, channel: str) -> None:
        """A ``summary`` command's workbook, uploaded with its reply as the comment (as the
        weekly post's is: ``integrations.slack.summary``)."""
        workbook = await summary_workbook(self.db, reply, now=self.clock())
        await upload_summary(client, workbook, reply, channel=channel)

    async def publish_home(self, client: AsyncWebClient, *, team_id: str, user_id: str) -> None:
        persons = await self.people.resolve(client, team_id, [user_id])
        reply = await asyncio.to_thread(
            show_home, person_id=persons[user_id], now=self.clock(), uow=self.db.uow
        )
        await client.views_publish(user_id=user_id, view=bk.home_view(reply))

    async def permalink(self, client: AsyncWebClient, channel: str, ts: str) -> str | None:
        try:
            response = await client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError as exc:
            log.info("chat.getPermalink failed: %s", exc.response.get("error"))
            return None
        return response.get("permalink")

    async def fetch_message(
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
