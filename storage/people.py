"""Finding and creating people, departments and memberships (first sight creates them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Department, Person, PlatformIdentity, TeamMember

T = TypeVar("T")


def _insert_or_find(session: Session, create: Callable[[], T], find: Callable[[], T | None]) -> T:
    """Insert in a savepoint; if a concurrent transaction inserted the same key, use theirs."""
    try:
        with session.begin_nested():
            return create()
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found


def person_by_email(session: Session, email: str) -> Person | None:
    return session.scalars(
        select(Person).where(func.lower(Person.email) == email.strip().lower())
    ).first()


def account_holder_by_email(session: Session, email: str) -> Person | None:
    """The Person who holds ``email`` and talks to the bot from a platform account, or None.

    A Person with an email and a platform account got that email from a platform: only
    ``resolve_identity`` attaches accounts by email, and it is given the email from the
    platform's own profile (Slack ``users.info``, the Teams roster), never from what someone
    typed. A Person with an email but no account (a ``commit <email> ...`` owner, a console
    user) has nobody who could confirm a claim from another platform, so it is not a holder.
    """
    return session.scalars(
        select(Person)
        .where(
            func.lower(Person.email) == email.strip().lower(),
            select(PlatformIdentity.id).where(PlatformIdentity.person_id == Person.id).exists(),
        )
        .limit(1)
    ).first()


def person_by_handle(session: Session, handle: str) -> Person | None:
    return session.scalars(
        select(Person).where(func.lower(Person.handle) == handle.lstrip("@").lower())
    ).first()


def _free_handle(session: Session, wanted: str) -> str:
    base = re.sub(r"[^a-z0-9._-]", "", wanted.lower())[:40] or "person"
    handle, n = base, 1
    while person_by_handle(session, handle) is not None:
        n += 1
        handle = f"{base}{n}"
    return handle


def find_or_create_by_email(
    session: Session, email: str, *, display_name: str | None = None
) -> Person:
    """The Person with ``email``, created (with no platform account) when there is none.

    Used for an owner named by email (``commit sam@health.example ...``) and for the console
    (``joinedup chat --as <email>``, the local operator). Someone typing another person's email
    here cannot take that person over: the Person created has no platform account, so nobody
    acts as it from Slack or Teams, and ``me is`` does not offer to join it
    (``account_holder_by_email``). When the real owner of the email later arrives on a platform
    that gives that email, ``resolve_identity`` attaches their account to this Person; that is
    what we want, because the records on it (commitments they own, roles) are about them.
    """
    email = email.strip()
    existing = person_by_email(session, email)
    if existing is not None:
        return existing
    local = email.split("@", 1)[0]

    def create() -> Person:
        person = Person(
            email=email,
            display_name=display_name or _name_from_local_part(local),
            handle=_free_handle(session, local),
        )
        session.add(person)
        session.flush()
        return person

    return _insert_or_find(session, create, lambda: person_by_email(session, email))


def _name_from_local_part(local: str) -> str:
    parts = [p for p in re.split(r"[._-]+", local) if p]
    return " ".join(p.capitalize() for p in parts) or local


def identity(session: Session, *, platform: str, tenant: str, user_id: str) -> Person | None:
    return session.scalars(
        select(Person)
        .join(PlatformIdentity)
        .where(
            PlatformIdentity.platform == platform,
            PlatformIdentity.tenant == tenant,
            PlatformIdentity.user_id == user_id,
        )
    ).first()


def resolve_identity(
    session: Session,
    *,
    platform: str,
    tenant: str,
    user_id: str,
    display_name: str | None = None,
    email: str | None = None,
    handle: str | None = None,
    aad_object_id: str | None = None,
    timezone: str | None = None,
) -> Person:
    """The Person behind a platform account, created on first sight.

    A person already known on another platform with the same email becomes the
    same Person (one joint log, one identity).

    ``email`` must be the one the platform gives for this account (Slack's profile, the Teams
    roster), never text a user typed: matching by it hands the account to whoever holds the
    email. Nothing in the bot sets ``Person.email`` from chat text except naming a new owner by
    email, which creates a Person with no account (see ``find_or_create_by_email``); ``me is``
    joins accounts only after ``me confirm`` from the account that holds the email.
    """
    person = identity(session, platform=platform, tenant=tenant, user_id=user_id)
    if person is not None:
        _take_profile(session, person, display_name=display_name, email=email, timezone=timezone)
        return person
    person = person_by_email(session, email) if email else None
    if person is not None:
        # Known by email already (an owner named by email in the console, or their account
        # on the other platform): the platform's profile names them from now on, as it does
        # on every later message, rather than the name guessed from the email's local part.
        _take_profile(session, person, display_name=display_name, email=None, timezone=timezone)
    else:
        wanted = handle or (email.split("@", 1)[0] if email else None) or display_name or user_id
        person = Person(
            display_name=display_name or handle or user_id,
            email=email,
            handle=_free_handle(session, wanted.replace(" ", ".")),
            timezone=timezone,
        )
        session.add(person)
        session.flush()
    target = person

    def create() -> Person:
        session.add(
            PlatformIdentity(
                person_id=target.id,
                platform=platform,
                tenant=tenant,
                user_id=user_id,
                aad_object_id=aad_object_id,
            )
        )
        session.flush()
        return target

    def find() -> Person | None:
        return identity(session, platform=platform, tenant=tenant, user_id=user_id)

    return _insert_or_find(session, create, find)


def profile_current(
    person: Person, *, display_name: str | None, email: str | None, timezone: str | None
) -> bool:
    """Whether ``resolve_identity`` would change nothing on ``person`` for this profile."""
    return (
        (not display_name or person.display_name == display_name or person.name_chosen)
        and (not email or bool(person.email))
        and (not timezone or bool(person.timezone))
    )


def _take_profile(
    session: Session,
    person: Person,
    *,
    display_name: str | None,
    email: str | None,
    timezone: str | None,
) -> None:
    """What a platform's profile tells us: its name, and an email or timezone we lacked."""
    if display_name and person.display_name != display_name and not person.name_chosen:
        person.display_name = display_name
    if email and not person.email and person_by_email(session, email) is None:
        person.email = email
    if timezone and not person.timezone:
        person.timezone = timezone


