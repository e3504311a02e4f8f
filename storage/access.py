"""Who may see which team on the web, and the secrets that prove it.

Every secret (a sign-in link, a session cookie, an API token) is 32 random
bytes shown once; only its SHA-256 is stored, so a copy of the database
cannot sign anyone in. Secrets are compared by looking up their hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, union, update
from sqlalchemy.orm import Session

from storage.models import ApiToken, Team, TeamMember, TeamViewer, WebSession, WebSignIn

SIGN_IN_TTL = dt.timedelta(minutes=15)
SESSION_IDLE = dt.timedelta(hours=12)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- who sees what ------------------------------------------------------------------------------


def visible_team_ids(session: Session, person_id: int) -> set[int]:
    """The teams a person belongs to (member or lead) or may view (``team viewer add``)."""
    stmt = union(
        select(TeamMember.team_id).where(TeamMember.person_id == person_id),
        select(TeamViewer.team_id).where(TeamViewer.person_id == person_id),
    )
    return {int(team_id) for team_id in session.scalars(stmt)}


def visible_teams(session: Session, person_id: int) -> list[Team]:
    ids = visible_team_ids(session, person_id)
    if not ids:
        return []
    return list(session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.key)))


def add_viewer(
    session: Session, *, team_id: int, person_id: int, added_by_id: int, now: dt.datetime
) -> bool:
    """Give ``person_id`` read-only access; False when they already had it."""
    existing = session.scalars(
        select(TeamViewer).where(TeamViewer.team_id == team_id, TeamViewer.person_id == person_id)
    ).first()
    if existing is not None:
        return False
    session.add(
        TeamViewer(team_id=team_id, person_id=person_id, added_by_id=added_by_id, created_at=now)
    )
    session.flush()
    return True


# --- sign-in links and sessions --------------------------------------------------------------


def create_sign_in(session: Session, *, person_id: int, now: dt.datetime) -> str:
    """A new single-use sign-in secret for ``person_id``, valid for ``SIGN_IN_TTL``."""
    secret = new_secret()
    session.add(
        WebSignIn(
            token_hash=digest(secret),
            person_id=person_id,
            created_at=now,
            expires_at=now + SIGN_IN_TTL,
        )
    )
    session.flush()
    return secret


def redeem_sign_in(session: Session, secret: str, *, now: dt.datetime) -> str | None:
    """Use a sign-in secret once: returns a new session secret, or None when the link is
    unknown, used or expired. The link is claimed with a conditional UPDATE, so two
    concurrent uses cannot both succeed."""
    link = session.scalars(select(WebSignIn).where(WebSignIn.token_hash == digest(secret))).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    claimed = session.execute(
        update(WebSignIn)
        .where(WebSignIn.id == link.id, WebSignIn.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    cookie = new_secret()
    session.add(
        WebSession(
            token_hash=digest(cookie), person_id=link.person_id, created_at=now, last_seen_at=now
        )
    )
    session.flush()
    return cookie


TOUCH_EVERY = dt.timedelta(minutes=1)


def session_person(session: Session, secret: str, *, now: dt.datetime) -> tuple[int, bool] | None:
    """The person a session cookie belongs to, and whether its ``last_seen_at`` is due to be
    moved on (``touch_session``; at most once a minute, to spare writes); None when the
    session is unknown or has been idle for ``SESSION_IDLE``."""
    row = session.scalars(select(WebSession).where(WebSession.token_hash == digest(secret))).first()
    if row is None or now - row.last_seen_at >= SESSION_IDLE:
        return None
    return row.person_id, now - row.last_seen_at >= TOUCH_EVERY


def touch_session(session: Session, secret: str, *, now: dt.datetime) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == digest(secret), WebSession.last_seen_at < now)
        .values(last_seen_at=now)
    )


def end_session(session: Session, secret: str) -> None:
    row = session.scalars(select(WebSession).where(WebSession.token_hash == digest(secret))).first()
    if row is not None:
        row.last_seen_at = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


# --- API tokens ------------------------------------------------------------------------------


def create_api_token(session: Session, *, team_id: int, label: str, now: dt.datetime) -> str:
    secret = "jdu_" + new_secret()
    session.add(ApiToken(team_id=team_id, label=label, token_hash=digest(secret), created_at=now))
    session.flush()
    return secret


def api_token_by_label(session: Session, label: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.label == label)).first()


def api_tokens(session: Session) -> list[tuple[ApiToken, str]]:
    rows = session.execute(
        select(ApiToken, Team.name).join(Team, Team.id == ApiToken.team_id).order_by(ApiToken.id)
    )
    return [(token, name) for token, name in rows]


def api_token_team(session: Session, secret: str) -> int | None:
    """The team a live (not revoked) bearer token is for, or None."""
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest(secret), ApiToken.revoked_at.is_(None))
    ).first()
    return None if token is None else token.team_id
