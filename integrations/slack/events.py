"""Slack listeners for events: channel messages, DMs, reactions, mentions, the home tab."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from commands.capture import channel_today, log_command, reaction_kind, suggestion_for
from commands.extraction import extract
from commands.invocation import ChannelRef, ReplyAddress
from integrations.slack import blocks as bk
from integrations.slack import direct
from integrations.slack.people import PLATFORM, normalise_text
from integrations.slack.road import Road


class Events:
    """Messages, DMs, reactions, mentions and the home tab."""

    def __init__(self, road: Road) -> None:
        self.road = road

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
        here = self.road.address(team_id, channel=channel, user=event["user"])
        invocation = await self.road.invocation(
            client,
            team_id=team_id,
            user_id=event["user"],
            text=text,
            channel_id=channel,
            key=f"event:{body.get('event_id') or channel + ':' + event['ts']}",
            # In the DM everything is for the person: a plain post, never an ephemeral.
            reply_to=ReplyAddress(platform=PLATFORM, address=here, private=here),
        )
        reply = await self.road.run_event(invocation)
        if reply.ok and reply.summary is not None and not reply.duplicate:
            self.road.background(self.road.share_summary(client, reply, channel=channel))

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
            self.road.read, suggestion_for, channel=ref, text=normalised, now=self.road.clock()
        )
        if found is None:
            return
        # A hint, not a record: one per message whatever Slack retries, claimed before it
        # is posted (a hint lost to a crash in between is not worth a second one).
        if not await asyncio.to_thread(
            self.road.claim, "slack-suggestion", f"{team_id}:{channel}:{ts}"
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
            self.road.read, reaction_kind, channel=ref, reaction=event.get("reaction", "")
        )
        if kind is None:
            return
        source = await self.road.fetch_message(client, channel, ts)
        if source is None:
            return
        author = source.get("user") or event.get("item_user") or event["user"]
        text, _ = normalise_text(source.get("text") or "")
        today = await asyncio.to_thread(
            self.road.read, channel_today, channel=ref, now=self.road.clock()
        )
        line = log_command(kind, extract(text, today=today), author=f"<@{author}>")
        invocation = await self.road.invocation(
            client,
            team_id=team_id,
            user_id=event["user"],
            text=line,
            channel_id=channel,
            source_link=await self.road.permalink(client, channel, ts),
            # Per message and kind: a retried event, or a second person adding the same
            # reaction, logs nothing more.
            key=f"reaction:{team_id}:{channel}:{ts}:{kind}",
            reply_to=self.road.address(
                team_id,
                channel=channel,
                user=event["user"],
                thread_ts=source.get("thread_ts") or ts,
            ),
        )
        await self.road.run_event(invocation)

    async def on_mention(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        text = event.get("text") or ""
        if context.bot_user_id:
            text = re.sub(rf"<@{re.escape(context.bot_user_id)}(?:\|[^>]*)?>", " ", text)
        team_id = context.team_id
        invocation = await self.road.invocation(
            client,
            team_id=team_id,
            user_id=event["user"],
            text=text.strip() or "help",
            channel_id=event["channel"],
            key=f"event:{body.get('event_id') or event['ts']}",
            reply_to=self.road.address(
                team_id,
                channel=event["channel"],
                user=event["user"],
                thread_ts=event.get("thread_ts"),
            ),
        )
        reply = await self.road.run_event(invocation)
        if reply.ok and reply.summary is not None and not reply.duplicate:
            self.road.background(self.road.share_summary(client, reply, channel=event["channel"]))

    async def on_home_opened(
        self, event: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        await self.road.publish_home(client, team_id=context.team_id, user_id=event["user"])