def department_by_name(session: Session, name: str, *, create: bool = False) -> Department | None:
    key = " ".join(name.split()).casefold()
    found = session.scalars(select(Department).where(Department.key == key)).first()
    if found is not None or not create:
        return found

    def make() -> Department:
        dept = Department(name=" ".join(name.split()), key=key)
        session.add(dept)
        session.flush()
        return dept

    return _insert_or_find(
        session,
        make,
        lambda: session.scalars(select(Department).where(Department.key == key)).first(),
    )


def membership(session: Session, team_id: int, person_id: int) -> TeamMember | None:
    return session.scalars(
        select(TeamMember).where(TeamMember.team_id == team_id, TeamMember.person_id == person_id)
    ).first()


def ensure_member(
    session: Session, team_id: int, person_id: int, *, role: str = "member"
) -> TeamMember:
    found = membership(session, team_id, person_id)
    if found is not None:
        return found

    def create() -> TeamMember:
        member = TeamMember(team_id=team_id, person_id=person_id, role=role)
        session.add(member)
        session.flush()
        return member

    def find() -> TeamMember | None:
        return membership(session, team_id, person_id)

    return _insert_or_find(session, create, find)


def identities_of(session: Session, person_id: int, *, platform: str) -> list[PlatformIdentity]:
    """A person's accounts on one platform (e.g. to reach them by direct message)."""
    return list(
        session.scalars(
            select(PlatformIdentity)
            .where(PlatformIdentity.person_id == person_id, PlatformIdentity.platform == platform)
            .order_by(PlatformIdentity.id)
        )
    )
