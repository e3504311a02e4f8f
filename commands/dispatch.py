"""The core's single entry point: an Invocation in, a Reply out, one transaction.

That transaction holds everything the request changes: the claim of its idempotency key
(``storage.inbound.claim``), the record, its audit event, the announcements for the other
platforms and, when the reply cannot ride on the platform's acknowledgement, the reply
itself as an outbox row. The adapter acknowledges only after it commits, so an
acknowledged request is never lost, and a redelivered one finds its claim and writes
nothing (its Reply is marked ``duplicate``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from commands import actions as a
from commands import (
    commitments,
    dashboard,
    decisions,
    identity,
    listing,
    measure_links,
    measures,
    ownership,
    proposals,
    risks,
    scope,
    summary,
    team_settings,
)
from commands.context import Context
from commands.invocation import Invocation
from commands.language import CommandError
from commands.parsing import parse
from commands.reply import Reply, error
from storage import outbox
from storage.database import UnitOfWork
from storage.engine import WouldWait
from storage.inbound import claim

log = logging.getLogger(__name__)

# One plain function per command. Each runs inside the dispatcher's unit of work and returns
# a Reply; a CommandError rolls the whole command back.
HANDLERS: dict[type, Callable[[Any, Context], Reply]] = {
    a.LogDecision: decisions.log_decision,
    a.SupersedeDecision: decisions.supersede_decision,
    a.LogCommitment: commitments.log_commitment,
    a.MarkDone: commitments.mark_done,
    a.Reopen: commitments.reopen,
    a.Cancel: commitments.cancel,
    a.Block: commitments.block,
    a.Reassign: commitments.reassign,
    a.SetDue: commitments.set_due,
    a.Snooze: commitments.snooze,
    a.Show: listing.show,
    a.WhoOwns: ownership.who_owns,
    a.SetOwnership: ownership.set_ownership,
    a.ListRecords: listing.list_records,
    a.LogRisk: risks.log_risk,
    a.CloseRisk: risks.close_risk,
    a.RateRisk: risks.rate_risk,
    a.ReassignRisk: risks.reassign_risk,
    a.SetMyName: team_settings.set_my_name,
    a.CreateTeam: team_settings.create_team_here,
    a.ShowTeam: team_settings.show_team,
    a.SetTeamOption: team_settings.set_team_option,
    a.MakeLead: team_settings.make_lead,
    a.SetDepartment: team_settings.set_department,
    a.LinkTeam: team_settings.link_team,
    a.JoinTeam: team_settings.join_team,
    a.ClaimEmail: identity.claim_email,
    a.ConfirmClaim: identity.confirm_claim,
    a.Help: listing.show_help,
    a.ShowWeeklySummary: summary.show_weekly_summary,
    a.Propose: proposals.propose,
    a.AnswerProposal: proposals.answer,
    a.CommentOnProposal: proposals.comment,
    a.ReviseProposal: proposals.revise,
    a.WithdrawProposal: proposals.withdraw,
    a.ListProposals: proposals.list_proposals,
    a.WhoCanDecide: proposals.who_can_decide,
    a.SetDecider: proposals.set_decider,
    a.SetLadder: proposals.set_ladder,
    a.SetSro: proposals.set_sro,
    a.SetEscalationThreshold: proposals.set_threshold,
    # the shared outcome and joint measures
    a.SetOutcome: measures.set_outcome,
    a.ShowOutcome: measures.show_outcome,
    a.AddMeasure: measures.add_measure,
    a.RecordMeasureValue: measures.record_value,
    a.ListMeasures: measures.list_measures,
    a.EditMeasure: measures.edit_measure,
    a.RetireMeasure: measures.retire_measure,
    a.LinkToMeasure: measure_links.link_to_measure,
    a.LogForMeasure: lambda cmd, ctx: measure_links.log_for_measure(
        cmd, ctx, HANDLERS[type(cmd.record)]
    ),
    a.OpenDashboard: dashboard.open_dashboard,
    a.AddViewer: dashboard.add_viewer,
}

# Commands that only read. They take no claim, join nobody to a team and write nothing
# (unless their reply must be queued because it cannot ride on the acknowledgement).
READS: frozenset[type] = frozenset(
    {
        a.Show,
        a.WhoOwns,
        a.ListRecords,
        a.ShowTeam,
        a.Help,
        a.ShowWeeklySummary,
        a.ListProposals,
        a.WhoCanDecide,
        a.ListMeasures,
        a.ShowOutcome,
    }
)

DUPLICATE = Reply(headline="Already handled.", duplicate=True)
FAULT = "Something went wrong on my side and nothing was changed. Please try again."


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


def dispatch(invocation: Invocation, uow: UnitOfWorkFactory) -> Reply:
    """Parse, check and run one command in one transaction.

    Bad input (a CommandError) rolls everything back and returns a short,
    specific, private reply. Anything unexpected is logged with its traceback
    and the user gets a plain apology (marked ``retry``), never the traceback.
    """
    try:
        command: a.Command | CommandError = parse(invocation.text)
    except CommandError as exc:
        # In a direct message "list mine in Housing" parses once "in Housing" is read as a
        # team (inside the unit of work, where the person's teams are known).
        if not scope.is_direct(invocation):
            return _refused(error(exc.message, usage=exc.usage, field=exc.field), invocation, uow)
        command = exc
    return run(command, invocation, uow)


def run(command: a.Command | CommandError, invocation: Invocation, uow: UnitOfWorkFactory) -> Reply:
    """Run a typed command (forms build these directly) in one transaction. A
    ``CommandError`` is a text that did not parse and may still, in a direct message,
    once a trailing ``in <team>`` is read.

    A command whose database connection broke under it (the server restarted) runs once
    more on a new connection: its transaction did not commit, or, when the break came at
    the commit itself, its claim is there and the second run answers that it was already
    handled. Either way it is written once. Only a command with an idempotency key (every
    platform's and the console's have one) runs again: without a claim, a break at the
    commit could write it twice."""
    for attempt in (1, 2):
        try:
            return _run_once(command, invocation, uow)
        except CommandError as exc:
            return _refused(error(exc.message, usage=exc.usage, field=exc.field), invocation, uow)
        except WouldWait:
            raise  # nothing was done: the adapter runs the command again, waiting its turn
        except DBAPIError as exc:
            if attempt == 1 and exc.connection_invalidated and invocation.idempotency_key:
                log.warning("database connection lost (%s); running the command again", exc.orig)
                continue
            log.exception("command failed: %r", command)
            return replace(error(FAULT), retry=True)
        except Exception:
            log.exception("command failed: %r", command)
            return replace(error(FAULT), retry=True)
    raise AssertionError("unreachable: the second attempt returns or raises")


def _run_once(
    command: a.Command | CommandError, invocation: Invocation, uow: UnitOfWorkFactory
) -> Reply:
    reads = not isinstance(command, CommandError) and type(command) in READS
    with uow() as work:
        if reads and invocation.reply_address is None:
            # Nothing to claim, nothing to queue: on SQLite, read beside the writer.
            work.read_only()
        ctx = Context.claim_and_load(
            work.session, invocation, join=not reads, key=_claim_key(invocation, reads=reads)
        )
        if ctx is None:
            return DUPLICATE
        if ctx.team is None and scope.is_direct(invocation):
            named = scope.named_team(invocation.text, scope.teams_of(ctx))
            if named is not None:
                ctx.team, text = named
                command = parse(text)
            if isinstance(command, CommandError):
                raise command
            if ctx.team is None:
                question = scope.settle(command, ctx)
                if question is not None:
                    _queue_reply(work.session, invocation, question, ctx)
                    work.commit()
                    return question
        if isinstance(command, CommandError):
            raise command
        handler = HANDLERS[type(command)]
        reply = handler(command, ctx)
        if ctx.team is not None and scope.is_direct(invocation) and not ctx.linked:
            # Its buttons are pressed in the same unlinked conversation: name the team.
            reply = scope.pin(reply, ctx.team, several=len(scope.teams_of(ctx)) > 1)
        ctx.write_announcements()
        _queue_reply(work.session, invocation, reply, ctx)
        work.commit()
        return reply


def _claim_key(invocation: Invocation, *, reads: bool) -> str | None:
    """The key to claim in the command's transaction (a redelivery finds it claimed), or
    None: a read whose reply rides on the acknowledgement writes nothing, so it claims
    nothing either."""
    if reads and invocation.reply_address is None:
        return None
    return invocation.idempotency_key


def _claimed(session: Session, invocation: Invocation) -> bool:
    """Claim the invocation's key in this transaction; False for a redelivery."""
    key = invocation.idempotency_key
    if key is None:
        return True
    return claim(session, source=invocation.platform, key=key, now=invocation.now)


def _queue_reply(
    session: Session, invocation: Invocation, reply: Reply, ctx: Context | None
) -> None:
    where = invocation.reply_address
    if where is None:
        return
    address = where.for_reply(for_channel=reply.ok and reply.visibility == "channel")
    if address is None:
        return
    outbox.enqueue(
        session,
        kind="reply",
        platform=where.platform,
        payload=reply.to_dict(),
        address=address,
        now=invocation.now,
        team_id=ctx.team.id if ctx is not None and ctx.team is not None else invocation.team_id,
    )


def _refused(reply: Reply, invocation: Invocation, uow: UnitOfWorkFactory) -> Reply:
    """A refusal (bad input, not allowed) writes nothing, except when its reply must be
    queued: then the claim and the reply row commit together."""
    if invocation.reply_address is None or not invocation.reply_address.refusals:
        return reply
    with uow() as work:
        if not _claimed(work.session, invocation):
            return DUPLICATE
        _queue_reply(work.session, invocation, reply, None)
        work.commit()
    return reply
