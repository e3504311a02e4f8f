"""Teams, their channel links and their per-team human numbers."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ChannelLink, Counter, Team

RECORD_KINDS = ("D", "C", "R", "P", "M")  # P: proposals, M: measures


def team_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def team_by_name(session: Session, name: str) -> Team | None:
    return session.scalars(select(Team).where(Team.key == team_key(name))).first()


def create_team(session: Session, name: str, *, timezone: str = "Europe/London") -> Team:
    team = Team(name=" ".join(name.split()), key=team_key(name), timezone=timezone)
    session.add(team)
    session.flush()
    for kind in RECORD_KINDS:
        session.add(Counter(team_id=team.id, kind=kind, last_number=0))
    session.flush()
    return team


def channel_link(
    session: Session, *, platform: str, tenant: str, channel_id: str
) -> ChannelLink | None:
    return session.scalars(
        select(ChannelLink).where(
            ChannelLink.platform == platform,
            ChannelLink.tenant == tenant,
            ChannelLink.channel_id == channel_id,
        )
    ).first()


def team_for_channel(
    session: Session, *, platform: str, tenant: str, channel_id: str
) -> Team | None:
    return session.scalars(
        select(Team)
        .join(ChannelLink, ChannelLink.team_id == Team.id)
        .where(
            ChannelLink.platform == platform,
            ChannelLink.tenant == tenant,
            ChannelLink.channel_id == channel_id,
        )
        .limit(1)
    ).first()


def links_of_team(session: Session, team_id: int) -> list[ChannelLink]:
    return list(
        session.scalars(
            select(ChannelLink).where(ChannelLink.team_id == team_id).order_by(ChannelLink.id)
        )
    )


def next_number(session: Session, team_id: int, kind: str) -> int:
    """Take the team's next D/C/R/M number.

    The UPDATE locks the counter row until commit, so concurrent writers queue
    (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE) and a rollback gives the
    number back: numbers stay unique and gap-free.
    """
    number = session.execute(
        update(Counter)
        .where(Counter.team_id == team_id, Counter.kind == kind)
        .values(last_number=Counter.last_number + 1)
        .returning(Counter.last_number)
    ).scalar_one()
    return int(number)
