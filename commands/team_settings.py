"""Teams and people: team create/show/set/lead/link/join, departments and `me name`."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars
from sqlalchemy import select

from commands import actions as a
from commands.context import Context
from commands.invocation import ChannelRef
from commands.language import CommandError
from commands.reply import Field, Reply
from commands.rules import OPEN_STATES, default_holidays, holidays_name
from commands.usages import usage_line
from storage import people
from storage.models import ChannelLink, Commitment, JoinCode, Person, Team, TeamMember
from storage.teams import create_team, links_of_team, team_by_name

JOIN_CODE_TTL = dt.timedelta(minutes=30)
_JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# --- teams and people ------------------------------------------------------------------------


def create_team_here(cmd: a.CreateTeam, ctx: Context) -> Reply:
    channel = ctx.invocation.channel
    if channel is None:
        raise CommandError("Create a team from a channel or chat, so I know where it lives.")
    if ctx.team is not None:
        raise CommandError(
            f"This conversation is already linked to {ctx.team.name}. "
            "Use `team set ...` to change it, or `team` to see it."
        )
    if team_by_name(ctx.session, cmd.name) is not None:
        raise CommandError(
            f'A team called "{cmd.name}" already exists. To link this channel to it, run '
            "`team link` in one of its channels and `team join <code>` here."
        )
    team = create_team(ctx.session, cmd.name)
    team.created_at = ctx.now
    team.holidays = default_holidays(team.timezone)
    _link(ctx, team, channel)
    ctx.team = team
    people.ensure_member(ctx.session, team.id, ctx.actor.id, role="lead")
    ctx.audit("team.created", "team", team.id, after={"name": team.name, "lead": ctx.actor.id})
    return Reply(
        headline=f"Team {team.name} created; this channel is its log",
        body=f"{ctx.actor.display_name} is its lead. Timezone {team.timezone}, "
        f"reminders at {team.reminder_time} on working days. Public holidays: "
        f"{holidays_name(team.holidays)} (`team set holidays none` turns them off). Try `help`.",
        visibility="channel",
        data={"team": team.name, "timezone": team.timezone},
    )


def _link(ctx: Context, team: Team, channel: ChannelRef) -> ChannelLink:
    """Make ``channel`` one of ``team``'s channels (``team create`` here, ``team join``)."""
    link = ChannelLink(
        team_id=team.id,
        platform=channel.platform,
        tenant=channel.tenant,
        channel_id=channel.channel_id,
        name=channel.name,
        created_at=ctx.now,
    )
    ctx.session.add(link)
    return link


def show_team(cmd: a.ShowTeam, ctx: Context) -> Reply:
    team = ctx.require_team()
    leads = ctx.session.scalars(
        select(Person)
        .join(TeamMember, TeamMember.person_id == Person.id)
        .where(TeamMember.team_id == team.id, TeamMember.role == "lead")
        .order_by(Person.display_name)
    ).all()
    links = links_of_team(ctx.session, team.id)
    sro = ctx.session.get(Person, team.sro_id) if team.sro_id else None
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return Reply(
        headline=f"Team {team.name}",
        fields=(
            Field("Timezone", team.timezone),
            Field("Reminders", f"{team.reminder_time} on working days"),
            Field("Escalation", f"after {team.escalation_days} working days overdue"),
            Field("Weekly summary", f"{weekday[team.summary_weekday - 1]} {team.summary_time}"),
            Field("Holidays", holidays_name(team.holidays)),
            Field("Suggestions", "on" if team.suggestions_enabled else "off"),
            Field("Leads", ", ".join(p.display_name for p in leads) or "none"),
            Field(
                "Channels",
                ", ".join(f"{link.platform}:{link.name or link.channel_id}" for link in links),
            ),
            Field(
                "Ladder",
                f"{team.ladder}; blocked after {team.blocked_escalation_days}, red risks after "
                f"{team.risk_escalation_days}, proposals {team.proposal_escalation_days} "
                "working days past their deadline",
            ),
            Field("SRO", sro.display_name if sro else "none"),
        ),
        data={"team": team.name, "timezone": team.timezone, "links": len(links)},
    )


def _require_lead(ctx: Context, what: str) -> None:
    if ctx.team_has_leads() and not ctx.is_lead():
        raise CommandError(f"Only a team lead can {what}.")


_HHMM = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
_WEEKDAYS = {
    name: i + 1
    for i, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}


def _hhmm(value: str, usage: str) -> str:
    m = _HHMM.match(value.strip())
    if not m:
        raise CommandError(f'"{value}" is not a time; use 24-hour HH:MM, like 09:00.', usage=usage)
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _holiday_calendar(value: str, usage: str) -> str | None:
    if value.lower() in ("none", "off", "no"):
        return None
    country, _, subdiv = value.upper().partition("-")
    try:
        holiday_calendars.country_holidays(country, subdiv=subdiv or None)
    except NotImplementedError:
        raise CommandError(
            f'"{value}" is not a holiday calendar I know; '
            "try GB-ENG, GB-SCT, GB-WLS, GB-NIR or IE.",
            usage=usage,
        ) from None
    return f"{country}-{subdiv}" if subdiv else country


