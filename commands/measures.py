"""The outcome and measure commands: set and show the outcome; add, edit and retire a
measure; record a value; list the measures.

**The outcome** is one statement per team (``outcome <text>``); rewording adds a
new statement, so the wording history is kept. **A measure** ``M-n`` is a number
reported every week, month or quarter (``commands.periods``), heading from a
baseline to a target by a target date, owned by one person (its department is
theirs). A value is recorded for a period; a second value for the same period
replaces the first, with an audit event holding both. How a value is judged
against the target line is ``commands.measure_status``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commands import actions as a
from commands.context import Context
from commands.language import CommandError, parse_number
from commands.measure_status import number_text
from commands.measure_views import (
    MeasureView,
    current_outcome,
    load_outcome_report,
    measure_item,
    measure_view,
)
from commands.periods import PeriodError, adjective, current_period, parse_period
from commands.presenting import day, person_with_department
from commands.reply import Field, Reply, Section
from commands.rules import may_change_measure
from commands.usages import usage_line
from storage.models import Measure, MeasureValue, OutcomeStatement
from storage.teams import next_number

# --- lookups -----------------------------------------------------------------------------------


def find_measure(ctx: Context, number: int, *, active: bool = False, lock: bool = False) -> Measure:
    """The team's ``M-<number>``; ``lock`` holds its row until commit (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serialises writers), so two values given at once for the same
    period queue up and the second replaces the first instead of failing on the unique key."""
    team = ctx.require_team()
    query = select(Measure).where(Measure.team_id == team.id, Measure.number == number)
    if lock:
        query = query.with_for_update(of=Measure)
    found = ctx.session.scalars(query).first()
    if found is None:
        raise CommandError(f"There is no M-{number} in {team.name}; `measures` lists them.")
    if active and found.status != "active":
        raise CommandError(f"M-{number} is retired.")
    return found


def view_of(ctx: Context, m: Measure) -> MeasureView:
    """``m`` as readers show it, with all its values."""
    rows = ctx.session.scalars(select(MeasureValue).where(MeasureValue.measure_id == m.id)).all()
    return measure_view(m, rows)


def _measure_state(m: Measure) -> dict[str, Any]:
    return {
        "name": m.name,
        "target": m.target,
        "baseline": m.baseline,
        "target_date": m.target_date.isoformat() if m.target_date else None,
        "owner_id": m.owner_id,
        "frequency": m.frequency,
        "lower_is_better": m.lower_is_better,
        "status": m.status,
    }


def _may_change(ctx: Context, m: Measure, verb: str) -> None:
    if not may_change_measure(actor_id=ctx.actor.id, measure=m, actor_is_lead=ctx.is_lead()):
        raise CommandError(
            f"Only {m.owner.display_name} (the owner), whoever added it, or a team lead "
            f"can {verb} M-{m.number}."
        )


def measure_reply(view: MeasureView, headline: str, *, visibility: str = "channel") -> Reply:
    """A measure's reply: its latest value, target, baseline, trend, status and owner."""
    fields = [
        Field("Latest", view.latest_text()),
        Field("Target", view.target_text()),
        Field(
            "Baseline",
            "—"
            if view.baseline is None
            else number_text(view.baseline, view.unit)
            + (" (its first value)" if view.baseline_from_first_value else ""),
        ),
        Field("Trend", view.trend_text()),
        Field("Status", view.status or "no value yet"),
        Field("Owner", view.owner + (f" ({view.department})" if view.department else "")),
        Field("Every", f"{view.frequency} ({view.direction})"),
    ]
    if view.state != "active":
        fields.append(Field("State", view.state))
    return Reply(
        headline=headline,
        body=view.name,
        fields=tuple(fields),
        visibility="channel" if visibility == "channel" else "private",
        ref=view.ref,
        data=view.as_data(),
    )


# --- the outcome -------------------------------------------------------------------------------


def set_outcome(cmd: a.SetOutcome, ctx: Context) -> Reply:
    team = ctx.require_team()
    if ctx.team_has_leads() and not ctx.is_lead():
        raise CommandError("Only a team lead can set the team's outcome.")
    before = current_outcome(ctx.session, team.id)
    text = " ".join(cmd.text.split())
    if before is not None and before.text == text:
        raise CommandError("That is already the team's outcome.")
    statement = OutcomeStatement(team_id=team.id, text=text, set_by_id=ctx.actor.id, set_at=ctx.now)
    ctx.session.add(statement)
    ctx.session.flush()
    ctx.audit(
        "outcome.set",
        "outcome",
        statement.id,
        before={"text": before.text} if before else None,
        after={"text": text},
    )
    verb = "reworded" if before else "set"
    reply = Reply(
        headline=f"{team.name}'s shared outcome {verb} by {ctx.actor.display_name}",
        body=text,
        visibility="channel",
        data={"outcome": text, "previous": before.text if before else None},
    )
    ctx.announce(reply)
    return reply


