"""The measures' read model: each measure with its values and target line, and the
outcome report that leads the summary and the workbook."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commands.measure_status import (
    Status,
    Trend,
    expected_value,
    measure_status,
    number_text,
    trend,
)
from commands.presenting import day, ref
from commands.reply import Field, Item, Section
from storage.models import Measure, MeasureValue, OutcomeStatement

_TREND_MARK = {"better": "better", "worse": "worse", "same": "no change"}


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


def measure_view(m: Measure, rows: Sequence[MeasureValue]) -> MeasureView:
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
    return [measure_view(m, values[m.id]) for m in measures]


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
