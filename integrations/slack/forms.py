"""Slack listeners for slash commands, message shortcuts and the log form."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from commands import actions as a
from commands.capture import channel_today
from commands.extraction import extract
from commands.invocation import ChannelRef
from commands.reply import Reply
from integrations.slack import blocks as bk
from integrations.slack.people import MENTION, PLATFORM, normalise_text
from integrations.slack.road import RetryLater, Road, body_hash

# The slash commands and the words of the command language each one starts with.
SLASH_COMMANDS: dict[str, str] = {
    "/joinedup": "",
    "/decision": "decision",
    "/commit": "commit",
    "/owner": "who owns",
    "/summary": "summary",
}


def _response_type(reply: Reply) -> str:
    """A record for the channel (its author is in the headline); help, lists and errors for
    the user alone."""
    return "in_channel" if reply.ok and reply.visibility == "channel" else "ephemeral"


class Forms:
    """Slash commands, shortcuts, the log form and the suggestions that open it."""

    def __init__(self, road: Road) -> None:
        self.road = road

    async def on_command(
        self, ack: Any, command: dict[str, Any], client: AsyncWebClient, request: Any
    ) -> None:
        verb = SLASH_COMMANDS.get(command.get("command", ""), "")
        text = (command.get("text") or "").strip()
        line = f"{verb} {text}".strip() if verb else (text or "help")
        team_id = command["team_id"]
        invocation = await self.road.invocation(
            client,
            team_id=team_id,
            user_id=command["user_id"],
            text=line,
            channel_id=command.get("channel_id"),
            channel_name=command.get("channel_name"),
            # Slash commands carry no id of their own; the trigger id is unique per use.
            key=f"command:{command.get('trigger_id') or body_hash(request)}",
        )
        reply = await self.road.run(invocation)
        # Slack's 3 seconds: this listener runs before the response (process_before_response),
        # so the record above is committed before this ack; the reply travels in the ack.
        if reply.duplicate:
            await ack()
            return
        if reply.ok and reply.summary is not None:
            await ack()  # the spreadsheet (a read: nothing to lose) follows as a file
            channel = command.get("channel_id")
            if channel:
                self.road.background(self.road.share_summary(client, reply, channel=channel))
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
        today = await asyncio.to_thread(
            self.road.read, channel_today, channel=ref, now=self.road.clock()
        )
        found = extract(text, today=today)
        owner = source.get("user")
        if found.owner and (mention := MENTION.fullmatch(found.owner)):
            owner = mention.group(1)
        ts = source.get("ts", "")
        permalink = await self.road.permalink(client, channel, ts)
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
        invocation = await self.road.invocation(
            client,
            team_id=team_id,
            user_id=user_id,
            text=label,
            channel_id=channel,
            source_link=meta.get("permalink"),
            key=f"view:{view['id']}",
            # The record goes under the message it came from; a refusal rides on the ack
            # (the form shows it), so only a logged record is queued.
            reply_to=self.road.address(
                team_id, channel=channel, user=user_id, thread_ts=meta.get("thread")
            ),
            refusals_queued=False,
        )
        reply = await self.road.run(invocation, command)
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
        source = await self.road.fetch_message(client, wanted["channel"], wanted["ts"])
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
