"""``summary [this week|last week|YYYY-Www]``: the weekly joint delivery summary as a Reply.

The Reply is the "short text summary" that goes with the spreadsheet. Its ``summary``
(a ``SummaryAttachment``: team and ISO week) tells a platform to build the workbook for
that team and week and attach it (Slack: an upload; Teams: a signed download link; the
console: a file).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from commands import actions as a
from commands.context import Context
from commands.measure_views import OutcomeReport, load_outcome_report, outcome_section
from commands.reply import Field, Item, Reply, Section, SummaryAttachment
from commands.weekly import (
    FIGURE_LABELS,
    Figures,
    IsoWeek,
    WeeklyReport,
    load_report,
    parse_week,
)
from storage.models import Team


def figure_text(figures: Figures, attribute: str) -> str:
    if attribute == "on_time_percent":
        percent = figures.on_time_percent
        return "—" if percent is None else f"{percent}%"
    return str(getattr(figures, attribute))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_reply(report: WeeklyReport, outcome: OutcomeReport | None = None) -> Reply:
    """The week's headline figures, overall and per department; led by the outcome and its
    measures' status (as they stand now) when ``outcome`` is given."""
    totals = report.totals
    departments = tuple(
        Item(
            title=d.name,
            fields=tuple(
                Field(label, figure_text(d.figures, attribute))
                for attribute, label in FIGURE_LABELS
            ),
            highlight=d.figures.overdue > 0,
        )
        for d in report.departments
    )
    data: dict[str, Any] = {
        **totals.as_dict(),
        "departments": {d.name: d.figures.as_dict() for d in report.departments},
    }
    body = (
        f"{_count(totals.decisions_made, 'decision')} and "
        f"{_count(totals.commitments_made, 'commitment')} made, "
        f"{totals.completed} completed; {totals.overdue} overdue now."
    )
    leading: tuple[Section, ...] = ()
    if outcome is not None:
        body = f"{outcome.status_line()}\n{body}"
        leading = (outcome_section(outcome),)
        data["outcome"] = outcome.outcome
        data["measures"] = [m.as_data() for m in outcome.measures]
    return Reply(
        headline=f"Weekly summary for {report.team_name}: {report.week.label} "
        f"({report.week.span()})",
        body=body,
        fields=tuple(
            Field(label, figure_text(totals, attribute)) for attribute, label in FIGURE_LABELS
        ),
        sections=(
            *leading,
            Section(
                title="By department", items=departments, empty="Nothing logged for this week."
            ),
            *_proposals_and_escalations(report, data),
        ),
        visibility="channel",
        data=data,
        summary=SummaryAttachment(team_id=report.team_id, week=report.week.label),
    )


def _proposals_and_escalations(report: WeeklyReport, data: dict[str, Any]) -> list[Section]:
    """Open proposals (who has not answered) and what is escalated now, and how high."""
    proposals = report.open_proposals()
    escalated = report.escalated()
    data["open_proposals"] = [p.ref for p in proposals]
    data["escalated_items"] = {e.ref: e.step for e in escalated}
    sections = []
    if proposals:
        sections.append(
            Section(
                "Open proposals",
                tuple(
                    Item(
                        title=p.text,
                        ref=p.ref,
                        fields=tuple(
                            Field(label, value)
                            for label, value in (
                                ("Objected", p.objected),
                                ("Waiting for", p.waiting_for),
                            )
                            if value
                        ),
                    )
                    for p in proposals
                ),
            )
        )
    if escalated:
        sections.append(
            Section(
                "Escalated",
                tuple(
                    Item(
                        title=e.text,
                        ref=e.ref,
                        fields=(Field("Why", e.why), Field("Step", f"{e.step}, to {e.to}")),
                        highlight=True,
                    )
                    for e in escalated
                ),
            )
        )
    return sections


def week_summary(session: Session, team: Team, week: IsoWeek, *, now: dt.datetime) -> Reply:
    """One team's week as it stands at ``now``: the ``summary`` command's reply and the
    weekly post's."""
    return summary_reply(
        load_report(session, team, week, now=now), load_outcome_report(session, team.id)
    )


def show_weekly_summary(cmd: a.ShowWeeklySummary, ctx: Context) -> Reply:
    team = ctx.require_team()
    return week_summary(ctx.session, team, parse_week(cmd.week, today=ctx.today), now=ctx.now)
