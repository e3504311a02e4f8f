"""``TeamsNotifier``: the core's ``Notifier`` port for Microsoft Teams (proactive messages)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter

from commands.ports import DeliveryError
from commands.reply import Reply
from integrations.spreadsheet.links import SummaryLinks
from integrations.teams import proactive
from integrations.teams.activities import PLATFORM
from storage.conversations import personal_reference, reference_for
from storage.database import Database


class TeamsNotifier:
    """Posts Replies as Adaptive Cards into conversations the bot has been in, through the
    conversation references stored on every activity (they survive restarts). ``links``
    signs the weekly summary's download links."""

    platform = PLATFORM

    def __init__(
        self, *, adapter: CloudAdapter, app_id: str, db: Database, links: SummaryLinks
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.db = db
        self.links = links

    async def post_to_channel(self, *, tenant: str, channel_id: str, reply: Reply) -> None:
        await self._post(channel_id, proactive.message(reply))

    async def post_to_channel_once(
        self, *, key: str, tenant: str, channel_id: str, reply: Reply
    ) -> None:
        """``post_to_channel`` with a deterministic activity id (``key``), so that a retried
        delivery of the same outbox row can be recognised by a connector that deduplicates."""
        await self._post(channel_id, proactive.message(reply), activity_id=key)

    async def deliver_reply(self, *, address: dict[str, Any], reply: Reply) -> None:
        """Answer a person's own request after its acknowledgement: replace the activity
        ``update_activity_id`` (a card updated in place) if given, else post into the
        conversation (as a reply to ``reply_to_id`` if given). The conversation's stored
        reference is used when there is one; else one is built from the address (its
        ``service_url`` was checked when the request came in)."""
        if not address.get("conversation_id"):
            raise DeliveryError(
                f"a Teams reply address needs a conversation: {address}", permanent=True
            )
        conversation_id = str(address["conversation_id"])
        reference = await asyncio.to_thread(self._channel_reference, conversation_id)
        if reference is None:
            if not address.get("service_url"):
                raise DeliveryError(
                    f"no stored reference and no service URL for {conversation_id}", permanent=True
                )
            reference = {
                "serviceUrl": address["service_url"],
                "channelId": "msteams",
                "conversation": {"id": conversation_id, "tenantId": address.get("tenant")},
                "bot": {"id": self.app_id or "joinedup"},
            }
        await proactive.send(
            self.adapter,
            app_id=self.app_id,
            reference=reference,
            activity=proactive.message(reply),
            conversation_id=conversation_id,
            reply_to_id=address.get("reply_to_id"),
            update_activity_id=address.get("update_activity_id"),
        )

    async def send_to_person(self, *, person_id: int, reply: Reply) -> bool:
        reference = await asyncio.to_thread(self._personal_reference, person_id)
        if reference is None:
            return False
        await proactive.send(
            self.adapter,
            app_id=self.app_id,
            reference=reference,
            activity=proactive.message(reply),
        )
        return True

    async def share_summary(
        self, *, tenant: str, channel_id: str, reply: Reply, now: dt.datetime
    ) -> None:
        """Teams bots cannot upload into channels: post the summary with a "Download" button
        that links to its workbook on our server (signed, expiring: ``links``)."""
        wanted = reply.summary
        if wanted is None:
            raise DeliveryError("a weekly summary without its spreadsheet", permanent=True)
        try:
            link = self.links.for_week(team_id=wanted.team_id, week=wanted.week, now=now)
        except ValueError as exc:
            raise DeliveryError(str(exc), permanent=True) from exc
        await self._post(
            channel_id, proactive.message(replace(reply, link=link), download_label="Download")
        )

    async def _post(
        self, channel_id: str, activity: Any, *, activity_id: str | None = None
    ) -> None:
        reference = await asyncio.to_thread(self._channel_reference, channel_id)
        if reference is None:
            raise DeliveryError(
                f"the bot has no conversation reference for Teams conversation {channel_id}; "
                "it must be installed there (it stores one on every message it receives)",
                permanent=True,
            )
        await proactive.send(
            self.adapter,
            app_id=self.app_id,
            reference=reference,
            activity=activity,
            activity_id=activity_id,
        )

    def _channel_reference(self, channel_id: str) -> dict[str, Any] | None:
        with self.db.uow() as uow:
            row = reference_for(uow.session, platform=PLATFORM, conversation_id=channel_id)
            return dict(row.reference) if row else None

    def _personal_reference(self, person_id: int) -> dict[str, Any] | None:
        with self.db.uow() as uow:
            row = personal_reference(uow.session, platform=PLATFORM, person_id=person_id)
            return dict(row.reference) if row else None
