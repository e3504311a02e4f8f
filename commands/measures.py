"""The shared outcome and its joint measures: the rules, the read model, the handlers, and
the values the daily nudge asks for.

**The outcome** is one statement per team (``outcome <text>``); rewording adds a
new statement, so the wording history is kept. **A measure** ``M-n`` is a number
reported every week, month or quarter (``commands.periods``), heading from a
baseline to a target by a target date, owned by one person (its department is
theirs). A value is recorded for a period; a second value for the same period
replaces the first, with an audit event holding both.

**The status rule** (``measure_status``): the latest value is compared with the
straight line from the baseline (at the measure's start) to the target (at the
target date), read at the end of the value's period. On the right side of the
line, or on it, is green; short of it by at most 10% of the whole planned change
(``|target - baseline|``) is amber; further short is red. "Right side" respects
"lower is better". Without a target date the line has no slope: green once the
target is reached, amber while the value is better than the baseline, red
otherwise. Without a baseline, the first value recorded is the baseline and the
line starts at the end of its period. **The trend** compares the latest value
with the one before it: better, worse or the same, by the measure's direction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from commands import actions as a
from commands.context import Context
from commands.language import CommandError, parse_number
from commands.periods import (
    Period,
    PeriodError,
    adjective,
    current_period,
    last_ended,
    parse_period,
)
from commands.presenting import day, person_with_department, ref
from commands.reply import Field, Item, NumberInput, Reply, Section
from commands.rules import may_change_measure
from commands.usages import usage_line
from storage.models import (
    Commitment,
    Decision,
    Measure,
    MeasureLink,
    MeasureValue,
    OutcomeStatement,
    Person,
    Risk,
    Team,
)
from storage.teams import next_number

Status = Literal["green", "amber", "red"]
Trend = Literal["better", "worse", "same"]
AMBER_BAND = 0.10
# A value this many working days past its due day shows in the channel digest.
LATE_FOR_DIGEST = 2
_TREND_MARK = {"better": "better", "worse": "worse", "same": "no change"}


# --- the rules (pure) --------------------------------------------------------------------------


def expected_value(
    *,
    baseline: float,
    target: float,
    start: dt.date,
    target_date: dt.date | None,
    on: dt.date,
) -> float:
    """The straight line from ``baseline`` at ``start`` to ``target`` at ``target_date``,
    read on ``on`` (the baseline before the start, the target from the target date on)."""
    if target_date is None or on >= target_date:
        return target
    if on <= start:
        return baseline
    share = (on - start).days / (target_date - start).days
    return baseline + (target - baseline) * share


def measure_status(
    *,
    value: float,
    baseline: float,
    target: float,
    start: dt.date,
    target_date: dt.date | None,
    on: dt.date,
    lower_is_better: bool,
) -> Status:
    """Red, amber or green for ``value`` on ``on`` (see the module's docstring)."""
    sign = -1.0 if lower_is_better else 1.0
    if target_date is None:
        if sign * (value - target) >= 0:
            return "green"
        return "amber" if sign * (value - baseline) > 0 else "red"
    expected = expected_value(
        baseline=baseline, target=target, start=start, target_date=target_date, on=on
    )
    shortfall = sign * (expected - value)
    if shortfall <= 0:
        return "green"
    return "amber" if shortfall <= AMBER_BAND * abs(target - baseline) else "red"


def trend(previous: float | None, latest: float, *, lower_is_better: bool) -> Trend | None:
    """Better, worse or the same since the previous value; None when there is none."""
    if previous is None:
        return None
    if latest == previous:
        return "same"
    went_down = latest < previous
    return "better" if went_down == lower_is_better else "worse"


def number_text(value: float, unit: str | None = None) -> str:
    """``1,200``, ``12.5``, ``58 people``, ``45%``."""
    if value == int(value):
        text = f"{int(value):,}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def period_span(period: Period) -> str:
    """``1 Nov – 30 Nov 2026``."""
    first, last = period.start, period.end
    year = f" {first.year}" if first.year != last.year else ""
    return f"{first.day} {first:%b}{year} – {last.day} {last:%b %Y}"


# --- the read model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ValuePoint:
    period: str
    period_end: dt.date
    value: float
    note: str | None
    # The target line at the end of this period (None until there is a baseline).
    expected: float | None


@dataclass(frozen=True)
class MeasureView:
    """One measure as every reader shows it: chat replies, the workbook, the web view."""

    id: int
    number: int
    name: str
    unit: str | None
    baseline: float | None
    baseline_from_first_value: bool
    target: float
    target_date: dt.date | None
    start: dt.date | None
    owner_id: int
    owner: str
    department: str | None
    frequency: str
    lower_is_better: bool
    state: str
    values: tuple[ValuePoint, ...]

    @property
    def ref(self) -> str:
        return ref("M", self.number)

    @property
    def latest(self) -> ValuePoint | None:
        return self.values[-1] if self.values else None

    @property
    def previous(self) -> ValuePoint | None:
        return self.values[-2] if len(self.values) > 1 else None

    @property
    def status(self) -> Status | None:
        latest = self.latest
        if latest is None or self.baseline is None or self.start is None:
            return None
        return measure_status(
            value=latest.value,
            baseline=self.baseline,
            target=self.target,
            start=self.start,
            target_date=self.target_date,
            on=latest.period_end,
            lower_is_better=self.lower_is_better,
        )

    @property
    def trend(self) -> Trend | None:
        latest = self.latest
        if latest is None:
            return None
        previous = self.previous
        return trend(
            previous.value if previous else None,
            latest.value,
            lower_is_better=self.lower_is_better,
        )

    @property
    def direction(self) -> str:
        return "lower is better" if self.lower_is_better else "higher is better"

    def target_text(self) -> str:
        by = f" by {day(self.target_date)}" if self.target_date else ""
        return number_text(self.target, self.unit) + by

    def latest_text(self) -> str:
        latest = self.latest
        if latest is None:
            return "no value yet"
        return f"{number_text(latest.value, self.unit)} ({latest.period})"

    def trend_text(self) -> str:
        t = self.trend
        if t is None:
            return "—"
        previous = self.previous
        assert previous is not None
        return f"{_TREND_MARK[t]} (from {number_text(previous.value, self.unit)})"

    def as_data(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "id": self.ref,
            "name": self.name,
            "unit": self.unit,
            "baseline": self.baseline,
            "target": self.target,
            "target_date": self.target_date.isoformat() if self.target_date else None,
            "owner": self.owner,
            "department": self.department,
            "every": self.frequency,
            "lower_is_better": self.lower_is_better,
            "state": self.state,
            "latest": latest.value if latest else None,
            "latest_period": latest.period if latest else None,
            "trend": self.trend,
            "status": self.status,
            # Every value with the target line at its period's end: what a chart draws.
            "values": [
                {
                    "period": v.period,
                    "period_end": v.period_end.isoformat(),
                    "value": v.value,
                    "target_line": v.expected,
                }
                for v in self.values
            ],
        }


def _view(m: Measure, rows: Sequence[MeasureValue]) -> MeasureView:
    rows = sorted(rows, key=lambda v: v.period_start)
    baseline, from_first = m.baseline, False
    start: dt.date | None = m.start_date
    if baseline is None and rows:
        baseline, start, from_first = rows[0].value, rows[0].period_end, True
    if baseline is None:
        start = None

    def expected(end: dt.date) -> float | None:
        if baseline is None or start is None:
            return None
        return expected_value(
            baseline=baseline, target=m.target, start=start, target_date=m.target_date, on=end
        )

    return MeasureView(
        id=m.id,
        number=m.number,
        name=m.name,
        unit=m.unit,
        baseline=baseline,
        baseline_from_first_value=from_first,
        target=m.target,
        target_date=m.target_date,
        start=start,
        owner_id=m.owner_id,
        owner=m.owner.display_name,
        department=m.department.name if m.department else None,
        frequency=m.frequency,
        lower_is_better=m.lower_is_better,
        state=m.status,
        values=tuple(
            ValuePoint(v.period, v.period_end, v.value, v.note, expected(v.period_end))
            for v in rows
        ),
    )


def load_measures(
    session: Session, team_id: int, *, include_retired: bool = False
) -> list[MeasureView]:
    """The team's measures in number order, with all their values (two queries)."""
    query = select(Measure).where(Measure.team_id == team_id)
    if not include_retired:
        query = query.where(Measure.status == "active")
    measures = list(session.scalars(query.order_by(Measure.number)).unique())
    values: dict[int, list[MeasureValue]] = defaultdict(list)
    if measures:
        for v in session.scalars(
            select(MeasureValue).where(MeasureValue.measure_id.in_([m.id for m in measures]))
        ):
            values[v.measure_id].append(v)
    return [_view(m, values[m.id]) for m in measures]


def current_outcome(session: Session, team_id: int) -> OutcomeStatement | None:
    return session.scalars(
        select(OutcomeStatement)
        .where(OutcomeStatement.team_id == team_id)
        .order_by(OutcomeStatement.set_at.desc(), OutcomeStatement.id.desc())
    ).first()


@dataclass(frozen=True)
class OutcomeReport:
    """The outcome and its measures: what leads the summary and the workbook."""

    outcome: str | None
    measures: tuple[MeasureView, ...]

    def counts(self) -> dict[str, int]:
        found = {"red": 0, "amber": 0, "green": 0, "no value": 0}
        for m in self.measures:
            found[m.status or "no value"] += 1
        return found

    def status_line(self) -> str:
        """``2 measures: 1 green, 1 red``."""
        if not self.measures:
            return "No measures yet."
        counts = self.counts()
        n = len(self.measures)
        parts = [f"{counts[k]} {k}" for k in ("red", "amber", "green", "no value") if counts[k]]
        return f"{n} measure{'' if n == 1 else 's'}: " + ", ".join(parts)


def load_outcome_report(session: Session, team_id: int) -> OutcomeReport:
    outcome = current_outcome(session, team_id)
    return OutcomeReport(
        outcome=outcome.text if outcome else None,
        measures=tuple(load_measures(session, team_id)),
    )


def measure_item(view: MeasureView) -> Item:
    """A measure in a list: latest value, target, trend and status."""
    return Item(
        title=view.name,
        ref=view.ref,
        fields=(
            Field("Latest", view.latest_text()),
            Field("Target", view.target_text()),
            Field("Trend", view.trend_text()),
            Field("Status", view.status or "no value yet"),
            Field("Owner", view.owner + (f" ({view.department})" if view.department else "")),
        ),
        highlight=view.status == "red",
    )


def outcome_section(report: OutcomeReport) -> Section:
    """The measures' status as a Reply section (the summary leads with it)."""
    return Section(
        title=f"Outcome: {report.outcome}" if report.outcome else "Measures",
        items=tuple(measure_item(m) for m in report.measures),
        empty="No measures yet: add one with `measure add <name> target <number>`.",
    )


# --- lookups -----------------------------------------------------------------------------------


def _measure(ctx: Context, number: int, *, active: bool = False, lock: bool = False) -> Measure:
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


def _view_of(ctx: Context, m: Measure) -> MeasureView:
    rows = ctx.session.scalars(select(MeasureValue).where(MeasureValue.measure_id == m.id)).all()
    return _view(m, rows)


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


def _measure_reply(view: MeasureView, headline: str, *, visibility: str = "channel") -> Reply:
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
    reply = _measure_reply(
        _view(measure, []), f"M-{measure.number} added by {ctx.actor.display_name}"
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
    measure = _measure(ctx, cmd.number, active=True, lock=True)
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
    view = _view_of(ctx, measure)
    reply = _measure_reply(
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
    measure = _measure(ctx, cmd.number, active=True)
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
    reply = _measure_reply(
        _view_of(ctx, measure), f"M-{measure.number}: {said} ({ctx.actor.display_name})"
    )
    ctx.announce(reply)
    return reply


def retire_measure(cmd: a.RetireMeasure, ctx: Context) -> Reply:
    measure = _measure(ctx, cmd.number)
    if measure.status == "retired":
        raise CommandError(f"M-{measure.number} is already retired.")
    _may_change(ctx, measure, "retire")
    before = _measure_state(measure)
    measure.status, measure.retired_at = "retired", ctx.now
    ctx.session.flush()
    ctx.audit(
        "measure.retired", "measure", measure.id, before=before, after=_measure_state(measure)
    )
    reply = _measure_reply(
        _view_of(ctx, measure), f"M-{measure.number} retired ({ctx.actor.display_name})"
    )
    ctx.announce(reply)
    return reply


# --- what serves a measure ---------------------------------------------------------------------

_MODELS: dict[str, type[Commitment] | type[Decision] | type[Risk]] = {
    "C": Commitment,
    "D": Decision,
    "R": Risk,
}
_KIND_WORD = {"C": "commitment", "D": "decision", "R": "risk"}


def _record_id(ctx: Context, kind: str, number: int) -> int:
    team = ctx.require_team()
    model = _MODELS[kind]
    found = ctx.session.scalars(
        select(model.id).where(model.team_id == team.id, model.number == number)
    ).first()
    if found is None:
        raise CommandError(f"There is no {kind}-{number} in {team.name}.")
    return int(found)


def _link(ctx: Context, measure: Measure, kind: str, number: int) -> None:
    record_id = _record_id(ctx, kind, number)
    exists = ctx.session.scalars(
        select(MeasureLink.id).where(
            MeasureLink.measure_id == measure.id,
            MeasureLink.kind == kind,
            MeasureLink.record_id == record_id,
        )
    ).first()
    if exists is not None:
        raise CommandError(f"{kind}-{number} already serves M-{measure.number}.")
    ctx.session.add(
        MeasureLink(
            measure_id=measure.id,
            kind=kind,
            record_id=record_id,
            created_by_id=ctx.actor.id,
            created_at=ctx.now,
        )
    )
    ctx.session.flush()
    ctx.audit(
        "measure.linked",
        "measure",
        measure.id,
        after={"record": f"{kind}-{number}", "kind": _KIND_WORD[kind], "record_id": record_id},
    )


def link_to_measure(cmd: a.LinkToMeasure, ctx: Context) -> Reply:
    measure = _measure(ctx, cmd.measure, active=True)
    _link(ctx, measure, cmd.kind, cmd.record)
    return Reply(
        headline=f"{cmd.kind}-{cmd.record} serves M-{measure.number} ({measure.name})",
        visibility="channel",
        ref=f"M-{measure.number}",
        data={"record": f"{cmd.kind}-{cmd.record}", "measure": f"M-{measure.number}"},
    )


def log_for_measure(
    cmd: a.LogForMeasure, ctx: Context, log: Callable[[Any, Context], Reply]
) -> Reply:
    """Log the record with its own handler ``log``, then link it to the measure, in the
    same transaction: an unknown or retired measure writes nothing."""
    measure = _measure(ctx, cmd.measure, active=True)
    reply = log(cmd.record, ctx)
    assert reply.ref is not None
    kind, _, number = reply.ref.partition("-")
    _link(ctx, measure, kind, int(number))
    serves = Field("Serves", f"M-{measure.number} {measure.name}")
    return Reply(
        **{
            **reply.__dict__,
            "fields": (*reply.fields, serves),
            "data": {**reply.data, "measure": f"M-{measure.number}"},
        }
    )


def show_measure(number: int, ctx: Context) -> Reply:
    """``show M-n``: the measure, its history (newest first) and what serves it."""
    measure = _measure(ctx, number)
    view = _view_of(ctx, measure)
    history = tuple(
        Item(
            title=number_text(v.value, view.unit),
            ref=v.period,
            fields=(
                (Field("Target line", number_text(round(v.expected, 2), view.unit)),)
                if v.expected is not None
                else ()
            )
            + ((Field("Note", v.note),) if v.note else ()),
        )
        for v in reversed(view.values)
    )
    links = ctx.session.scalars(
        select(MeasureLink)
        .where(MeasureLink.measure_id == measure.id)
        .order_by(MeasureLink.created_at, MeasureLink.id)
    ).all()
    serving: list[Item] = []
    by_kind: dict[str, list[int]] = defaultdict(list)
    for link in links:
        by_kind[link.kind].append(link.record_id)
    for kind in ("C", "D", "R"):
        model = _MODELS[kind]
        if not by_kind[kind]:
            continue
        records = [
            cast(Commitment | Decision | Risk, r)
            for r in ctx.session.scalars(
                select(model).where(model.id.in_(by_kind[kind])).order_by(model.number)
            ).unique()
        ]
        for record in records:
            serving.append(
                Item(
                    title=record.text,
                    ref=f"{kind}-{record.number}",
                    fields=(Field("Status", record.status),),
                )
            )
    reply = _measure_reply(view, f"M-{measure.number}", visibility="private")
    return Reply(
        **{
            **reply.__dict__,
            "sections": (
                Section("Values", history, empty="No values yet."),
                Section("Serving it", tuple(serving), empty="Nothing linked yet."),
            ),
            "data": {**reply.data, "serving": [i.ref for i in serving]},
        }
    )


# --- asking for values in the daily nudge --------------------------------------------------------


@dataclass(frozen=True)
class ValueRequest:
    """A value its owner is asked for: the measure's most recent period has ended without
    one. Asked in the owner's nudge each working day until given."""

    team: Team
    today: dt.date
    measure_id: int
    number: int
    name: str
    unit: str | None
    owner: Person
    period: Period
    working_days_late: int

    @property
    def ref(self) -> str:
        return ref("M", self.number)

    def item(self) -> Item:
        late = (
            f"{self.working_days_late} working day{'s' if self.working_days_late != 1 else ''}"
            if self.working_days_late
            else "due today"
        )
        return Item(
            title=f"{self.name}: the value for {self.period.label}",
            ref=self.ref,
            fields=(
                Field("Period", period_span(self.period)),
                Field("Late", late),
                Field("Or say", f"measure {self.ref} <value> for {self.period.label}"),
            ),
            highlight=self.working_days_late >= LATE_FOR_DIGEST,
            input=NumberInput(
                label=f"{self.ref} for {self.period.label}"
                + (f" ({self.unit})" if self.unit else ""),
                measure=self.number,
                period=self.period.label,
                team_id=self.team.id,
            ),
        )


WorkingDay = Callable[[dt.date, str | None], bool]


def _due_day(period: Period, calendar: str | None, is_working_day: WorkingDay) -> dt.date:
    """The first working day after the period: the day its value is first asked for."""
    d = period.end + dt.timedelta(days=1)
    while not is_working_day(d, calendar):
        d += dt.timedelta(days=1)
    return d


def value_requests(
    session: Session,
    teams: Iterable[tuple[Team, dt.date]],
    *,
    is_working_day: WorkingDay,
) -> list[ValueRequest]:
    """The values to ask for on each team's ``today``: for every active measure, its most
    recent ended period (one that ended on or after the measure was added) when it has
    no value. At most three queries whatever the number of teams: the measures' columns
    (plain rows, no ORM objects), the values of the periods asked about, and the owners of
    the measures actually asked for."""
    today_of = {team.id: (team, today) for team, today in teams}
    if not today_of:
        return []
    measures = session.execute(
        select(
            Measure.id,
            Measure.team_id,
            Measure.number,
            Measure.name,
            Measure.unit,
            Measure.frequency,
            Measure.start_date,
            Measure.owner_id,
        )
        .where(Measure.team_id.in_(list(today_of)), Measure.status == "active")
        .order_by(Measure.team_id, Measure.number)
    ).all()
    wanted: dict[int, Period] = {}
    for m in measures:
        period = last_ended(today_of[m.team_id][1], m.frequency)
        if period.end >= m.start_date:
            wanted[m.id] = period
    if not wanted:
        return []
    # Only the values of the periods asked about (a handful of labels), not every value.
    given = {
        (measure_id, label)
        for measure_id, label in session.execute(
            select(MeasureValue.measure_id, MeasureValue.period).where(
                MeasureValue.measure_id.in_(list(wanted)),
                MeasureValue.period.in_({p.label for p in wanted.values()}),
            )
        )
    }
    lateness: dict[tuple[dt.date, dt.date, str | None], int] = {}

    def working_days_late(period: Period, today: dt.date, calendar: str | None) -> int:
        key = (period.end, today, calendar)
        if key not in lateness:
            due = _due_day(period, calendar, is_working_day)
            late, d = 0, due + dt.timedelta(days=1)
            while d <= today:
                late += is_working_day(d, calendar)
                d += dt.timedelta(days=1)
            lateness[key] = late
        return lateness[key]

    asked = [m for m in measures if m.id in wanted and (m.id, wanted[m.id].label) not in given]
    if not asked:
        return []
    owners = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_({m.owner_id for m in asked}))
        ).unique()
    }
    out = []
    for m in asked:
        period = wanted[m.id]
        team, today = today_of[m.team_id]
        late = working_days_late(period, today, team.holidays)
        out.append(
            ValueRequest(
                team=team,
                today=today,
                measure_id=m.id,
                number=m.number,
                name=m.name,
                unit=m.unit,
                owner=owners[m.owner_id],
                period=period,
                working_days_late=late,
            )
        )
    return out


def by_owner(requests: Iterable[ValueRequest]) -> dict[int, list[ValueRequest]]:
    found: dict[int, list[ValueRequest]] = defaultdict(list)
    for r in requests:
        found[r.owner.id].append(r)
    return found


def nudge_section(requests: Sequence[ValueRequest], *, prefix: str = "") -> Section:
    """The nudge's section asking for values, each with its input."""
    return Section(f"{prefix}Values to give", tuple(r.item() for r in requests))


def late_values_section(requests: Sequence[ValueRequest]) -> Section | None:
    """The digest's section: values two or more working days late."""
    late = [r for r in requests if r.working_days_late >= LATE_FOR_DIGEST]
    if not late:
        return None
    return Section(
        "Measure values late",
        tuple(
            Item(
                title=f"{r.name}: {r.period.label}",
                ref=r.ref,
                fields=(
                    Field("Owner", person_with_department(r.owner)),
                    Field("Late", f"{r.working_days_late} working days"),
                ),
                highlight=True,
            )
            for r in late
        ),
    )
