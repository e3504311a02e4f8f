"""Shared helpers of the command handlers: record lookups, audit snapshots, who may change what."""

from __future__ import annotations

from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select

from commands.context import Context
from commands.language import CommandError
from commands.presenting import commitment_buttons, commitment_fields, decision_fields, ref
from commands.reply import Reply
from commands.rules import may_change_commitment, may_change_risk
from storage.models import Area, AreaRole, Commitment, Decision, Person, Risk

# --- snapshots for the audit trail ---------------------------------------------------------


def _commitment_state(c: Commitment) -> dict[str, Any]:
    return {
        "status": c.status,
        "owner_id": c.owner_id,
        "due_date": c.due_date.isoformat() if c.due_date else None,
        "snoozed_until": c.snoozed_until.isoformat() if c.snoozed_until else None,
        "blocked_reason": c.blocked_reason,
        "text": c.text,
    }


def _decision_state(d: Decision) -> dict[str, Any]:
    return {"status": d.status, "text": d.text, "rationale": d.rationale}


# --- lookups ---------------------------------------------------------------------------------


R = TypeVar("R", Commitment, Decision, Risk)


def _record(ctx: Context, model: type[R], kind: str, number: int) -> R:
    """The team's record ``<kind>-<number>``, or a CommandError naming what is missing."""
    team = ctx.require_team()
    found = ctx.session.scalars(
        select(model).where(model.team_id == team.id, model.number == number)
    ).first()
    if found is None:
        raise CommandError(f"There is no {kind}-{number} in {team.name}.")
    return found


def _commitment(ctx: Context, number: int) -> Commitment:
    return _record(ctx, Commitment, "C", number)


def _decision(ctx: Context, number: int) -> Decision:
    return _record(ctx, Decision, "D", number)


def _risk(ctx: Context, number: int) -> Risk:
    return _record(ctx, Risk, "R", number)


def _may_change(ctx: Context, c: Commitment, verb: str) -> None:
    if not may_change_commitment(actor_id=ctx.actor.id, commitment=c, actor_is_lead=ctx.is_lead()):
        raise CommandError(
            f"Only {c.owner.display_name} (the owner), whoever logged it, or a team lead "
            f"can {verb} C-{c.number}."
        )


def _may_change_risk(ctx: Context, r: Risk, verb: str) -> None:
    if not may_change_risk(actor_id=ctx.actor.id, risk=r, actor_is_lead=ctx.is_lead()):
        owner = f"{r.owner.display_name} (its owner), " if r.owner else ""
        logger = ctx.session.get(Person, r.created_by_id)
        by = f"{logger.display_name} (who logged it)" if logger else "whoever logged it"
        raise CommandError(f"Only {owner}{by} or a team lead can {verb} R-{r.number}.")


def _accountable(ctx: Context, area: Area | None) -> AreaRole | None:
    if area is None:
        return None
    return next((r for r in area.roles if r.ended_at is None and r.role == "accountable"), None)


def _commitment_reply(
    ctx: Context, c: Commitment, headline: str, *, body: str | None = None
) -> Reply:
    return Reply(
        headline=headline,
        body=body if body is not None else c.text,
        fields=commitment_fields(c, ctx.today),
        buttons=commitment_buttons(c),
        visibility="channel",
        ref=ref("C", c.number),
        link=c.source_link,
        data={
            "id": ref("C", c.number),
            "text": c.text,
            "owner": c.owner.display_name,
            "owner_email": c.owner.email,
            "department": c.department.name if c.department else None,
            "due": c.due_date.isoformat() if c.due_date else None,
            "status": c.status,
        },
    )


def _decision_reply(ctx: Context, d: Decision, headline: str) -> Reply:
    return Reply(
        headline=headline,
        body=d.text,
        fields=decision_fields(d),
        visibility="channel",
        ref=ref("D", d.number),
        link=d.source_link,
        data={
            "id": ref("D", d.number),
            "text": d.text,
            "rationale": d.rationale,
            "decided_by": d.decided_by.display_name,
            "department": d.department.name if d.department else None,
            "status": d.status,
            "at": d.created_at.astimezone(ZoneInfo(ctx.require_team().timezone)).isoformat(),
        },
    )
