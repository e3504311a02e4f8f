"""The measure values the daily nudge asks for (a period ended without one), and the
digest's section of values two or more working days late."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from commands.periods import Period, last_ended
from commands.presenting import person_with_department, ref
from commands.reply import Field, Item, NumberInput, Section
from storage.models import Measure, MeasureValue, Person, Team

# A value this many working days past its due day shows in the channel digest.
LATE_FOR_DIGEST = 2


def period_span(period: Period) -> str:
    """``1 Nov – 30 Nov 2026``."""
    first, last = period.start, period.end
    year = f" {first.year}" if first.year != last.year else ""
    return f"{first.day} {first:%b}{year} – {last.day} {last:%b %Y}"


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
