"""Risks: log, close, rate and reassign."""

from __future__ import annotations

from commands import actions as a
from commands.context import Context
from commands.language import CommandError
from commands.presenting import risk_item
from commands.proposals import reset_ladder
from commands.records import _may_change_risk, _risk
from commands.reply import Reply
from commands.rules import risk_rating
from commands.usages import usage_line
from storage.models import Risk
from storage.records import insert_numbered

# --- risks -----------------------------------------------------------------------------------


def log_risk(cmd: a.LogRisk, ctx: Context) -> Reply:
    team = ctx.require_team()
    owner = ctx.resolve_owner(cmd.owner, usage=usage_line("risk")) if cmd.owner else None
    risk = Risk(
        team_id=team.id,
        text=cmd.text,
        impact=cmd.impact,
        likelihood=cmd.likelihood,
        owner_id=owner.id if owner else None,
        created_by_id=ctx.actor.id,
        created_at=ctx.now,
    )
    # Its audit event goes with it (one statement on PostgreSQL), from the values above.
    rating = risk_rating(impact=cmd.impact, likelihood=cmd.likelihood)
    logged = ctx.audit_event("risk.logged", "risk", after={"text": cmd.text, "rating": rating})
    insert_numbered(ctx.session, risk, "R", audit=logged)
    reply = _risk_reply(ctx, risk, f"R-{risk.number} logged by {ctx.actor.display_name}")
    ctx.announce(reply)
    return reply


def close_risk(cmd: a.CloseRisk, ctx: Context) -> Reply:
    risk = _risk(ctx, cmd.number)
    if risk.status == "closed":
        raise CommandError(f"R-{risk.number} is already closed.")
    _may_change_risk(ctx, risk, "close")
    risk.status = "closed"
    ctx.audit(
        "risk.closed",
        "risk",
        risk.id,
        before={"status": "open"},
        after={"status": "closed", "note": cmd.note},
    )
    reply = Reply(
        headline=f"R-{risk.number} closed ({ctx.actor.display_name})",
        body=risk.text,
        visibility="channel",
        ref=f"R-{risk.number}",
    )
    ctx.announce(reply)
    return reply


def _risk_reply(ctx: Context, risk: Risk, headline: str) -> Reply:
    rating = risk_rating(impact=risk.impact, likelihood=risk.likelihood)
    item = risk_item(risk, rating)
    return Reply(
        headline=headline,
        body=risk.text,
        fields=item.fields,
        visibility="channel",
        ref=item.ref,
        data={
            "id": item.ref,
            "rating": rating,
            "impact": risk.impact,
            "likelihood": risk.likelihood,
        },
    )


def rate_risk(cmd: a.RateRisk, ctx: Context) -> Reply:
    risk = _risk(ctx, cmd.number)
    if risk.status == "closed":
        raise CommandError(f"R-{risk.number} is closed; there is nothing to re-rate.")
    _may_change_risk(ctx, risk, "re-rate")
    before = {"impact": risk.impact, "likelihood": risk.likelihood}
    if {"impact": cmd.impact or risk.impact, "likelihood": cmd.likelihood or risk.likelihood} == (
        before
    ):
        raise CommandError(f"R-{risk.number} is already rated that way.")
    risk.impact = cmd.impact or risk.impact
    risk.likelihood = cmd.likelihood or risk.likelihood
    reset_ladder(ctx, f"risk:{risk.id}", "re-rated")  # a re-rated risk climbs from the bottom
    ctx.audit(
        "risk.rated",
        "risk",
        risk.id,
        before=before,
        after={"impact": risk.impact, "likelihood": risk.likelihood},
    )
    rating = risk_rating(impact=risk.impact, likelihood=risk.likelihood)
    reply = _risk_reply(ctx, risk, f"R-{risk.number} re-rated {rating} ({ctx.actor.display_name})")
    ctx.announce(reply)
    return reply


def reassign_risk(cmd: a.ReassignRisk, ctx: Context) -> Reply:
    risk = _risk(ctx, cmd.number)
    if risk.status == "closed":
        raise CommandError(f"R-{risk.number} is closed; reopen work as a new risk instead.")
    _may_change_risk(ctx, risk, "reassign")
    owner = ctx.resolve_owner(cmd.owner, usage=usage_line("risk owner"))
    if owner.id == risk.owner_id:
        raise CommandError(f"{owner.display_name} already owns R-{risk.number}.")
    previous_id = risk.owner_id
    risk.owner_id = owner.id
    reset_ladder(ctx, f"risk:{risk.id}", "reassigned")
    ctx.audit(
        "risk.reassigned",
        "risk",
        risk.id,
        before={"owner_id": previous_id},
        after={"owner_id": owner.id},
    )
    ctx.session.flush()
    ctx.session.refresh(risk)
    reply = _risk_reply(
        ctx, risk, f"R-{risk.number} now owned by {owner.display_name} ({ctx.actor.display_name})"
    )
    ctx.announce(reply)
    if previous_id is not None:
        ctx.tell(
            previous_id,
            Reply(
                headline=f"{ctx.actor.display_name} gave R-{risk.number} to {owner.display_name}",
                body=risk.text,
                ref=f"R-{risk.number}",
                data={"id": f"R-{risk.number}", "displaced": previous_id},
            ),
        )
    return reply
