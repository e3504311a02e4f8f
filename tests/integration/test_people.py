"""Platform accounts and the people of the joint log."""

from __future__ import annotations

from sqlalchemy import select

from storage import people
from storage.database import Database
from storage.models import PlatformIdentity


def test_a_person_first_named_by_email_takes_their_platform_name_and_timezone_on_first_sight(
    db: Database,
) -> None:
    with db.uow() as uow:
        named = people.find_or_create_by_email(uow.session, "priya@police.example")
        uow.commit()
        named_id = named.id
        assert named.display_name == "Priya"  # guessed from the email

    with db.uow() as uow:
        seen = people.resolve_identity(
            uow.session,
            platform="slack",
            tenant="T1",
            user_id="U3",
            display_name="Priya Shah",
            email="Priya@police.example",
            timezone="Europe/London",
        )
        uow.commit()
        assert seen.id == named_id
        assert (seen.display_name, seen.email, seen.timezone) == (
            "Priya Shah",
            "priya@police.example",
            "Europe/London",
        )
        [account] = uow.session.scalars(select(PlatformIdentity))
        assert (account.person_id, account.user_id) == (named_id, "U3")