def set_team_option(cmd: a.SetTeamOption, ctx: Context) -> Reply:
    team = ctx.require_team()
    _require_lead(ctx, "change team settings")
    usage = usage_line("team set")
    value = cmd.value.strip()
    before: dict[str, Any]
    if cmd.option == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(
                f'"{value}" is not a timezone I know; use an IANA name like Europe/London.',
                usage=usage,
            ) from None
        before = {"timezone": team.timezone, "holidays": team.holidays}
        said = f"timezone is now {value}"
        if team.holidays == default_holidays(team.timezone):
            # The calendar followed the old timezone, so it follows the new one.
            team.holidays = default_holidays(value)
            said += f"; public holidays: {holidays_name(team.holidays)}"
        team.timezone = value
    elif cmd.option == "reminders":
        before, team.reminder_time = {"reminder_time": team.reminder_time}, _hhmm(value, usage)
        said = f"reminders now go out at {team.reminder_time} ({team.timezone}) on working days"
    elif cmd.option == "escalation":
        if not value.isdigit() or not 1 <= int(value) <= 60:
            raise CommandError(
                f'"{value}" should be a number of working days from 1 to 60.', usage=usage
            )
        before, team.escalation_days = {"escalation_days": team.escalation_days}, int(value)
        said = f"overdue commitments are escalated after {value} working days"
    elif cmd.option == "summary":
        parts = value.split()
        if len(parts) != 2 or parts[0].lower() not in _WEEKDAYS:
            raise CommandError('Give a day and a time, like "friday 16:00".', usage=usage)
        before = {"summary_weekday": team.summary_weekday, "summary_time": team.summary_time}
        team.summary_weekday, team.summary_time = (
            _WEEKDAYS[parts[0].lower()],
            _hhmm(parts[1], usage),
        )
        said = f"the weekly summary is sent on {parts[0].capitalize()} at {team.summary_time}"
    elif cmd.option == "holidays":
        before, team.holidays = {"holidays": team.holidays}, _holiday_calendar(value, usage)
        said = f"public holidays: {holidays_name(team.holidays)}"
    elif cmd.option == "suggestions":
        if value.lower() not in ("on", "off"):
            raise CommandError('Say "team set suggestions on" or "off".', usage=usage)
        before = {"suggestions_enabled": team.suggestions_enabled}
        team.suggestions_enabled = value.lower() == "on"
        said = f"suggestions are {value.lower()}"
    else:  # reaction
        parts = value.split()
        if len(parts) != 2 or parts[0].lower() not in ("decision", "commitment"):
            raise CommandError('Say "team set reaction decision pushpin".', usage=usage)
        emoji = parts[1].strip(":")
        if not re.fullmatch(r"[\w+-]{1,64}", emoji):
            raise CommandError(f'"{parts[1]}" is not an emoji name.', usage=usage)
        attr = f"{parts[0].lower()}_reaction"
        before = {attr: getattr(team, attr)}
        setattr(team, attr, emoji)
        said = f":{emoji}: now logs a {parts[0].lower()}"
    ctx.audit("team.setting_changed", "team", team.id, before=before, after={cmd.option: value})
    return Reply(headline=f"{team.name}: {said}", visibility="channel", data={cmd.option: value})


def make_lead(cmd: a.MakeLead, ctx: Context) -> Reply:
    team = ctx.require_team()
    _require_lead(ctx, "make someone a lead")
    person = ctx.resolve_owner(cmd.owner, usage=usage_line("team lead"))
    member = people.ensure_member(ctx.session, team.id, person.id)
    if member.role == "lead":
        raise CommandError(f"{person.display_name} is already a lead of {team.name}.")
    member.role = "lead"
    ctx.audit(
        "team.lead_added", "team", team.id, before={"role": "member"}, after={"lead": person.id}
    )
    return Reply(
        headline=f"{person.display_name} is now a lead of {team.name}", visibility="channel"
    )


