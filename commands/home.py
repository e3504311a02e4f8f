"""A person's home page (Slack's App Home tab): their open commitments, overdue first, the
open commitments in areas they are accountable for, and each team's recent decisions.

A commitment has no link to an area, so "in an area" means its text mentions the area:
at least half of the area name's words (an area "DPIA" matches "Send the DPIA draft").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from commands.dispatch import UnitOfWorkFactory
from commands.presenting import commitment_item, decision_item
from commands.reply import Field, Item, Reply, Section
from commands.rules import OPEN_STATES, local_today
from storage.models import Area, AreaRole, Commitment, Decision, Team, TeamMember

MINE_LIMIT = 15
ACCOUNTABLE_LIMIT = 10
DECISIONS_LIMIT = 5

_SMALL_WORDS = frozenset("a an and the of for to in on at by with or".split())


def _area_words(name: str) -> list[str]:
    return [w for w in re.findall(r"[\w'-]+", name.casefold()) if w not in _SMALL_WORDS]


def _mentions_area(text: str, words: list[str]) -> bool:
    if not words:
        return False
    haystack = text.casefold()
    return sum(1 for w in words if w in haystack) * 2 >= len(words)


def _open_commitments_by_due(team_id: int) -> Select[Any]:
    return (
        select(Commitment)
        .where(Commitment.team_id == team_id, Commitment.status.in_(OPEN_STATES))
        .order_by(Commitment.due_date.is_(None), Commitment.due_date, Commitment.number)
    )


def home_reply(session: Session, *, person_id: int, now: dt.datetime) -> Reply:
    """The home page of ``person_id``: one group of sections per team they belong to.

    ``section_team_ids`` gives the team of each section, in order, so that a platform can
    run an item's buttons in the right team (a home page has no channel).
    """
    teams = session.scalars(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.person_id == person_id)
        .order_by(Team.name)
    ).all()
    if not teams:
        return Reply(
            headline="You're not in a Joinedup team yet",
            body="In a channel, run `/joinedup team create <name>` to start a joint log, "
            "or `/joinedup team join <code>` with a code from `team link`.",
            data={"teams": 0, "open": 0},
        )
    sections: list[Section] = []
    section_team_ids: list[int] = []
    open_count = 0
    for team in teams:
        today = local_today(now, team.timezone)
        suffix = f" · {team.name}" if len(teams) > 1 else ""

        mine = session.scalars(
            _open_commitments_by_due(team.id)
            .where(Commitment.owner_id == person_id)
            .limit(MINE_LIMIT)
        ).all()
        mine_total = len(mine)
        if mine_total >= MINE_LIMIT:
            mine_total = int(
                session.scalar(
                    select(func.count(Commitment.id)).where(
                        Commitment.team_id == team.id,
                        Commitment.status.in_(OPEN_STATES),
                        Commitment.owner_id == person_id,
                    )
                )
                or 0
            )
        open_count += mine_total
        sections.append(
            Section(
                title=f"Your open commitments{suffix}",
                items=tuple(commitment_item(c, today) for c in mine),
                empty="Nothing open. Well done.",
                more=mine_total - len(mine),
                more_command="list mine" + (f" in {team.name}" if len(teams) > 1 else ""),
            )
        )
        section_team_ids.append(team.id)

        areas = session.scalars(
            select(Area)
            .join(AreaRole, AreaRole.area_id == Area.id)
            .where(
                Area.team_id == team.id,
                AreaRole.person_id == person_id,
                AreaRole.role == "accountable",
                AreaRole.ended_at.is_(None),
            )
            .order_by(Area.name)
        ).all()
        if areas:
            area_words = {area.name: _area_words(area.name) for area in areas}
            words = [w for ws in area_words.values() for w in ws]
            candidates = session.scalars(
                _open_commitments_by_due(team.id)
                .where(or_(*(Commitment.text.ilike(f"%{w}%") for w in words)) if words else false())
                .limit(200)
            ).all()
            items: list[Item] = []
            for c in candidates:
                matched = [name for name, ws in area_words.items() if _mentions_area(c.text, ws)]
                if not matched:
                    continue
                item = commitment_item(c, today, buttons=False)
                items.append(
                    Item(
                        title=item.title,
                        ref=item.ref,
                        fields=(Field("Area", ", ".join(matched)),) + item.fields,
                        highlight=item.highlight,
                        link=item.link,
                    )
                )
                if len(items) >= ACCOUNTABLE_LIMIT:
                    break
            sections.append(
                Section(
                    title=f"Where you're accountable{suffix}",
                    items=tuple(items),
                    empty="No open commitments in " + ", ".join(area.name for area in areas) + ".",
                )
            )
            section_team_ids.append(team.id)

        decisions = session.scalars(
            select(Decision)
            .where(Decision.team_id == team.id, Decision.status == "active")
            .order_by(Decision.number.desc())
            .limit(DECISIONS_LIMIT)
        ).all()
        sections.append(
            Section(
                title=f"Recent decisions{suffix}",
                items=tuple(decision_item(d) for d in decisions),
                empty="No decisions logged yet.",
            )
        )
        section_team_ids.append(team.id)

    return Reply(
        headline="Your Joinedup",
        body=f"{open_count} open commitment{'s' if open_count != 1 else ''} "
        f"in {', '.join(t.name for t in teams)}.",
        sections=tuple(sections),
        section_team_ids=tuple(section_team_ids),
        data={
            "teams": len(teams),
            "open": open_count,
            "ids": [i.ref for s in sections for i in s.items if i.ref],
        },
    )


def show_home(*, person_id: int, now: dt.datetime, uow: UnitOfWorkFactory) -> Reply:
    """``home_reply`` in its own read-only unit of work."""
    with uow() as work:
        return home_reply(work.session, person_id=person_id, now=now)