def show_outcome(cmd: a.ShowOutcome, ctx: Context) -> Reply:
    team = ctx.require_team()
    report = load_outcome_report(ctx.session, team.id)
    return Reply(
        headline=f"{team.name}'s shared outcome",
        body=report.outcome or "No outcome yet: a lead sets it with `outcome <text>`.",
        fields=(Field("Measures", report.status_line()),),
        sections=(
            Section(
                title="Measures",
                items=tuple(measure_item(m) for m in report.measures),
                empty="No measures yet: add one with `measure add <name> target <number>`.",
            ),
        ),
        data={"outcome": report.outcome, "measures": [m.as_data() for m in report.measures]},
    )


# --- measures ----------------------------------------------------------------------------------


def add_measure(cmd: a.AddMeasure, ctx: Context) -> Reply:
    team = ctx.require_team()
    usage = usage_line("measure add")
    owner = ctx.resolve_owner(cmd.owner, usage=usage) if cmd.owner else ctx.actor
    target_date = ctx.resolve_when(cmd.when, usage=usage) if cmd.when else None
    if target_date is not None and target_date <= ctx.today:
        raise CommandError(
            f"The target date should be after today; {day(target_date)} is not.", usage=usage
        )
    measure = Measure(
        team_id=team.id,
        number=next_number(ctx.session, team.id, "M"),
        name=cmd.name,
        unit=cmd.unit,
        baseline=cmd.baseline,
        target=cmd.target,
        target_date=target_date,
        owner_id=owner.id,
        department_id=owner.department_id,
        created_by_id=ctx.actor.id,
        frequency=cmd.frequency,
        lower_is_better=cmd.lower_is_better,
        start_date=ctx.today,
        created_at=ctx.now,
    )
    ctx.session.add(measure)
    ctx.session.flush()
    ctx.session.refresh(measure)
    ctx.audit("measure.added", "measure", measure.id, after=_measure_state(measure))
    reply = measure_reply(
        measure_view(measure, []), f"M-{measure.number} added by {ctx.actor.display_name}"
    )
    ctx.announce(reply)
    return reply


def value_from_form(*, measure: int | str, period: str, value: str) -> a.RecordMeasureValue:
    """What a nudge's input submits (Slack's input block, Teams' ``Input.Number``) as the
    typed command; a CommandError for a value that is not a number."""
    number = int(str(measure).upper().removeprefix("M-"))
    return a.RecordMeasureValue(
        number=number,
        value=parse_number(str(value).strip(), "The value", "measure"),
        period=period,
    )


def record_value(cmd: a.RecordMeasureValue, ctx: Context) -> Reply:
    team = ctx.require_team()
    usage = usage_line("measure")
    measure = find_measure(ctx, cmd.number, active=True, lock=True)
    if cmd.period is None:
        period = current_period(ctx.now, team.timezone, measure.frequency)
    else:
        try:
            period = parse_period(cmd.period, measure.frequency)
        except PeriodError as exc:
            raise CommandError(f"M-{measure.number}: {exc}", usage=usage) from None
        if period.start > ctx.today:
            raise CommandError(f"{period.label} hasn't started yet.", usage=usage)
    existing = ctx.session.scalars(
        select(MeasureValue).where(
            MeasureValue.measure_id == measure.id, MeasureValue.period == period.label
        )
    ).first()
    after = {"period": period.label, "value": cmd.value, "note": cmd.note}
    if existing is None:
        row = MeasureValue(
            measure_id=measure.id,
            period=period.label,
            period_start=period.start,
            period_end=period.end,
            value=cmd.value,
            note=cmd.note,
            recorded_by_id=ctx.actor.id,
            recorded_at=ctx.now,
        )
        ctx.session.add(row)
        ctx.session.flush()
        ctx.audit("measure.value_recorded", "measure", measure.id, after=after)
        verb = "recorded"
    else:
        was = existing.value
        before = {"period": existing.period, "value": was, "note": existing.note}
        existing.value, existing.note = cmd.value, cmd.note
        existing.recorded_by_id, existing.recorded_at = ctx.actor.id, ctx.now
        ctx.session.flush()
        ctx.audit("measure.value_replaced", "measure", measure.id, before=before, after=after)
        verb = f"replaced (was {number_text(was, measure.unit)})"
    view = view_of(ctx, measure)
    reply = measure_reply(
        view,
        f"M-{measure.number} {period.label}: {number_text(cmd.value, measure.unit)} {verb} "
        f"({ctx.actor.display_name})",
    )
    ctx.announce(reply)
    return reply


