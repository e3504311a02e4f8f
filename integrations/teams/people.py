"""Teams accounts to Persons, and the conversations the bot has seen (storage work, sync)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from integrations.teams.activities import PLATFORM, Account
from storage import people
from storage.conversations import save_reference
from storage.database import Database
from storage.models import Person, PlatformIdentity


def accounts_without_email(db: Database, *, tenant: str, accounts: Iterable[Account]) -> set[str]:
    """Ids of the accounts whose Person has no email yet (worth asking Teams for one)."""
    wanted: set[str] = set()
    with db.reader() as uow:
        for account in accounts:
            person = people.identity(
                uow.session, platform=PLATFORM, tenant=tenant, user_id=account.id
            )
            if person is None or not person.email:
                wanted.add(account.id)
    return wanted


def resolve(db: Database, *, tenant: str, accounts: Iterable[Account]) -> dict[str, int]:
    """Account id -> Person id, creating people on first sight (one transaction; none when
    everyone is known and nothing about them changed)."""
    accounts = list(accounts)
    with db.reader() as reader:
        known: dict[str, int] = {}
        for account in accounts:
            person = people.identity(
                reader.session, platform=PLATFORM, tenant=tenant, user_id=account.id
            )
            if (
                person is None
                or account.aad_object_id
                or not people.profile_current(
                    person, display_name=account.name, email=account.email, timezone=None
                )
            ):
                break
            known[account.id] = person.id
        else:
            return known
    found: dict[str, int] = {}
    with db.uow() as uow:
        for account in accounts:
            if account.id in found:
                continue
            person = resolve_in(uow.session, tenant=tenant, account=account)
            found[account.id] = person.id
        uow.commit()
    return found


def resolve_in(session: Any, *, tenant: str, account: Account) -> Person:
    return people.resolve_identity(
        session,
        platform=PLATFORM,
        tenant=tenant,
        user_id=account.id,
        display_name=account.name,
        email=account.email,
        aad_object_id=account.aad_object_id,
    )


def account_by_aad(db: Database, *, tenant: str, aad_object_id: str) -> Account | None:
    """A Teams account already seen, by its AAD object id (what the people picker returns)."""
    with db.reader() as uow:
        row = uow.session.execute(
            select(PlatformIdentity, Person)
            .join(Person, Person.id == PlatformIdentity.person_id)
            .where(
                PlatformIdentity.platform == PLATFORM,
                PlatformIdentity.tenant == tenant,
                PlatformIdentity.aad_object_id == aad_object_id,
            )
            .order_by(PlatformIdentity.id.desc())
        ).first()
        if row is None:
            return None
        identity, person = row
        return Account(
            id=identity.user_id,
            name=person.display_name,
            aad_object_id=aad_object_id,
            email=person.email,
        )


def remember(
    db: Database,
    *,
    conversation_id: str,
    conversation_type: str,
    tenant: str,
    service_url: str,
    reference: dict[str, Any],
    person_id: int | None,
    now: dt.datetime,
    update: bool = True,
) -> None:
    """Store where this conversation can be reached later; a personal chat is tied to its
    person, so a nudge can reach them there. ``update=False`` (an unauthenticated request):
    a conversation seen for the first time is stored, a known one is left as it is."""
    with db.uow() as uow:
        save_reference(
            uow.session,
            platform=PLATFORM,
            conversation_id=conversation_id,
            conversation_type=conversation_type,
            tenant=tenant,
            service_url=service_url,
            reference=reference,
            person_id=person_id if conversation_type == "personal" else None,
            now=now,
            update=update,
        )
        uow.commit()
