"""Slack listeners for buttons and pickers, list paging, and the measure inputs of nudges."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from commands.invocation import ReplyAddress
from commands.language import CommandError
from commands.reply import error
from integrations.slack import blocks as bk
from integrations.slack.people import PLATFORM
from integrations.slack.road import RetryLater, Road

log = logging.getLogger(__name__)


def _where(body: dict[str, Any]) -> tuple[str, str, dict[str, Any], str | None]:
    """Who pressed, in which workspace, from which container (message or view), in which
    channel: an interaction names them in different places depending on where it was."""
    container = body.get("container") or {}
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
    team_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))
    return body["user"]["id"], team_id, container, channel_id


class Buttons:
    """Buttons and pickers, Previous / Next, and a nudge's measure input."""

    def __init__(self, road: Road) -> None:
        self.road = road

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
        user_id, team_id, container, channel_id = _where(body)
        response_url = body.get("response_url")
        on_home = container.get("type") == "view"
        source = body.get("message") or {}
        one_record = sum(1 for b in source.get("blocks", []) if b.get("type") == "actions") <= 1
        private: dict[str, Any]
        if response_url:
            private = {"tenant": team_id, "user": user_id, "response_url": response_url}
        elif channel_id and not on_home:
            private = self.road.address(team_id, channel=channel_id, user=user_id, ephemeral=True)
        else:
            private = self.road.address(team_id, channel=None, user=user_id)  # the app's DM
        public: dict[str, Any] | None
        if on_home:
            public = None  # the home page is published again below
        elif not container.get("is_ephemeral") and one_record and container.get("message_ts"):
            # The record's own message: show its new state in place.
            public = {
                **(
                    private
                    if response_url
                    else self.road.address(team_id, channel=channel_id, user=user_id)
                ),
                "update_ts": str(container["message_ts"]),
            }
        else:
            public = (
                dict(private)
                if response_url
                else self.road.address(team_id, channel=channel_id, user=user_id)
            )
        invocation = await self.road.invocation(
            client,
            team_id=team_id,
            user_id=user_id,
            text=command,
            channel_id=channel_id,
            team=press.team_id,
            key=f"action:{user_id}:{action.get('action_id')}:{action.get('action_ts')}",
            reply_to=ReplyAddress(platform=PLATFORM, address=public, private=private),
        )
        reply = await self.road.run(invocation)
        if reply.retry:
            raise RetryLater()
        await ack()
        if on_home and not reply.duplicate:
            # The home page shows the new state (a view, not a record: nothing to lose).
            self.road.background(self.road.publish_home(client, team_id=team_id, user_id=user_id))

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
        user_id, team_id, container, channel_id = _where(body)
        invocation = await self.road.invocation(
            client,
            team_id=team_id,
            user_id=user_id,
            text=press.command,
            channel_id=channel_id,
            team=press.team_id,
            key=f"page:{user_id}:{action.get('action_id')}:{action.get('action_ts')}",
        )
        reply = await self.road.run(invocation)
        if reply.retry:
            raise RetryLater()
        await ack()
        await respond(replace_original=True, **bk.message(reply, team_id=press.team_id))

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
        user_id, team_id, _, _ = _where(body)
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
            else self.road.address(team_id, channel=None, user=user_id)  # the app's DM
        )
        invocation = await self.road.invocation(
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
        reply = await self.road.run(invocation, entry.command)
        if reply.retry:
            raise RetryLater()
        await ack()
