"""Teams, their channel links and their per-team human numbers."""

from __future__ import annotations

from sqlalchemy import Integer, bindparam, literal_column, select, update
from sqlalchemy.orm import Session

from storage.models import Base, ChannelLink, Counter, Team

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
    number back: numbers stay unique and gap-free. A Core statement built once: nothing
    reads a ``Counter`` object, and every record takes a number.
    """
    number = (
        session.connection()
        .execute(NEXT_NUMBER, {"counter_team": team_id, "counter_kind": kind})
        .scalar_one()
    )
    return int(number)


_COUNTERS = Base.metadata.tables[Counter.__tablename__]
_counters = _COUNTERS.c
# Also the first part of ``storage.records.insert_numbered``'s one statement on PostgreSQL,
# as a CTE. Its increment is a literal in the SQL, not a bound value: SQLAlchemy does not
# carry an anonymous bound value of an UPDATE into a statement that uses it as a CTE.
NEXT_NUMBER = (
    update(_COUNTERS)
    .where(
        _counters.team_id == bindparam("counter_team"),
        _counters.kind == bindparam("counter_kind"),
    )
    .values(last_number=_counters.last_number + literal_column("1", Integer))
    .returning(_counters.last_number)
)
_channel_links = Base.metadata.tables[ChannelLink.__tablename__].c
_LINK_PLATFORMS = (
    select(_channel_links.id, _channel_links.platform)
    .where(_channel_links.team_id == bindparam("links_team"))
    .order_by(_channel_links.id)
)


def link_platforms(session: Session, team_id: int) -> list[tuple[int, str]]:
    """``(link id, platform)`` of each of the team's channel links, oldest first: what an
    announcement needs, read without loading ``ChannelLink`` objects."""
    rows = session.connection().execute(_LINK_PLATFORMS, {"links_team": team_id})
    return [(int(link_id), str(platform)) for link_id, platform in rows]
