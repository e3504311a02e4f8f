"""Which team a command in a direct conversation is about.

A direct message (Slack's Messages tab, a Teams personal chat) is linked to no team.
Person-level commands still work there: ``help`` needs no team; ``list mine`` covers all
the person's teams; ``done C-5`` goes to the one team where the person has a C-5 they may
change. Any other command uses the person's only team, or, when they are in several,
asks which: ``... in <team>`` names it (the question offers one button per team).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from sqlalchemy import select

from commands import actions as a
from commands.context import Context
from commands.invocation import Invocation
from commands.language import CommandError
from commands.reply import Button, Item, Reply, Section
from commands.rules import may_change_commitment
from storage import people
from storage.models import Commitment, Decision, Risk, Team, TeamMember

# Commands that need no team, or make or join one (they name the conversation's own).
_NO_TEAM = (a.Help, a.CreateTeam, a.JoinTeam, a.ClaimEmail, a.ConfirmClaim)
# Commands on one commitment by its number: the team is where that number is yours to change.
_ON_COMMITMENT = (a.MarkDone, a.Reopen, a.Cancel, a.Block, a.Reassign, a.SetDue, a.Snooze)
_FROM = re.compile(r"\s+from\s+\d+\s*$", re.IGNORECASE)
_IN = re.compile(r"\s+in\s+", re.IGNORECASE)


def is_direct(invocation: Invocation) -> bool:
    return invocation.channel is not None and invocation.channel.direct


def teams_of(ctx: Context) -> list[Team]:
    return list(
        ctx.session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.person_id == ctx.actor.id)
            .order_by(Team.name)
        )
    )


def named_team(text: str, teams: Sequence[Team]) -> tuple[Team, str] | None:
    """``(team, text without it)`` when ``text`` ends with ``in <one of teams>`` (a list's
    ``from <n>`` may follow it); the longest team name wins."""
    position = _FROM.search(text)
    tail = text[position.start() :] if position else ""
    head = text[: position.start()] if position else text
    by_name = {" ".join(t.name.casefold().split()): t for t in teams}
    for found in _IN.finditer(head):
        name = " ".join(head[found.end() :].casefold().split())
        if name in by_name:
            return by_name[name], head[: found.start()] + tail
    return None


def settle(command: a.Command, ctx: Context) -> Reply | None:
    """Choose ``ctx.team`` (or ``ctx.teams``) for ``command`` in a direct conversation, or
    return the question to ask when it could be any of several teams."""
    if isinstance(command, _NO_TEAM):
        return None
    teams = teams_of(ctx)
    if not teams:
        return None  # the handler says how to start or join a team
    if len(teams) == 1:
        ctx.team = teams[0]
        people.ensure_member(ctx.session, ctx.team.id, ctx.actor.id)
        return None
    if isinstance(command, a.ListRecords):
        ctx.teams = teams
        return None
    if isinstance(command, _ON_COMMITMENT):
        candidates = _teams_with_commitment(ctx, teams, command.number)
    elif isinstance(command, a.Show):
        candidates = _teams_with_record(ctx, teams, command.kind, command.number)
    else:
        candidates = teams
    if len(candidates) == 1:
        ctx.team = candidates[0]
        return None
    return which_team(ctx.invocation.text, candidates)


def which_team(text: str, teams: Sequence[Team]) -> Reply:
    names = ", ".join(t.name for t in teams)
    return Reply(
        headline=f"Which team? You're in {names}.",
        body=f"Say `{text} in <team>`, or pick one:",
        buttons=tuple(Button(t.name[:60], f"{text} in {t.name}") for t in teams[:20]),
        ok=True,
        data={"question": "team", "teams": [t.name for t in teams]},
    )


def _teams_with_commitment(ctx: Context, teams: Sequence[Team], number: int) -> list[Team]:
    """The teams with a C-<number> the person may change; else those with any C-<number>;
    none at all is a CommandError naming the teams looked in."""
    by_id = {t.id: t for t in teams}
    found = list(
        ctx.session.scalars(
            select(Commitment).where(
                Commitment.team_id.in_(list(by_id)), Commitment.number == number
            )
        )
    )
    if not found:
        names = ", ".join(t.name for t in teams)
        raise CommandError(f"There is no C-{number} in your teams ({names}).")
    yours = []
    for c in found:
        member = people.membership(ctx.session, c.team_id, ctx.actor.id)
        lead = member is not None and member.role == "lead"
        if may_change_commitment(actor_id=ctx.actor.id, commitment=c, actor_is_lead=lead):
            yours.append(by_id[c.team_id])
    return yours or [by_id[c.team_id] for c in found]


def _teams_with_record(ctx: Context, teams: Sequence[Team], kind: str, number: int) -> list[Team]:
    column = {"C": Commitment, "D": Decision, "R": Risk}[kind]
    model: type[Commitment] | type[Decision] | type[Risk] = column  # type: ignore[assignment]
    by_id = {t.id: t for t in teams}
    team_ids = set(
        ctx.session.scalars(
            select(model.team_id).where(model.team_id.in_(list(by_id)), model.number == number)
        )
    )
    if not team_ids:
        names = ", ".join(t.name for t in teams)
        raise CommandError(f"There is no {kind}-{number} in your teams ({names}).")
    return [by_id[i] for i in sorted(team_ids, key=lambda i: by_id[i].name)]


def pin(reply: Reply, team: Team, *, several: bool) -> Reply:
    """``reply`` with ``in <team>`` added to its buttons' commands (and its pages'), so that
    pressing one in a direct message acts in the same team. Nothing changes for a person in
    one team."""
    if not several:
        return reply
    suffix = f" in {team.name}"

    def buttons(bs: tuple[Button, ...]) -> tuple[Button, ...]:
        return tuple(dataclasses.replace(b, command=b.command + suffix) for b in bs)

    def item(i: Item) -> Item:
        return dataclasses.replace(i, buttons=buttons(i.buttons)) if i.buttons else i

    def section(s: Section) -> Section:
        return dataclasses.replace(s, items=tuple(item(i) for i in s.items))

    page = reply.page
    if page is not None:
        page = dataclasses.replace(page, command=page.command + suffix)
    return dataclasses.replace(
        reply,
        buttons=buttons(reply.buttons),
        sections=tuple(section(s) for s in reply.sections),
        page=page,
    )