def set_department(cmd: a.SetDepartment, ctx: Context) -> Reply:
    ctx.require_team()
    person = ctx.resolve_owner(cmd.owner, usage=usage_line("dept"))
    if person.id != ctx.actor.id:
        _require_lead(ctx, "set someone else's department")
    name = " ".join(cmd.department.split())
    if len(name) > 200:
        raise CommandError(
            "A department name can be at most 200 characters.", usage=usage_line("dept")
        )
    dept = people.department_by_name(ctx.session, name, create=True)
    assert dept is not None
    before = {"department_id": person.department_id}
    person.department_id = dept.id
    ctx.session.flush()
    ctx.audit(
        "person.department_set",
        "person",
        person.id,
        before=before,
        after={"department_id": dept.id},
    )
    filed = _file_open_commitments(ctx, person, dept.id)
    who = "You're" if person.id == ctx.actor.id else f"{person.display_name} is"
    body = "New commitments they own count for that department."
    if filed:
        ids = ", ".join(f"C-{n}" for n in filed)
        noun = "commitment" if len(filed) == 1 else "commitments"
        body = f"Filed {len(filed)} open {noun} with no department under {dept.name}: {ids}. "
        body += "New commitments they own count for that department."
    return Reply(
        headline=f"{who} in {dept.name}",
        body=body,
        data={"person": person.display_name, "department": dept.name, "filed": filed},
    )


def _file_open_commitments(ctx: Context, person: Person, department_id: int) -> list[int]:
    """File the person's open commitments in this team that have no department under their
    new one (an audit event each), so work logged before departments were set counts in the
    weekly figures. Commitments already filed elsewhere keep their department."""
    team = ctx.require_team()
    found = ctx.session.scalars(
        select(Commitment)
        .where(
            Commitment.team_id == team.id,
            Commitment.owner_id == person.id,
            Commitment.status.in_(OPEN_STATES),
            Commitment.department_id.is_(None),
        )
        .order_by(Commitment.number)
    ).all()
    for c in found:
        before = {"department_id": None}
        c.department_id, c.updated_at = department_id, ctx.now
        ctx.audit(
            "commitment.department_filed",
            "commitment",
            c.id,
            before=before,
            after={"department_id": department_id},
        )
    return [c.number for c in found]


def set_my_name(cmd: a.SetMyName, ctx: Context) -> Reply:
    """``me name <display name>``: the name others see, kept over the platform's profile."""
    name = " ".join(cmd.name.split())
    if not name:
        raise CommandError("What name should others see?", usage=usage_line("me name"))
    if len(name) > 200:
        raise CommandError("A name can be at most 200 characters.", usage=usage_line("me name"))
    before = {"display_name": ctx.actor.display_name}
    ctx.actor.display_name, ctx.actor.name_chosen = name, True
    ctx.session.flush()
    ctx.audit("person.renamed", "person", ctx.actor.id, before=before, after={"display_name": name})
    return Reply(headline=f"Others now see you as {name}", data={"display_name": name})


def link_team(cmd: a.LinkTeam, ctx: Context) -> Reply:
    team = ctx.require_team()
    code = "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(8))
    expires = ctx.now + JOIN_CODE_TTL
    ctx.session.add(
        JoinCode(
            code=code,
            team_id=team.id,
            created_by_id=ctx.actor.id,
            created_at=ctx.now,
            expires_at=expires,
        )
    )
    ctx.audit("team.join_code_made", "team", team.id, after={"expires_at": expires.isoformat()})
    return Reply(
        headline=f"Join code for {team.name}: {code}",
        body=f"In a channel on the other platform, say `team join {code}` within 30 minutes. "
        "It works once.",
        data={"code": code, "expires_at": expires.isoformat()},
    )


def join_team(cmd: a.JoinTeam, ctx: Context) -> Reply:
    channel = ctx.invocation.channel
    if channel is None:
        raise CommandError("Join from a channel or chat, so I know what to link.")
    if ctx.team is not None:
        raise CommandError(f"This conversation is already linked to {ctx.team.name}.")
    code = ctx.session.get(JoinCode, cmd.code, with_for_update=True)
    if code is None:
        raise CommandError(
            f'"{cmd.code}" is not a join code. Get one with `team link`.',
            usage=usage_line("team join"),
        )
    if code.used_at is not None:
        raise CommandError("That join code has been used already; get a new one with `team link`.")
    if code.expires_at <= ctx.now:
        raise CommandError("That join code has expired; get a new one with `team link`.")
    team = ctx.session.get(Team, code.team_id)
    assert team is not None
    link = _link(ctx, team, channel)
    ctx.session.flush()
    code.used_at, code.used_by_link_id = ctx.now, link.id
    ctx.team = team
    people.ensure_member(ctx.session, team.id, ctx.actor.id)
    ctx.audit(
        "team.channel_joined",
        "team",
        team.id,
        after={"platform": channel.platform, "channel": channel.channel_id},
    )
    reply = Reply(
        headline=f"This channel now shares {team.name}'s joint log",
        body="Decisions and commitments logged here or in the team's other channels "
        "are announced in both.",
        visibility="channel",
        data={"team": team.name},
    )
    ctx.announce(
        Reply(
            headline=f"A {channel.platform} channel joined {team.name}'s joint log",
            visibility="channel",
        )
    )
    return reply
