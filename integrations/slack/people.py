"""Slack users as Persons: mention tokens, users.info (cached), first-sight creation."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from storage import people
from storage.database import Database

log = logging.getLogger(__name__)

PLATFORM = "slack"
# <@U123>, <@U123|sam> (slash commands escape mentions this way), <@W123> (Enterprise Grid).
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def normalise_text(text: str) -> tuple[str, list[str]]:
    """Slack text as the core reads it: each mention as one ``<@U123>`` token, Slack's
    HTML escapes undone. Returns the text and the mentioned user ids in order."""
    ids: list[str] = []

    def token(found: re.Match[str]) -> str:
        if found.group(1) not in ids:
            ids.append(found.group(1))
        return f"<@{found.group(1)}>"

    return html.unescape(MENTION.sub(token, text)).strip(), ids


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str | None = None
    email: str | None = None
    timezone: str | None = None
    handle: str | None = None


class SlackPeople:
    """Resolves Slack user ids to Person ids, creating people on first sight.

    Profiles (name, email, timezone) come from users.info and are cached for
    ``ttl`` seconds per workspace and user, so a busy channel costs one call a user.
    Beside each profile, the person id it resolved to once the database agreed with the
    profile: ``resolve(..., cached=True)`` answers a known actor from it without touching
    the database, for commands, whose Invocation names the account so that the core checks
    in its own transaction who holds the account now (``Invocation.account``).
    """

    def __init__(self, db: Database, *, ttl: float = 3600.0) -> None:
        self.db = db
        self.ttl = ttl
        self._profiles: dict[tuple[str, str], tuple[float, Profile]] = {}
        # (workspace, user id) -> (the profile it was resolved with, person id).
        self._persons_seen: dict[tuple[str, str], tuple[Profile, int]] = {}

    async def profile(self, client: AsyncWebClient, team_id: str, user_id: str) -> Profile:
        key = (team_id, user_id)
        cached = self._profiles.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            # Missing scope, deleted user...: still a person, known by id until we learn more.
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return Profile(user_id=user_id)
        user = response.get("user") or {}
        prof = user.get("profile") or {}
        found = Profile(
            user_id=user_id,
            name=prof.get("real_name") or user.get("real_name") or prof.get("display_name"),
            email=prof.get("email") or None,
            timezone=user.get("tz") or None,
            handle=user.get("name") or None,
        )
        self._profiles[key] = (time.monotonic() + self.ttl, found)
        return found

    async def resolve(
        self,
        client: AsyncWebClient,
        team_id: str,
        user_ids: Iterable[str],
        *,
        cached: bool = False,
    ) -> dict[str, int]:
        """``{user_id: person_id}`` for each user id (one users.info per unknown user).

        ``cached``: a lone user already resolved with their current cached profile is
        answered from memory. Only for a caller that lets the core check the account in
        its transaction (``Invocation.account``); mentions are always read afresh."""
        wanted = list(dict.fromkeys(user_ids))
        profiles = await asyncio.gather(*(self.profile(client, team_id, u) for u in wanted))
        if cached and len(profiles) == 1:
            seen = self._persons_seen.get((team_id, wanted[0]))
            if seen is not None and seen[0] is profiles[0]:
                return {wanted[0]: seen[1]}
        found = await asyncio.to_thread(self._persons, team_id, list(profiles))
        for p in profiles:
            cached_profile = self._profiles.get((team_id, p.user_id))
            if cached_profile is not None and cached_profile[1] is p:
                self._persons_seen[(team_id, p.user_id)] = (p, found[p.user_id])
        return found

    def _persons(self, team_id: str, profiles: list[Profile]) -> dict[str, int]:
        # Almost always everyone is known and their profile unchanged: a read, no write.
        with self.db.reader() as reader:
            known: dict[str, int] = {}
            for p in profiles:
                person = people.identity(
                    reader.session, platform=PLATFORM, tenant=team_id, user_id=p.user_id
                )
                if person is None or not people.profile_current(
                    person, display_name=p.name, email=p.email, timezone=p.timezone
                ):
                    break
                known[p.user_id] = person.id
            else:
                return known
        with self.db.uow() as uow:
            found = {
                p.user_id: people.resolve_identity(
                    uow.session,
                    platform=PLATFORM,
                    tenant=team_id,
                    user_id=p.user_id,
                    display_name=p.name,
                    email=p.email,
                    handle=p.handle,
                    timezone=p.timezone,
                ).id
                for p in profiles
            }
            uow.commit()
            return found
