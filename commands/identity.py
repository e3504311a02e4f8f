"""``me is <email>`` and ``me confirm <code>``: one person across platforms.

A person who talks to the bot on Slack and on Teams is first seen twice. When
both platforms give an email, ``storage.people.resolve_identity`` matches them
on first sight. When one does not (Teams in anonymous local mode, a Slack
workspace without the email scope), the person joins the two accounts in two
steps, which together prove that they control both:

1. From the account without an email: ``me is <email>``. If another Person holds
   that email and has a platform account, the bot makes a single-use code, valid
   30 minutes, bound to (this Person, that Person), and says it privately.
   Nothing is joined yet, and the email is never set from what was typed: a
   typed email that a platform later gives to its real owner would otherwise
   hand that owner's account to whoever typed it.
2. From the account that holds the email: ``me confirm <code>``. Only that
   Person can use the code, so seeing it (in a channel, over a shoulder) is no
   use to anyone else. This Person's platform accounts then move to the holder
   and every record that named it names the holder instead. The duplicate
   Person row stays (with no accounts), and every change is an audit event, so
   nothing is lost and the merge can be traced.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from commands import actions as a
from commands.context import Context
from commands.language import CommandError
from commands.reply import Field, Reply
from commands.usages import usage_line
from storage import people
from storage.models import (
    AreaRole,
    Commitment,
    ConversationReference,
    Decision,
    DepartmentDecider,
    IdentityClaim,
    Person,
    PlatformIdentity,
    Proposal,
    ProposalComment,
    ProposalDecider,
    Risk,
    Team,
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
    # Proposals and deciders (commands/proposals.py); ladder steps taken stay as history.
    (Proposal, Proposal.proposed_by_id),
    (ProposalDecider, ProposalDecider.person_id),
    (ProposalComment, ProposalComment.person_id),
    (DepartmentDecider, DepartmentDecider.person_id),
    (Team, Team.sro_id),
)

_ROLE_RANK = {"member": 0, "lead": 1}

CLAIM_TTL = dt.timedelta(minutes=30)
# No 0/O or 1/I: the code is read on one screen and typed on another.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def claim_email(cmd: a.ClaimEmail, ctx: Context) -> Reply:
    me = ctx.actor
    email = cmd.email.strip()
    if me.email and me.email.lower() == email.lower():
        return Reply(
            headline=f"You're already {me.email}.",
            data={"person_id": me.id, "email": me.email, "claimed": False},
        )
    if me.email:
        # The address came from a platform: changing it would let anyone take over another
        # person's records by typing their email.
        raise CommandError(f"I already know you as {me.email}. Ask a team lead if that is wrong.")
    holder = people.account_holder_by_email(ctx.session, email)
    if holder is None:
        return Reply(
            headline=f"Nobody with {email} uses Joinedup yet.",
            body="Your accounts will join by themselves when the other platform gives me the "
            "same email. Or use the bot there once, then say `me is` here again.",
            data={"person_id": me.id, "email": email, "claimed": False},
        )
    _refuse_a_clash(ctx, claimant=me, holder=holder)
    claim = _new_claim(ctx, claimant=me, holder=holder)
    ctx.audit(
        "person.claim_made",
        "person",
        me.id,
        after={
            "claim_id": claim.id,
            "holder_id": holder.id,
            "expires_at": claim.expires_at.isoformat(),
        },
    )
    return Reply(
        headline=f"To join your accounts, say `me confirm {claim.code}` from your other account "
        f"(the one that is {holder.email}) within 30 minutes.",
        body="Nothing is joined until then. The code works once, and only from that account.",
        visibility="private",
        data={
            "person_id": me.id,
            "email": holder.email,
            "claimed": True,
            "code": claim.code,
            "expires_at": claim.expires_at.isoformat(),
        },
    )


def confirm_claim(cmd: a.ConfirmClaim, ctx: Context) -> Reply:
    me = ctx.actor
    claim = ctx.session.scalars(
        select(IdentityClaim).where(IdentityClaim.code == cmd.code).with_for_update()
    ).first()
    if claim is None:
        raise CommandError(
            f'"{cmd.code}" is not a code I gave. Say `me is <email>` from the account that has '
            "no email to get one.",
            usage=usage_line("me confirm"),
        )
    if claim.holder_id != me.id:
        if claim.claimant_id == me.id:
            raise CommandError(
                f"Say `me confirm {claim.code}` from your other account (the one that is "
                f"{claim.email}), not this one."
            )
        raise CommandError("That code is for someone else's accounts; only they can confirm it.")
    if claim.used_at is not None:
        raise CommandError("That code has been used already.")
    if claim.expires_at <= ctx.now:
        raise CommandError(
            "That code has expired. Say `me is <email>` again from your other account "
            "for a new one."
        )
    # Locked, so two holders confirming codes for the same account at once take turns: the
    # second then finds no accounts left to move, instead of splitting them between the two.
    claimant = ctx.session.scalars(
        select(Person)
        .where(Person.id == claim.claimant_id)
        .with_for_update(of=Person)  # not the joined department (PostgreSQL refuses that)
        .execution_options(populate_existing=True)
    ).one()
    if not _identities(ctx, claimant.id):
        raise CommandError("That account has already been joined to a person; nothing to do.")
    if claimant.email:
        raise CommandError("That account now has an email of its own, so I can't join it to yours.")
    used = ctx.session.execute(
        update(IdentityClaim)
        .where(IdentityClaim.id == claim.id, IdentityClaim.used_at.is_(None))
        .values(used_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(used, "rowcount", 0) or 0) != 1:
        raise CommandError("That code has been used already.")
    return _merge(ctx, duplicate=claimant, into=me, claim=claim)


def _new_claim(ctx: Context, *, claimant: Person, holder: Person) -> IdentityClaim:
    """A claim with a fresh random code (a clash with an existing code is retried)."""
    for _ in range(5):
        claim = IdentityClaim(
            code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(8)),
            claimant_id=claimant.id,
            holder_id=holder.id,
            email=holder.email or "",
            platform=ctx.invocation.platform,
            created_at=ctx.now,
            expires_at=ctx.now + CLAIM_TTL,
        )
        try:
            with ctx.session.begin_nested():
                ctx.session.add(claim)
                ctx.session.flush()
            return claim
        except IntegrityError:
            continue
    raise RuntimeError("could not make a unique claim code")


def _identities(ctx: Context, person_id: int) -> list[PlatformIdentity]:
    return list(
        ctx.session.scalars(
            select(PlatformIdentity)
            .where(PlatformIdentity.person_id == person_id)
            .order_by(PlatformIdentity.id)
        )
    )


def _refuse_a_clash(ctx: Context, *, claimant: Person, holder: Person) -> None:
    """One account per platform workspace/tenant: two Teams accounts in one tenant are two
    people, whatever email one of them typed."""
    mine = {(i.platform, i.tenant) for i in _identities(ctx, claimant.id)}
    theirs = {(i.platform, i.tenant) for i in _identities(ctx, holder.id)}
    clash = mine & theirs
    if clash:
        platform = sorted(clash)[0][0]
        raise CommandError(
            f"{holder.email} already has a {platform} account here that isn't you. "
            "Ask a team lead if that is wrong."
        )


def _merge(ctx: Context, *, duplicate: Person, into: Person, claim: IdentityClaim) -> Reply:
    """Move ``duplicate``'s accounts and records to ``into`` (the actor, who confirmed)."""
    session = ctx.session
    _refuse_a_clash(ctx, claimant=duplicate, holder=into)
    mine = _identities(ctx, duplicate.id)
    theirs = _identities(ctx, into.id)
    duplicate_name = duplicate.display_name
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
            "claim_id": claim.id,
            "email": into.email,
            "moved": moved,
            "memberships": memberships,
        },
    )
    accounts = ", ".join(sorted({i.platform for i in mine} | {i.platform for i in theirs}))
    joined = ", ".join(sorted({i.platform for i in mine}))
    return Reply(
        headline=f"Joined: your {joined} account ({duplicate_name}) and this one are one "
        f"person on {accounts}, {into.email}.",
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