def list_measures(cmd: a.ListMeasures, ctx: Context) -> Reply:
    team = ctx.require_team()
    report = load_outcome_report(ctx.session, team.id)
    items = tuple(measure_item(m) for m in report.measures)
    return Reply(
        headline=f"Measures ({len(items)})",
        body=report.outcome,
        fields=(Field("Status", report.status_line()),),
        sections=(
            Section(
                title="Measures",
                items=items,
                empty="No measures yet: add one with `measure add <name> target <number>`.",
            ),
        ),
        data={
            "list": "measures",
            "count": len(items),
            "ids": [i.ref for i in items],
            "measures": [m.as_data() for m in report.measures],
        },
    )


def edit_measure(cmd: a.EditMeasure, ctx: Context) -> Reply:
    usage = usage_line("measure edit")
    measure = find_measure(ctx, cmd.number, active=True)
    _may_change(ctx, measure, "edit")
    before = _measure_state(measure)
    if cmd.field in ("target", "baseline"):
        number = parse_number(cmd.value, f"The {cmd.field}", "measure edit")
        target = number if cmd.field == "target" else measure.target
        baseline = number if cmd.field == "baseline" else measure.baseline
        if baseline is not None and target == baseline:
            raise CommandError(
                f"The target would equal the baseline ({number_text(target)}); a measure needs "
                "somewhere to go.",
                usage=usage,
            )
        measure.target, measure.baseline = target, baseline
        said = f"{cmd.field} is now {number_text(number, measure.unit)}"
    elif cmd.field == "by":
        when = ctx.resolve_when(cmd.value, usage=usage)
        if when <= ctx.today:
            raise CommandError(
                f"The target date should be after today; {day(when)} is not.", usage=usage
            )
        measure.target_date = when
        said = f"target date is now {day(when)}"
    elif cmd.field == "owner":
        owner = ctx.resolve_owner(cmd.value, usage=usage)
        if owner.id == measure.owner_id:
            raise CommandError(f"{owner.display_name} already owns M-{measure.number}.")
        measure.owner_id, measure.department_id = owner.id, owner.department_id
        said = f"now owned by {person_with_department(owner)}"
    else:  # every
        if cmd.value == measure.frequency:
            raise CommandError(f"M-{measure.number} is already {adjective(cmd.value)}.")
        has_values = ctx.session.scalars(
            select(MeasureValue.id).where(MeasureValue.measure_id == measure.id)
        ).first()
        if has_values is not None:
            raise CommandError(
                f"M-{measure.number} already has {adjective(measure.frequency)} values; "
                "retire it and add a new measure to report it another way.",
                usage=usage,
            )
        measure.frequency = cmd.value
        said = f"now reported {adjective(cmd.value)}"
    ctx.session.flush()
    ctx.session.refresh(measure)
    ctx.audit("measure.edited", "measure", measure.id, before=before, after=_measure_state(measure))
    reply = measure_reply(
        view_of(ctx, measure), f"M-{measure.number}: {said} ({ctx.actor.display_name})"
    )
    ctx.announce(reply)
    return reply


def retire_measure(cmd: a.RetireMeasure, ctx: Context) -> Reply:
    measure = find_measure(ctx, cmd.number)
    if measure.status == "retired":
        raise CommandError(f"M-{measure.number} is already retired.")
    _may_change(ctx, measure, "retire")
    before = _measure_state(measure)
    measure.status, measure.retired_at = "retired", ctx.now
    ctx.session.flush()
    ctx.audit(
        "measure.retired", "measure", measure.id, before=before, after=_measure_state(measure)
    )
    reply = measure_reply(
        view_of(ctx, measure), f"M-{measure.number} retired ({ctx.actor.display_name})"
    )
    ctx.announce(reply)
    return reply
