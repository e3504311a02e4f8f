"""Reporting periods: ISO weeks (across year ends, week 53), months and quarters, read in
the team's timezone."""

from __future__ import annotations

import datetime as dt

import pytest

from commands.periods import (
    Period,
    PeriodError,
    current_period,
    last_ended,
    parse_period,
    period_of,
)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("day", "frequency", "label", "start", "end"),
    [
        ("2026-11-30", "week", "2026-W49", "2026-11-30", "2026-12-06"),
        ("2026-11-29", "week", "2026-W48", "2026-11-23", "2026-11-29"),
        # 2026 has 53 ISO weeks: 31 Dec 2026 (a Thursday) and 3 Jan 2027 are in 2026-W53.
        ("2026-12-31", "week", "2026-W53", "2026-12-28", "2027-01-03"),
        ("2027-01-03", "week", "2026-W53", "2026-12-28", "2027-01-03"),
        ("2027-01-04", "week", "2027-W01", "2027-01-04", "2027-01-10"),
        # 29 Dec 2025 (a Monday) already belongs to 2026-W01.
        ("2025-12-29", "week", "2026-W01", "2025-12-29", "2026-01-04"),
        ("2026-11-30", "month", "2026-11", "2026-11-01", "2026-11-30"),
        ("2028-02-15", "month", "2028-02", "2028-02-01", "2028-02-29"),
        ("2026-12-31", "month", "2026-12", "2026-12-01", "2026-12-31"),
        ("2026-11-30", "quarter", "2026-Q4", "2026-10-01", "2026-12-31"),
        ("2026-01-01", "quarter", "2026-Q1", "2026-01-01", "2026-03-31"),
        ("2026-06-30", "quarter", "2026-Q2", "2026-04-01", "2026-06-30"),
    ],
)
def test_a_day_falls_in_one_period_with_its_first_and_last_day(
    day: str, frequency: str, label: str, start: str, end: str
) -> None:
    period = period_of(d(day), frequency)
    assert (period.label, period.start, period.end) == (label, d(start), d(end))
    assert period.contains(d(day))


@pytest.mark.parametrize(
    ("label", "frequency", "previous", "following"),
    [
        ("2026-W53", "week", "2026-W52", "2027-W01"),
        ("2027-W01", "week", "2026-W53", "2027-W02"),
        ("2026-W01", "week", "2025-W52", "2026-W02"),
        ("2026-01", "month", "2025-12", "2026-02"),
        ("2026-12", "month", "2026-11", "2027-01"),
        ("2026-Q1", "quarter", "2025-Q4", "2026-Q2"),
        ("2026-Q4", "quarter", "2026-Q3", "2027-Q1"),
    ],
)
def test_periods_step_back_and_forward_across_year_ends(
    label: str, frequency: str, previous: str, following: str
) -> None:
    period = parse_period(label, frequency)
    assert period.previous().label == previous
    assert period.next().label == following
    assert period.next().start == period.end + dt.timedelta(days=1)


def test_the_period_ended_before_a_day_is_the_one_before_it() -> None:
    assert last_ended(d("2026-12-01"), "month").label == "2026-11"
    assert last_ended(d("2027-01-04"), "week").label == "2026-W53"
    assert last_ended(d("2027-01-04"), "quarter").label == "2026-Q4"
    assert last_ended(d("2026-11-30"), "month").label == "2026-10"


@pytest.mark.parametrize(
    ("now", "timezone", "frequency", "label"),
    [
        # 23:30 UTC on 30 Nov is still November in London (GMT) ...
        ("2026-11-30T23:30:00+00:00", "Europe/London", "month", "2026-11"),
        # ... but already December in Berlin (CET, UTC+1).
        ("2026-11-30T23:30:00+00:00", "Europe/Berlin", "month", "2026-12"),
        # 04:30 UTC on 1 Dec is still 30 November in New York.
        ("2026-12-01T04:30:00+00:00", "America/New_York", "month", "2026-11"),
        ("2026-12-01T04:30:00+00:00", "Europe/London", "month", "2026-12"),
        # Sunday 23:30 in London, Monday in Berlin: different ISO weeks.
        ("2026-11-29T23:30:00+00:00", "Europe/London", "week", "2026-W48"),
        ("2026-11-29T23:30:00+00:00", "Europe/Berlin", "week", "2026-W49"),
        # New Year's Eve 23:30 London (GMT) is Q4; in Sydney it is already Q1 of 2027.
        ("2026-12-31T23:30:00+00:00", "Europe/London", "quarter", "2026-Q4"),
        ("2026-12-31T13:30:00+00:00", "Australia/Sydney", "quarter", "2027-Q1"),
        # British Summer Time: 23:30 UTC on 30 June is 00:30 on 1 July in London.
        ("2026-06-30T23:30:00+00:00", "Europe/London", "quarter", "2026-Q3"),
    ],
)
def test_the_current_period_is_read_in_the_teams_timezone_around_midnight(
    now: str, timezone: str, frequency: str, label: str
) -> None:
    assert current_period(dt.datetime.fromisoformat(now), timezone, frequency).label == label


@pytest.mark.parametrize(
    ("text", "frequency", "expected"),
    [
        ("2026-W48", "week", Period("week", 2026, 48)),
        ("2026w5", "week", Period("week", 2026, 5)),
        ("2026-W53", "week", Period("week", 2026, 53)),
        ("2026-11", "month", Period("month", 2026, 11)),
        ("2026-3", "month", Period("month", 2026, 3)),
        ("2026-Q4", "quarter", Period("quarter", 2026, 4)),
        ("2026q1", "quarter", Period("quarter", 2026, 1)),
    ],
)
def test_periods_are_read_as_people_write_them(text: str, frequency: str, expected: Period) -> None:
    assert parse_period(text, frequency) == expected


@pytest.mark.parametrize(
    ("text", "frequency", "words"),
    [
        ("November", "month", "is not a period"),
        ("2026/11", "month", "is not a period"),
        ("30-11-2026", "month", "is not a period"),
        ("2026-13", "month", "has no month 13"),
        ("2026-00", "month", "has no month 0"),
        ("2026-Q5", "quarter", "has no quarter 5"),
        ("2027-W53", "week", "2027 has no week 53"),
        ("2026-W00", "week", "2026 has no week 0"),
        ("2026-11", "week", "is a month, but this measure is weekly"),
        ("2026-W48", "quarter", "is a week, but this measure is quarterly"),
        ("1999-12", "month", "before this log began"),
    ],
)
def test_a_period_written_wrongly_or_of_another_kind_is_refused_with_a_reason(
    text: str, frequency: str, words: str
) -> None:
    with pytest.raises(PeriodError) as refused:
        parse_period(text, frequency)
    assert words in str(refused.value)
