"""``SlackNotifier``: the core's Notifier port on Slack (channels, direct messages, the weekly
summary's workbook)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from commands.ports import DeliveryError
from commands.reply import Reply
from integrations.slack.blocks import message
from integrations.slack.client import delivery_error, web_client
from integrations.slack.people import PLATFORM
from integrations.slack.summary import summary_workbook, upload_summary
from storage import people
from storage.database import Database

# The bot token for a workspace (team id), or None when the app is not installed there.
TokenSource = Callable[[str], Awaitable[str | None]]


def single_token(token: str) -> TokenSource:
    async def source(tenant: str) -> str | None:
        return token

    return source


def standalone_notifier(
    *, db: Database, bot_token: str | None, client_id: str | None, api_url: str | None
) -> SlackNotifier:
    """A notifier without the Slack app around it (``joinedup worker``/``remind``): one bot
    token, or in OAuth mode each workspace's token from the installation store."""
    if bot_token:
        return SlackNotifier(db=db, tokens=single_token(bot_token), api_url=api_url)
    from integrations.slack.oauth import InstallationStore

    assert client_id, "a bot token or OAuth client id"
    store = InstallationStore(client_id=client_id, engine=db.engine)

    async def installed(tenant: str) -> str | None:
        bot = await store.async_find_bot(enterprise_id=None, team_id=tenant)
        return bot.bot_token if bot else None

    return SlackNotifier(db=db, tokens=installed, api_url=api_url)


class SlackNotifier:
    """Posts Replies to Slack channels and people for the delivery engine. Raises
    DeliveryError on any failure (``retry_after`` from a 429, at once: the engine
    reschedules rather than sleeping; ``permanent`` when retrying cannot help); never
    retries a send itself."""

    platform = PLATFORM

    def __init__(self, *, db: Database, tokens: TokenSource, api_url: str | None = None) -> None:
        self.db = db
        self.tokens = tokens
        self.api_url = api_url

    async def _client(self, tenant: str) -> AsyncWebClient:
        token = await self.tokens(tenant)
        if not token:
            raise DeliveryError(
                f"Joinedup is not installed in Slack workspace {tenant}", permanent=True
            )
        return web_client(token=token, api_url=self.api_url, wait_out_rate_limits=False)

    @staticmethod
    def _message(reply: Reply) -> dict[str, Any]:
        return message(reply)  # buttons run in the reply's team_id / section_team_ids

    async def post_to_channel(self, *, tenant: str, channel_id: str, reply: Reply) -> None:
        client = await self._client(tenant)
        try:
            await client.chat_postMessage(channel=channel_id, **self._message(reply))
        except Exception as exc:
            raise delivery_error(exc) from exc

    async def deliver_reply(self, *, address: dict[str, Any], reply: Reply) -> None:
        """Answer a person's own request after its acknowledgement, where ``address`` says:
        through its ``response_url`` if given, else ``chat.update`` of ``update_ts``, else
        ``chat.postEphemeral`` to ``user`` when ``ephemeral``, else ``chat.postMessage``
        (in ``thread_ts``'s thread if set; to the user's DM when there is no channel)."""
        body = self._message(reply)
        if address.get("response_url"):
            await self._respond(str(address["response_url"]), address, reply, body)
            return
        channel, user = address.get("channel"), address.get("user")
        if not address.get("tenant") or not (channel or user):
            raise DeliveryError(
                f"a Slack reply address needs a tenant and a channel or user: {address}",
                permanent=True,
            )
        client = await self._client(str(address["tenant"]))
        try:
            if address.get("update_ts") and channel:
                await client.chat_update(channel=channel, ts=address["update_ts"], **body)
            elif address.get("ephemeral") and channel and user:
                await client.chat_postEphemeral(
                    channel=channel,
                    user=user,
                    thread_ts=address.get("thread_ts"),
                    **body,
                )
            else:
                await client.chat_postMessage(
                    channel=str(channel or user), thread_ts=address.get("thread_ts"), **body
                )
        except Exception as exc:
            raise delivery_error(exc) from exc

    async def _respond(
        self, url: str, address: dict[str, Any], reply: Reply, body: dict[str, Any]
    ) -> None:
        """POST to a response_url (valid 30 minutes, five times: a 404 is for good)."""
        payload = {
            **body,
            "response_type": "in_channel" if reply.visibility == "channel" else "ephemeral",
            "replace_original": bool(address.get("update_ts")),
        }
        try:
            response = await AsyncWebhookClient(url, timeout=15).send_dict(payload)
        except Exception as exc:
            raise delivery_error(exc) from exc
        if response.status_code == 429:
            header = response.headers.get("Retry-After") or response.headers.get("retry-after")
            raise DeliveryError("Slack said ratelimited", retry_after=float(header or 1))
        if response.status_code >= 500:
            raise DeliveryError(f"Slack response_url answered {response.status_code}")
        if response.status_code >= 400:
            raise DeliveryError(
                f"Slack response_url answered {response.status_code}: {response.body[:200]}",
                permanent=True,
            )

    async def send_to_person(self, *, person_id: int, reply: Reply) -> bool:
        def slack_accounts() -> list[tuple[str, str]]:
            with self.db.uow() as uow:
                return [
                    (i.tenant, i.user_id)
                    for i in people.identities_of(uow.session, person_id, platform=PLATFORM)
                ]

        accounts = await asyncio.to_thread(slack_accounts)
        if not accounts:
            return False
        tenant, user_id = accounts[0]
        client = await self._client(tenant)
        try:
            opened = await client.conversations_open(users=user_id)
            await client.chat_postMessage(channel=opened["channel"]["id"], **self._message(reply))
        except Exception as exc:
            raise delivery_error(exc) from exc
        return True

    async def share_summary(
        self, *, tenant: str, channel_id: str, reply: Reply, now: dt.datetime
    ) -> None:
        """Build the workbook ``reply.summary`` names and upload it with ``reply`` as its
        comment."""
        if reply.summary is None:
            raise DeliveryError("a weekly summary without its spreadsheet", permanent=True)
        try:
            workbook = await summary_workbook(self.db, reply, now=now)
        except Exception as exc:
            raise DeliveryError(f"building the workbook failed: {exc!r}"[:500]) from exc
        client = await self._client(tenant)
        try:
            await upload_summary(client, workbook, reply, channel=channel_id)
        except Exception as exc:
            raise delivery_error(exc) from exc
