"""The console: the command language on stdin, replies on stdout (text or JSON lines)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable
from typing import TextIO

from commands.dispatch import dispatch
from commands.invocation import ChannelRef, Invocation
from commands.language import CommandError
from commands.reply import Reply
from storage import people
from storage.database import Database
from storage.models import ChannelLink, Team
from storage.teams import channel_link, create_team, team_by_name

CONSOLE = "console"


def console_channel(team_name: str) -> ChannelRef:
    return ChannelRef(platform=CONSOLE, tenant="local", channel_id=f"team:{team_name.casefold()}")


def open_console(db: Database, *, team_name: str, email: str) -> tuple[int, Team, bool]:
    """The console user and their team, both created on first use (the user leads a new team)."""
    channel = console_channel(team_name)
    with db.uow() as uow:
        s = uow.session
        person = people.find_or_create_by_email(s, email)
        team = team_by_name(s, team_name)
        created = team is None
        if team is None:
            team = create_team(s, team_name)
            people.ensure_member(s, team.id, person.id, role="lead")
        else:
            people.ensure_member(s, team.id, person.id)
        if (
            channel_link(s, platform=CONSOLE, tenant=channel.tenant, channel_id=channel.channel_id)
            is None
        ):
            s.add(
                ChannelLink(
                    team_id=team.id,
                    platform=CONSOLE,
                    tenant=channel.tenant,
                    channel_id=channel.channel_id,
                    name="console",
                )
            )
        uow.commit()
        return person.id, team, created


def run_console(
    db: Database,
    *,
    team_name: str,
    email: str,
    lines: Iterable[str],
    out: TextIO,
    as_json: bool = False,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    prompt: Callable[[], None] | None = None,
) -> int:
    """Run each line as a command; returns how many replies were errors."""
    if "@" not in email or email.startswith("@"):
        raise CommandError(f'"{email}" is not an email address.')
    person_id, team, created = open_console(db, team_name=team_name, email=email)
    if created:
        _emit(
            Reply(
                headline=f"Created team {team.name} ({team.timezone}); you are its lead.",
                data={"team": team.name, "created": True},
            ),
            out,
            as_json,
        )
    errors = 0
    if prompt:
        prompt()
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            if prompt:
                prompt()
            continue
        if line.lower() in ("quit", "exit"):
            break
        invocation = Invocation(
            text=line,
            person_id=person_id,
            platform=CONSOLE,
            now=clock(),
            channel=console_channel(team_name),
            # Nothing redelivers a console line; the key is for the one claim path.
            idempotency_key=f"console:{uuid.uuid4()}",
        )
        reply = dispatch(invocation, db.uow)
        errors += 0 if reply.ok else 1
        _emit(reply, out, as_json)
        if prompt:
            prompt()
    return errors


def _emit(reply: Reply, out: TextIO, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps(reply.to_dict(), ensure_ascii=False, default=str) + "\n")
    else:
        out.write(reply.to_text() + "\n\n")
    out.flush()
