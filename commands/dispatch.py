"""The core's single entry point: an Invocation in, a Reply out, one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from commands import actions as a
from commands import dashboard, identity, summary
from commands import handlers as h
from commands.context import Context
from commands.invocation import Invocation
from commands.language import CommandError, parse
from commands.reply import Reply, error
from storage.database import UnitOfWork

log = logging.getLogger(__name__)

HANDLERS: dict[type, Callable[[Any, Context], Reply]] = {
    a.LogDecision: h.log_decision,
    a.SupersedeDecision: h.supersede_decision,
    a.LogCommitment: h.log_commitment,
    a.MarkDone: h.mark_done,
    a.Reopen: h.reopen,
    a.Cancel: h.cancel,
    a.Block: h.block,
    a.Reassign: h.reassign,
    a.SetDue: h.set_due,
    a.Snooze: h.snooze,
    a.Show: h.show,
    a.WhoOwns: h.who_owns,
    a.SetOwnership: h.set_ownership,
    a.ListRecords: h.list_records,
    a.LogRisk: h.log_risk,
    a.CloseRisk: h.close_risk,
    a.CreateTeam: h.create_team_here,
    a.ShowTeam: h.show_team,
    a.SetTeamOption: h.set_team_option,
    a.MakeLead: h.make_lead,
    a.SetDepartment: h.set_department,
    a.LinkTeam: h.link_team,
    a.JoinTeam: h.join_team,
    a.ClaimEmail: identity.claim_email,
    a.ConfirmClaim: identity.confirm_claim,
    a.Help: h.show_help,
    a.ShowWeeklySummary: summary.show_weekly_summary,
    a.OpenDashboard: dashboard.open_dashboard,
    a.AddViewer: dashboard.add_viewer,
}


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


def dispatch(invocation: Invocation, uow: UnitOfWorkFactory) -> Reply:
    """Parse, check and run one command in one transaction.

    Bad input (a CommandError) rolls everything back and returns a short,
    specific, private reply. Anything unexpected is logged with its traceback
    and the user gets a plain apology, never the traceback.
    """
    try:
        command = parse(invocation.text)
    except CommandError as exc:
        return error(exc.message, usage=exc.usage)
    return run(command, invocation, uow)


def run(command: a.Command, invocation: Invocation, uow: UnitOfWorkFactory) -> Reply:
    handler = HANDLERS[type(command)]
    try:
        with uow() as work:
            ctx = Context.load(work.session, invocation)
            reply = handler(command, ctx)
            ctx.write_announcements()
            work.commit()
            return reply
    except CommandError as exc:
        return error(exc.message, usage=exc.usage)
    except Exception:
        log.exception("command failed: %r", command)
        return error("Something went wrong on my side and nothing was changed. Please try again.")
