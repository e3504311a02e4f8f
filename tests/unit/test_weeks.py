"""Which week a summary covers: parsing, defaults and boundaries in the team's timezone."""

from __future__ import annotations

import datetime as dt

import pytest

from commands.actions import ShowWeeklySummary
from commands.language import CommandError
from commands.parsing import parse
from commands.weekly import IsoWeek, last_full_week, parse_week, summary_filename

WEDNESDAY = dt.date(2026, 11, 18)  # in 2026-W47


def test_no_week_means_the_last_full_iso_week() -> None:
    assert parse_week(None, today=WEDNESDAY) == IsoWeek(2026, 46)
    assert parse_week("", today=WEDNESDAY) == IsoWeek(2026, 46)
    # On a Sunday the current week is not over yet, so it is still the one before.
    assert last_full_week(dt.date(2026, 11, 22)) == IsoWeek(2026, 46)
    assert last_full_week(dt.date(2026, 11, 23)) == IsoWeek(2026, 47)


@pytest.mark.parametrize(
    ("text", "week"),
    [
        ("this week", IsoWeek(2026, 47)),
        ("This  Week", IsoWeek(2026, 47)),
        ("last week", IsoWeek(2026, 46)),
        ("2026-W47", IsoWeek(2026, 47)),
        ("2026-w05", IsoWeek(2026, 5)),
        ("2026W5", IsoWeek(2026, 5)),
        ("2020-W53", IsoWeek(2020, 53)),
    ],
)
def test_a_week_can_be_named_in_words_or_as_an_iso_week(text: str, week: IsoWeek) -> None:
    assert parse_week(text, today=WEDNESDAY) == week


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("next tuesday", "is not a week"),
        ("2026-47", "is not a week"),
        ("2026-W54", "has no week 54"),
        ("2025-W53", "has no week 53"),  # 2025 has 52 ISO weeks
        ("2026-W00", "has no week 0"),
        ("2026-W48", "hasn't started yet"),
        ("1999-W10", "before this log began"),
    ],
)
def test_a_bad_week_is_refused_with_a_specific_message_and_the_usage(text: str, says: str) -> None:
    with pytest.raises(CommandError) as raised:
        parse_week(text, today=WEDNESDAY)
    assert says in raised.value.message
    assert raised.value.usage and raised.value.usage.startswith("summary")


def test_week_bounds_are_local_midnights_across_a_clock_change() -> None:
    # 2026-W43 in London: Mon 19 Oct (BST, UTC+1) to Mon 26 Oct (GMT); clocks go back on the 25th.
    start, end = IsoWeek(2026, 43).bounds("Europe/London")
    assert start == dt.datetime(2026, 10, 18, 23, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 10, 26, 0, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=7, hours=1)


def test_the_summary_command_keeps_the_week_as_typed() -> None:
    assert parse("summary") == ShowWeeklySummary(week=None)
    assert parse("summary last week") == ShowWeeklySummary(week="last week")
    assert parse("/summary 2026-W47") == ShowWeeklySummary(week="2026-W47")


def test_the_file_name_is_a_safe_slug_of_the_team_and_the_week() -> None:
    assert summary_filename("Rough Sleeping", IsoWeek(2026, 47)) == (
        "joinedup-rough-sleeping-2026-W47.xlsx"
    )
    assert summary_filename("../=Évry / 2", IsoWeek(2026, 1)) == "joinedup-evry-2-2026-W01.xlsx"
    assert summary_filename("***", IsoWeek(2026, 1)) == "joinedup-team-2026-W01.xlsx"
