"""A small driver for the core in tests: a team with a channel, people, and `say`."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from commands.dispatch import dispatch
from commands.invocation import ChannelRef, Invocation
from commands.reply import Reply
from storage import people
from storage.database import Database

ROOT = Path(__file__).resolve().parents[1]


def run_joinedup(
    *args: str,
    db_url: str,
    stdin: str = "",
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` as a user runs it: this tree's code, the given database, and
    none of the caller's platform settings (SLACK_*, MICROSOFT_*, JOINEDUP_*) unless ``env``
    gives them."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "JOINEDUP_"))
    }
    clean |= {"PYTHONPATH": str(ROOT), "JOINEDUP_DATABASE_URL": db_url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean,
        timeout=60,
    )


class Desk:
    """Run commands in one channel as named people; the first person creates the team."""

    def __init__(
        self,
        db: Database,
        now: dt.datetime,
        *,
        team: str | None = "Rough Sleeping",
        platform: str = "console",
        channel_id: str = "C-LOG",
        lead: str = "alex@council.example",
    ) -> None:
        self.db = db
        self.now = now
        self.channel = ChannelRef(platform=platform, tenant="T1", channel_id=channel_id, name="log")
        self.platform = platform
        self.lead = lead
        if team is not None:
            reply = self.say(f"team create {team}", as_=lead)
            assert reply.ok, reply.headline

    def person_id(self, email: str) -> int:
        with self.db.uow() as uow:
            person = people.find_or_create_by_email(uow.session, email)
            uow.commit()
            return person.id

    def say(
        self,
        text: str,
        *,
        as_: str | None = None,
        now: dt.datetime | None = None,
        mentions: dict[str, int] | None = None,
        channel: ChannelRef | None = None,
    ) -> Reply:
        return dispatch(
            self.invocation(text, as_=as_, now=now, mentions=mentions, channel=channel),
            self.db.uow,
        )

    def invocation(
        self,
        text: str,
        *,
        as_: str | int | None = None,
        now: dt.datetime | None = None,
        mentions: dict[str, int] | None = None,
        channel: ChannelRef | None = None,
        **extra: Any,
    ) -> Invocation:
        """``text`` in this desk's channel (or ``channel``) as ``as_`` (an email, or a person
        id already known: nothing is read); ``extra``: more ``Invocation`` fields (an
        idempotency key, a reply address)."""
        person = as_ if isinstance(as_, int) else self.person_id(as_ or self.lead)
        return Invocation(
            text=text,
            person_id=person,
            platform=(channel or self.channel).platform,
            now=now or self.now,
            channel=channel or self.channel,
            mentions=mentions or {},
            **extra,
        )

    def count(self, model: Any, *where: Any) -> int:
        with self.db.uow() as uow:
            return int(
                uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
            )

    def rows(self, model: Any, *where: Any, order_by: Any = None) -> list[Any]:
        with self.db.uow() as uow:
            q = select(model).where(*where)
            if order_by is not None:
                q = q.order_by(order_by)
            found = list(uow.session.scalars(q).unique())
            uow.session.expunge_all()  # keep the loaded state past the rollback on exit
            return found
