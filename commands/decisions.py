"""Decisions: log one, and supersede it with a newer one."""

from __future__ import annotations

from sqlalchemy import select

from commands import actions as a
from commands.context import Context
from commands.language import MAX_TEXT, CommandError, need_text
from commands.presenting import ref
from commands.records import _accountable, _decision, _decision_reply, _decision_state
from commands.reply import Reply
from commands.rules import matching_area, may_supersede_decision
from commands.usages import usage_line
from storage.models import Area, Decision
from storage.records import insert_numbered
from storage.teams import next_number

# --- decisions -------------------------------------------------------------------------------


def log_decision(cmd: a.LogDecision, ctx: Context) -> Reply:
    team = ctx.require_team()
    text = need_text(cmd.text, "The decision", "decision")  # a form's text is not parsed
    if cmd.rationale is not None and len(cmd.rationale) > MAX_TEXT:
        raise CommandError(
            f"That rationale is {len(cmd.rationale):,} characters; the limit is {MAX_TEXT:,}.",
            usage=usage_line("decision"),
            field="rationale",
        )
    decision = Decision(
        team_id=team.id,
        text=text,
        status="active",
        rationale=cmd.rationale,
        decided_by_id=ctx.actor.id,
        department_id=ctx.actor.department_id,
        source_platform=ctx.invocation.platform,
        source_link=ctx.invocation.source_link,
        created_at=ctx.now,
    )
    # Its audit event goes with it (one statement on PostgreSQL): the state is read before
    # the insert, so every field of it is set above.
    logged = ctx.audit_event("decision.logged", "decision", after=_decision_state(decision))
    insert_numbered(ctx.session, decision, "D", audit=logged)
    reply = _decision_reply(
        ctx, decision, f"{ref('D', decision.number)} logged by {ctx.actor.display_name}"
    )
    ctx.announce(reply)
    return reply


def supersede_decision(cmd: a.SupersedeDecision, ctx: Context) -> Reply:
    team = ctx.require_team()
    old = _decision(ctx, cmd.number)
    if old.status == "superseded":
        newer = ctx.session.get(Decision, old.superseded_by_id) if old.superseded_by_id else None
        by = f" by D-{newer.number}" if newer else ""
        raise CommandError(f"D-{old.number} is already superseded{by}; supersede that one instead.")
    area = matching_area(
        ctx.session.scalars(select(Area).where(Area.team_id == team.id)).all(), old.text
    )
    accountable = _accountable(ctx, area)
    if not may_supersede_decision(
        actor_id=ctx.actor.id,
        decision=old,
        accountable_id=accountable.person_id if accountable else None,
        actor_is_lead=ctx.is_lead(),
    ):
        who = f"{old.decided_by.display_name} (who made it)"
        if accountable is not None and area is not None:
            who += f", {accountable.person.display_name} (accountable for {area.name})"
        raise CommandError(f"Only {who} or a team lead can supersede D-{old.number}.")
    before = _decision_state(old)
    new = Decision(
        team_id=team.id,
        number=next_number(ctx.session, team.id, "D"),
        text=cmd.text,
        rationale=cmd.rationale,
        decided_by_id=ctx.actor.id,
        department_id=ctx.actor.department_id,
        supersedes_id=old.id,
        source_platform=ctx.invocation.platform,
        source_link=ctx.invocation.source_link,
        created_at=ctx.now,
    )
    ctx.session.add(new)
    ctx.session.flush()
    old.status = "superseded"
    old.superseded_by_id = new.id
    ctx.audit("decision.superseded", "decision", old.id, before=before, after=_decision_state(old))
    ctx.audit(
        "decision.logged",
        "decision",
        new.id,
        after=_decision_state(new) | {"supersedes": old.number},
    )
    reply = _decision_reply(
        ctx,
        new,
        f"{ref('D', new.number)} supersedes D-{old.number} ({ctx.actor.display_name})",
    )
    ctx.announce(reply)
    return reply
