"""Teams roster look-ups: a member's email and AAD object id, asked of Teams and remembered."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from integrations.teams import activities as act
from integrations.teams import people as teams_people
from storage.database import Database

log = logging.getLogger(__name__)

MEMBER_LOOKUP_TIMEOUT_S = 5.0
# How long "Teams gave no email for this account" is remembered before asking again.
NO_EMAIL_TTL_S = 3600.0


class Roster:
    """Who a Teams account is, as the conversation's roster (or what we have seen) says."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._no_email: dict[tuple[str, str], float] = {}

    async def with_emails(
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
                member = await self.member(turn_context, account.id)
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

    async def member(self, turn_context: TurnContext, member_id: str) -> act.Account | None:
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

    async def account_for_aad(
        self, turn_context: TurnContext, tenant: str, aad_object_id: str
    ) -> act.Account | None:
        """The Teams account behind a people-picker value (an AAD object id): the roster
        first (it gives the email), then accounts already seen."""
        member = await self.member(turn_context, aad_object_id)
        if member is not None:
            return member
        return await asyncio.to_thread(
            teams_people.account_by_aad, self.db, tenant=tenant, aad_object_id=aad_object_id
        )
