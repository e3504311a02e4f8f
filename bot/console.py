"""The console: the command language on stdin, replies on stdout (text or JSON lines)."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import select

from commands.dispatch import dispatch
from commands.invocation import ChannelRef, Invocation
from commands.language import CommandError
from commands.reply import Field, Reply
from commands.rules import default_holidays, holidays_name, local_today
from commands.weekly import parse_week
from storage import people
from storage.database import Database
from storage.models import ChannelLink, Team
from storage.teams import channel_link, create_team, team_by_name

CONSOLE = "console"


def console_channel(team_name: str) -> ChannelRef:
    return ChannelRef(platform=CONSOLE, tenant="local", channel_id=f"team:{team_name.casefold()}")


def _refuse_unknown_team(name: str, existing: list[str]) -> None:
    """Nothing created by a typo: with other teams in the database, an unknown name is
    refused (naming the nearest team when one is close) unless ``--create`` says it is new."""
    by_key = {n.casefold(): n for n in existing}
    close = difflib.get_close_matches(name.casefold(), list(by_key), n=1, cutoff=0.75)
    if close:
        raise CommandError(
            f'There is no team "{name}". Did you mean "{by_key[close[0]]}"? '
            f'Add --create to make a new team called "{name}".'
        )
    raise CommandError(
        f'There is no team "{name}". Add --create to make it a new team '
        f"({len(existing)} other team{'s' if len(existing) != 1 else ''} here)."
    )


def open_console(
    db: Database,
    *,
    team_name: str,
    email: str,
    create: bool = False,
    display_name: str | None = None,
) -> tuple[int, Team, bool]:
    """The console user and their team. The first team in an empty database is created on
    first use (the user leads it); after that a new team needs ``create``."""
    team_name = " ".join(team_name.split())
    if not team_name:
        raise CommandError('Give the team a name, like --team "Rough Sleeping".')
    if len(team_name) > 200:
        raise CommandError("A team name can be at most 200 characters.")
    channel = console_channel(team_name)
    with db.uow() as uow:
        s = uow.session
        person = people.find_or_create_by_email(s, email)
        if display_name is not None and " ".join(display_name.split()):
            person.display_name = " ".join(display_name.split())[:200]
            person.name_chosen = True
        team = team_by_name(s, team_name)
        created = team is None
        if team is None:
            existing = list(s.scalars(select(Team.name).order_by(Team.id)))
            if existing and not create:
                _refuse_unknown_team(team_name, existing)
            team = create_team(s, team_name)
            team.holidays = default_holidays(team.timezone)
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


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Console:
    """The console of one database, built by ``bot.bootstrap`` from settings: ``web_origin``
    is where ``dashboard`` links point (the server those settings run), and ``summary``
    writes its workbook into ``workbook_dir`` (default: the current folder)."""

    db: Database
    web_origin: str
    clock: Callable[[], dt.datetime] = utc_now
    workbook_dir: Path | None = None

    def run(
        self,
        *,
        team_name: str,
        email: str,
        lines: Iterable[str],
        out: TextIO,
        as_json: bool = False,
        prompt: Callable[[], None] | None = None,
        create: bool = False,
        display_name: str | None = None,
    ) -> int:
        """``run_console`` with this console's database, origin, clock and folder."""
        return run_console(
            self.db,
            web_origin=self.web_origin,
            team_name=team_name,
            email=email,
            lines=lines,
            out=out,
            as_json=as_json,
            clock=self.clock,
            prompt=prompt,
            create=create,
            display_name=display_name,
            workbook_dir=self.workbook_dir,
        )


def run_console(
    db: Database,
    *,
    web_origin: str,
    team_name: str,
    email: str,
    lines: Iterable[str],
    out: TextIO,
    as_json: bool = False,
    clock: Callable[[], dt.datetime] = utc_now,
    prompt: Callable[[], None] | None = None,
    create: bool = False,
    display_name: str | None = None,
    workbook_dir: Path | None = None,
) -> int:
    """Run each line as a command; returns how many replies were errors. ``dashboard``
    links point at ``web_origin``; ``summary`` also writes its workbook into
    ``workbook_dir`` (default: the current folder)."""
    if "@" not in email or email.startswith("@"):
        raise CommandError(f'"{email}" is not an email address.')
    person_id, team, created = open_console(
        db, team_name=team_name, email=email, create=create, display_name=display_name
    )
    if created:
        _emit(
            Reply(
                headline=f"Created team {team.name} ({team.timezone}); you are its lead.",
                body=f"Public holidays: {holidays_name(team.holidays)} "
                "(`team set holidays none` turns them off).",
                data={"team": team.name, "created": True, "holidays": team.holidays},
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
            web_origin=web_origin,
        )
        reply = dispatch(invocation, db.uow)
        if reply.ok and reply.summary is not None:
            reply = _with_workbook(db, reply, now=invocation.now, folder=workbook_dir or Path.cwd())
        errors += 0 if reply.ok else 1
        _emit(reply, out, as_json)
        if prompt:
            prompt()
    return errors


def _with_workbook(db: Database, reply: Reply, *, now: dt.datetime, folder: Path) -> Reply:
    """Write the summary's workbook (the same one Slack uploads) and name its path."""
    from integrations.spreadsheet import export_week

    wanted = reply.summary
    assert wanted is not None
    with db.uow() as uow:
        team = uow.session.get(Team, wanted.team_id)
        assert team is not None
        week = parse_week(wanted.week, today=local_today(now, team.timezone))
    export = export_week(db, team_id=wanted.team_id, week=week, now=now)
    path = folder / export.filename
    # Written beside the target and renamed, so a failure never leaves half a workbook.
    fd, partial = tempfile.mkstemp(dir=folder, prefix=".joinedup-", suffix=".xlsx")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(export.content)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return Reply(
        **{
            **reply.__dict__,
            "fields": reply.fields + (Field("Workbook", str(path)),),
            "data": {**reply.data, "workbook": str(path)},
        }
    )


def _emit(reply: Reply, out: TextIO, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps(reply.to_dict(), ensure_ascii=False, default=str) + "\n")
    else:
        out.write(reply.to_text() + "\n\n")
    out.flush()
