"""``me is <email>``: one person across platforms.

A person who talks to the bot on Slack and on Teams is first seen twice. When
both platforms give an email, ``storage.people.resolve_identity`` matches them
on first sight. When one does not (Teams in anonymous local mode, a Slack
workspace without the email scope), the person says ``me is <email>``: if
another Person already has that email, this Person's platform accounts move to
it and every record that named this Person names that one instead. The
duplicate Person row stays (with no accounts), and every change is an audit
event, so nothing is lost and the merge can be traced.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from commands import actions as a
from commands.context import Context
from commands.language import CommandError
from commands.reply import Field, Reply
from storage import people
from storage.models import (
    AreaRole,
    Commitment,
    ConversationReference,
    Decision,
    Person,
    PlatformIdentity,
    Risk,
    TeamMember,
)

# (model, column) pairs that name a person and follow them into a merge. Audit events keep
# the actor they were written with: they are the record of what happened.
_REFERENCES: tuple[tuple[Any, Any], ...] = (
    (Commitment, Commitment.owner_id),
    (Commitment, Commitment.created_by_id),
    (Decision, Decision.decided_by_id),
    (Risk, Risk.owner_id),
    (Risk, Risk.created_by_id),
    (AreaRole, AreaRole.person_id),
    (ConversationReference, ConversationReference.person_id),
)

_ROLE_RANK = {"member": 0, "lead": 1}


def confirm_email(cmd: a.ConfirmEmail, ctx: Context) -> Reply:
    me = ctx.actor
    email = cmd.email.strip()
    if me.email and me.email.lower() == email.lower():
        return Reply(
            headline=f"You're already {me.email}.",
            data={"person_id": me.id, "email": me.email, "merged": False},
        )
    if me.email:
        # The address came from a platform (or an earlier confirmation): changing it would let
        # anyone take over another person's records by typing their email.
        raise CommandError(f"I already know you as {me.email}. Ask a team lead if that is wrong.")
    other = people.person_by_email(ctx.session, email)
    if other is None or other.id == me.id:
        me.email = email
        ctx.session.flush()
        ctx.audit(
            "person.email_confirmed",
            "person",
            me.id,
            before={"email": None},
            after={"email": email},
        )
        return Reply(
            headline=f"Thanks, {me.display_name}: you're {email}.",
            body="If you also use the bot on the other platform, it will know you there "
            "by this email.",
            data={"person_id": me.id, "email": email, "merged": False},
        )
    return _merge(ctx, duplicate=me, into=other)


def _merge(ctx: Context, *, duplicate: Person, into: Person) -> Reply:
    session = ctx.session
    mine = list(
        session.scalars(select(PlatformIdentity).where(PlatformIdentity.person_id == duplicate.id))
    )
    theirs = session.scalars(
        select(PlatformIdentity).where(PlatformIdentity.person_id == into.id)
    ).all()
    clash = {(i.platform, i.tenant) for i in theirs} & {(i.platform, i.tenant) for i in mine}
    if clash:
        platform = sorted(clash)[0][0]
        raise CommandError(
            f"{into.email} already has a {platform} account here that isn't you. "
            "Ask a team lead if that is wrong."
        )
    moved: dict[str, int] = {}
    for identity in mine:
        identity.person_id = into.id
    for model, column in _REFERENCES:
        result = session.execute(
            update(model)
            .where(column == duplicate.id)
            .values({column.key: into.id})
            .execution_options(synchronize_session=False)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            key = f"{model.__tablename__}.{column.key}"
            moved[key] = count
    memberships = _merge_memberships(ctx, duplicate=duplicate, into=into)
    if into.department_id is None and duplicate.department_id is not None:
        into.department_id = duplicate.department_id
    if into.timezone is None and duplicate.timezone is not None:
        into.timezone = duplicate.timezone
    session.flush()
    session.expire_all()
    ctx.audit(
        "person.merged",
        "person",
        duplicate.id,
        before={
            "person_id": duplicate.id,
            "identities": [[i.platform, i.tenant, i.user_id] for i in mine],
        },
        after={
            "merged_into": into.id,
            "email": into.email,
            "moved": moved,
            "memberships": memberships,
        },
    )
    accounts = ", ".join(sorted({i.platform for i in mine} | {i.platform for i in theirs}))
    return Reply(
        headline=f"Thanks: you're {into.email}, one person on {accounts}.",
        body="Your commitments, decisions and roles from both accounts are now one list.",
        fields=(Field("Records moved", str(sum(moved.values()))),),
        data={
            "person_id": into.id,
            "merged_from": duplicate.id,
            "email": into.email,
            "merged": True,
            "moved": moved,
        },
    )


def _merge_memberships(ctx: Context, *, duplicate: Person, into: Person) -> list[dict[str, Any]]:
    """Give ``into`` every team membership of ``duplicate`` (keeping the higher role).

    The duplicate's membership rows stay, as its Person row does, demoted to plain members
    (it has no accounts left, so nobody can act as it, and it is not listed as a lead).
    """
    teams: list[dict[str, Any]] = []
    rows = ctx.session.scalars(select(TeamMember).where(TeamMember.person_id == duplicate.id)).all()
    for row in rows:
        target = people.ensure_member(ctx.session, row.team_id, into.id, role=row.role)
        if _ROLE_RANK.get(row.role, 0) > _ROLE_RANK.get(target.role, 0):
            target.role = row.role
        teams.append({"team_id": row.team_id, "role": row.role})
        row.role = "member"
    return teams
