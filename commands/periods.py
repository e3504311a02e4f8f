"""Reporting periods of a measure: ISO weeks, calendar months and quarters, in team time.

A measure is reported every week, month or quarter. A period is named the way
people write it: ``2026-W48`` (an ISO week, Monday to Sunday; some years have a
week 53), ``2026-11`` (a calendar month), ``2026-Q4`` (a calendar quarter).
Which period "now" falls in is decided by the team's local calendar date, so a
value recorded at 23:30 on 30 November in London counts for November even
though it is already December somewhere else, and 00:30 on 1 December London
time (still 30 November in New York) counts for December in a London team.

Pure functions, no database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

FREQUENCIES = ("week", "month", "quarter")
_ADJECTIVE = {"week": "weekly", "month": "monthly", "quarter": "quarterly"}
_EXAMPLE = {"week": "2026-W48", "month": "2026-11", "quarter": "2026-Q4"}

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q(\d)$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period that is written wrongly, does not exist, or does not fit the measure."""


def adjective(frequency: str) -> str:
    """``month`` -> ``monthly``."""
    return _ADJECTIVE[frequency]


def example(frequency: str) -> str:
    return _EXAMPLE[frequency]


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: ``frequency`` is week, month or quarter; ``index`` is the ISO
    week number, the month (1-12) or the quarter (1-4) within ``year`` (the ISO year for
    weeks, which can differ from the calendar year around New Year)."""

    frequency: str
    year: int
    index: int

    @property
    def label(self) -> str:
        if self.frequency == "week":
            return f"{self.year}-W{self.index:02d}"
        if self.frequency == "month":
            return f"{self.year}-{self.index:02d}"
        return f"{self.year}-Q{self.index}"

    @property
    def start(self) -> dt.date:
        """The first day of the period."""
        if self.frequency == "week":
            return dt.date.fromisocalendar(self.year, self.index, 1)
        if self.frequency == "month":
            return dt.date(self.year, self.index, 1)
        return dt.date(self.year, 3 * self.index - 2, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period (inclusive)."""
        return self.next().start - dt.timedelta(days=1)

    def next(self) -> Period:
        if self.frequency == "week":
            return period_of(self.start + dt.timedelta(days=7), "week")
        last = 12 if self.frequency == "month" else 4
        if self.index == last:
            return Period(self.frequency, self.year + 1, 1)
        return Period(self.frequency, self.year, self.index + 1)

    def previous(self) -> Period:
        if self.frequency == "week":
            return period_of(self.start - dt.timedelta(days=1), "week")
        if self.index == 1:
            return Period(self.frequency, self.year - 1, 12 if self.frequency == "month" else 4)
        return Period(self.frequency, self.year, self.index - 1)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label


def period_of(day: dt.date, frequency: str) -> Period:
    """The period of ``frequency`` that contains the calendar date ``day``."""
    if frequency == "week":
        iso = day.isocalendar()
        return Period("week", iso.year, iso.week)
    if frequency == "month":
        return Period("month", day.year, day.month)
    if frequency == "quarter":
        return Period("quarter", day.year, (day.month - 1) // 3 + 1)
    raise PeriodError(f'"{frequency}" is not a reporting period; say week, month or quarter.')


def local_date(now: dt.datetime, timezone: str) -> dt.date:
    """The calendar date at ``now`` (aware) in ``timezone``."""
    return now.astimezone(ZoneInfo(timezone)).date()


def current_period(now: dt.datetime, timezone: str, frequency: str) -> Period:
    """The period ``now`` falls in, by the team's local calendar."""
    return period_of(local_date(now, timezone), frequency)


@lru_cache(maxsize=1024)
def last_ended(today: dt.date, frequency: str) -> Period:
    """The most recent period that ended before ``today``."""
    return period_of(today, frequency).previous()


def looks_like_period(text: str) -> bool:
    """Written like a week, a month or a quarter (whether or not it exists)."""
    text = text.strip()
    return bool(_WEEK.match(text) or _MONTH.match(text) or _QUARTER.match(text))


def frequency_of(text: str) -> str:
    """Which kind of period ``text`` is written as; PeriodError when it is none."""
    text = text.strip()
    if _WEEK.match(text):
        return "week"
    if _MONTH.match(text):
        return "month"
    if _QUARTER.match(text):
        return "quarter"
    raise PeriodError(
        f'"{text}" is not a period; write a month like 2026-11, a week like 2026-W48 '
        "or a quarter like 2026-Q4."
    )


def parse_period(text: str, frequency: str) -> Period:
    """``2026-W48``, ``2026-11`` or ``2026-Q4`` as a Period of ``frequency``.

    PeriodError (with a message fit to show) when it is not written as a period, does
    not exist (month 13, Q5, week 53 of a 52-week year), or is another kind of period
    than the measure's.
    """
    text = text.strip()
    kind = frequency_of(text)
    if kind != frequency:
        raise PeriodError(
            f'"{text}" is a {kind}, but this measure is {adjective(frequency)}; '
            f"give a {frequency} like {example(frequency)}."
        )
    if kind == "week":
        m = _WEEK.match(text)
        assert m is not None
        year, index = int(m.group(1)), int(m.group(2))
        try:
            dt.date.fromisocalendar(year, index, 1)
        except ValueError:
            raise PeriodError(
                f"{year} has no week {index}; ISO weeks run from W01 to W52 (W53 in some years)."
            ) from None
    elif kind == "month":
        m = _MONTH.match(text)
        assert m is not None
        year, index = int(m.group(1)), int(m.group(2))
        if not 1 <= index <= 12:
            raise PeriodError(f'"{text}" has no month {index}; months run from 01 to 12.')
    else:
        m = _QUARTER.match(text)
        assert m is not None
        year, index = int(m.group(1)), int(m.group(2))
        if not 1 <= index <= 4:
            raise PeriodError(f'"{text}" has no quarter {index}; quarters run from Q1 to Q4.')
    if year < 2000:
        raise PeriodError(f"{text} is before this log began.")
    return Period(kind, year, index)
