"""Commitments: log, done, reopen, cancel, block, reassign, due and snooze."""

from __future__ import annotations

from dataclasses import replace

from commands import actions as a
from commands.context import Context
from commands.language import CommandError, about, need_text
from commands.presenting import day, ref
from commands.proposals import reset_ladder
from commands.records import _commitment, _commitment_reply, _commitment_state, _may_change
from commands.reply import Reply
from commands.rules import CLOSED_STATES, is_open, is_overdue
from commands.usages import usage_line
from storage.models import Commitment
from storage.records import insert_numbered


def _past_notice(ctx: Context, c: Commitment, when: str | None) -> str | None:
    """ "25 Nov has passed: C-6 is already overdue", when a due date given is before today."""
    if c.due_date is None or not is_overdue(c, ctx.today):
        return None
    return f"{when or day(c.due_date)} has passed: C-{c.number} is already overdue."


# --- commitments -----------------------------------------------------------------------------


def log_commitment(cmd: a.LogCommitment, ctx: Context) -> Reply:
    team = ctx.require_team()
    cmd = replace(cmd, text=need_text(cmd.text, "The commitment", "commit"))
    with about("owner"):
        owner = ctx.resolve_owner(cmd.owner, usage=usage_line("commit"))
    with about("due"):
        due = ctx.resolve_when(cmd.when, usage=usage_line("commit")) if cmd.when else None
    commitment = Commitment(
        team_id=team.id,
        text=cmd.text,
        status="open",
        owner_id=owner.id,
        department_id=owner.department_id,
        created_by_id=ctx.actor.id,
        due_date=due,
        source_platform=ctx.invocation.platform,
        source_link=ctx.invocation.source_link,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    # Its audit event goes with it (one statement on PostgreSQL): the state is read before
    # the insert, so every field of it is set above (or None until it is).
    logged = ctx.audit_event("commitment.logged", "commitment", after=_commitment_state(commitment))
    insert_numbered(ctx.session, commitment, "C", audit=logged)
    notice = _past_notice(ctx, commitment, cmd.when)
    reply = _commitment_reply(
        ctx,
        commitment,
        f"{ref('C', commitment.number)} logged by {ctx.actor.display_name}",
        body=f"{commitment.text}\n{notice}" if notice else None,
    )
    ctx.announce(reply)
    return reply


def _change(
    ctx: Context, c: Commitment, action: str, headline: str, *, announce: bool = True
) -> Reply:
    c.updated_at = ctx.now
    ctx.session.flush()
    ctx.session.refresh(c)
    reply = _commitment_reply(ctx, c, headline)
    if announce:
        ctx.announce(reply)
    return reply


def mark_done(cmd: a.MarkDone, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if c.status == "done":
        raise CommandError(f"C-{c.number} is already done.")
    if c.status == "cancelled":
        raise CommandError(f"C-{c.number} was cancelled; `reopen C-{c.number}` first.")
    _may_change(ctx, c, "close")
    before = _commitment_state(c)
    c.status, c.done_at, c.done_note, c.blocked_reason = "done", ctx.now, cmd.note, None
    ctx.audit("commitment.done", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(ctx, c, "done", f"C-{c.number} done ({ctx.actor.display_name})")


def reopen(cmd: a.Reopen, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if c.status == "open":
        raise CommandError(f"C-{c.number} is already open.")
    _may_change(ctx, c, "reopen")
    before = _commitment_state(c)
    c.status, c.done_at, c.blocked_reason, c.cancelled_reason = "open", None, None, None
    reset_ladder(ctx, f"commitment:{c.id}", "reopened")  # unblocked: the ladder starts again
    ctx.audit("commitment.reopened", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(ctx, c, "reopen", f"C-{c.number} reopened ({ctx.actor.display_name})")


def cancel(cmd: a.Cancel, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if c.status in CLOSED_STATES:
        raise CommandError(f"C-{c.number} is already {c.status}.")
    _may_change(ctx, c, "cancel")
    before = _commitment_state(c)
    c.status, c.cancelled_reason = "cancelled", cmd.reason or "no reason given"
    ctx.audit("commitment.cancelled", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(ctx, c, "cancel", f"C-{c.number} cancelled ({ctx.actor.display_name})")


def block(cmd: a.Block, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if not is_open(c):
        raise CommandError(f"C-{c.number} is {c.status}; only open commitments can be blocked.")
    _may_change(ctx, c, "block")
    before = _commitment_state(c)
    c.status, c.blocked_reason = "blocked", cmd.reason
    reset_ladder(ctx, f"commitment:{c.id}", "blocked")  # it climbs from the day it blocked
    ctx.audit("commitment.blocked", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(ctx, c, "block", f"C-{c.number} blocked ({ctx.actor.display_name})")


def reassign(cmd: a.Reassign, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if not is_open(c):
        raise CommandError(f"C-{c.number} is {c.status}; reopen it before reassigning.")
    _may_change(ctx, c, "reassign")
    owner = ctx.resolve_owner(cmd.owner, usage=usage_line("reassign"))
    if owner.id == c.owner_id:
        raise CommandError(f"{owner.display_name} already owns C-{c.number}.")
    before = _commitment_state(c)
    previous, previous_id = c.owner.display_name, c.owner_id
    c.owner_id, c.department_id, c.escalated_at = owner.id, owner.department_id, None
    reset_ladder(ctx, f"commitment:{c.id}", "reassigned")
    ctx.audit(
        "commitment.reassigned", "commitment", c.id, before=before, after=_commitment_state(c)
    )
    reply = _change(
        ctx,
        c,
        "reassign",
        f"C-{c.number} reassigned from {previous} to {owner.display_name} "
        f"({ctx.actor.display_name})",
    )
    ctx.tell(
        previous_id,
        Reply(
            headline=f"{ctx.actor.display_name} gave C-{c.number} to {owner.display_name}",
            body=c.text,
            ref=ref("C", c.number),
            data={"id": ref("C", c.number), "displaced": previous_id},
        ),
    )
    return reply


def set_due(cmd: a.SetDue, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if not is_open(c):
        raise CommandError(f"C-{c.number} is {c.status}; reopen it before changing its date.")
    _may_change(ctx, c, "change the due date of")
    due = ctx.resolve_when(cmd.when, usage=usage_line("due"))
    before = _commitment_state(c)
    # A new due date is a new promise: a later slip may be escalated again.
    c.due_date, c.escalated_at = due, None
    reset_ladder(ctx, f"commitment:{c.id}", "redated")
    ctx.audit(
        "commitment.due_changed", "commitment", c.id, before=before, after=_commitment_state(c)
    )
    reply = _change(ctx, c, "due", f"C-{c.number} now due {day(due)} ({ctx.actor.display_name})")
    notice = _past_notice(ctx, c, cmd.when)
    if notice:
        reply = Reply(**{**reply.__dict__, "body": f"{c.text}\n{notice}"})
    return reply


def snooze(cmd: a.Snooze, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if not is_open(c):
        raise CommandError(f"C-{c.number} is {c.status}; there is nothing to snooze.")
    _may_change(ctx, c, "snooze")
    until = ctx.resolve_when(cmd.when, usage=usage_line("snooze"))
    if until <= ctx.today:
        raise CommandError(
            f"Snooze until a future date; {day(until)} is not after today.",
            usage=usage_line("snooze"),
        )
    before = _commitment_state(c)
    c.snoozed_until = until
    ctx.audit("commitment.snoozed", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(
        ctx,
        c,
        "snooze",
        f"C-{c.number} snoozed until {day(until)} ({ctx.actor.display_name})",
        announce=False,
    )
