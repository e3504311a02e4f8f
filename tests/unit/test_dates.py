"""Due-date parsing: British conventions, ISO weeks, and refusing what is not a date."""

from __future__ import annotations

import datetime

import pytest

from commands.dates import UnreadableDate, looks_like_date, parse_when

WEDNESDAY = datetime.date(2026, 11, 18)
FRIDAY = datetime.date(2026, 11, 20)
SATURDAY = datetime.date(2026, 11, 21)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-04", "2026-12-04"),
        ("4/12/2026", "2026-12-04"),
        ("4/12/26", "2026-12-04"),
        ("4-12-2026", "2026-12-04"),
        ("4 dec 26", "2026-12-04"),
        ("4/12", "2026-12-04"),
        ("25/11", "2026-11-25"),
        ("4 Dec", "2026-12-04"),
        ("4th December 2026", "2026-12-04"),
        ("the 4th of December", "2026-12-04"),
        ("Dec 4", "2026-12-04"),
        ("December 4th, 2026", "2026-12-04"),
    ],
)
def test_explicit_dates_are_read_day_first(text: str, expected: str) -> None:
    assert parse_when(text, today=WEDNESDAY) == d(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-18"),
        ("eod", "2026-11-18"),
        ("tonight", "2026-11-18"),
        ("this afternoon", "2026-11-18"),
        ("tomorrow", "2026-11-19"),
        ("tmrw", "2026-11-19"),
        ("tomorrow morning", "2026-11-19"),
        ("friday", "2026-11-20"),
        ("fri", "2026-11-20"),
        ("Thurs", "2026-11-19"),
        ("the 2nd", "2026-12-02"),
        ("mon 7th", "2026-12-07"),
        ("monday", "2026-11-23"),
        ("next friday", "2026-11-27"),
        ("this friday", "2026-11-20"),
        ("friday week", "2026-11-27"),
        ("end of week", "2026-11-20"),
        ("eow", "2026-11-20"),
        ("end of the week", "2026-11-20"),
        ("next week", "2026-11-23"),
        ("end of month", "2026-11-30"),
        ("eom", "2026-11-30"),
        ("end of the month", "2026-11-30"),
        ("end of next month", "2026-12-31"),
        ("next month", "2026-12-01"),
        ("in 2 weeks", "2026-12-02"),
        ("in 3 days", "2026-11-21"),
        ("in a week", "2026-11-25"),
        ("in a fortnight", "2026-12-02"),
        ("in 2 working days", "2026-11-20"),
        ("in 3 business days", "2026-11-23"),
        ("end of year", "2026-12-31"),
        ("end of quarter", "2026-12-31"),
    ],
)
def test_relative_phrases_resolve_from_a_wednesday(text: str, expected: str) -> None:
    assert parse_when(text, today=WEDNESDAY) == d(expected)


def test_phrases_are_read_case_insensitively() -> None:
    assert parse_when("NEXT Friday", today=WEDNESDAY) == parse_when("next friday", today=WEDNESDAY)
    assert parse_when("End Of Month", today=WEDNESDAY) == d("2026-11-30")


@pytest.mark.parametrize("text", ["by Friday", "until friday", "on Friday", "by the friday"])
def test_a_leading_by_until_or_on_is_tolerated(text: str) -> None:
    assert parse_when(text, today=WEDNESDAY) == FRIDAY


def test_by_friday_on_a_friday_means_today() -> None:
    assert parse_when("by Friday", today=FRIDAY) == FRIDAY


def test_next_friday_on_a_friday_is_the_one_in_next_week() -> None:
    assert parse_when("next friday", today=FRIDAY) == d("2026-11-27")


def test_next_friday_on_a_sunday_is_in_the_next_iso_week_not_the_one_after() -> None:
    assert parse_when("next friday", today=d("2026-11-22")) == d("2026-11-27")


def test_this_monday_on_a_wednesday_is_this_weeks_monday_even_though_it_has_passed() -> None:
    assert parse_when("this monday", today=WEDNESDAY) == d("2026-11-16")


def test_end_of_week_on_a_saturday_is_the_coming_friday() -> None:
    assert parse_when("end of week", today=SATURDAY) == d("2026-11-27")


def test_working_days_skip_the_weekend() -> None:
    thursday = d("2026-11-19")
    assert parse_when("in 2 working days", today=thursday) == d("2026-11-23")


def test_a_bare_day_and_month_is_never_in_the_past() -> None:
    assert parse_when("4 Jan", today=d("2026-12-20")) == d("2027-01-04")
    assert parse_when("4/1", today=d("2026-12-20")) == d("2027-01-04")


def test_a_bare_day_and_month_of_today_means_today() -> None:
    assert parse_when("18 Nov", today=WEDNESDAY) == WEDNESDAY


def test_29_february_without_a_year_is_the_next_leap_day() -> None:
    assert parse_when("29/02", today=WEDNESDAY) == d("2028-02-29")


def test_explicit_past_dates_are_returned_as_written() -> None:
    assert parse_when("2026-11-01", today=WEDNESDAY) == d("2026-11-01")


def test_month_arithmetic_rolls_over_the_year() -> None:
    new_years_eve = d("2026-12-31")
    assert parse_when("tomorrow", today=new_years_eve) == d("2027-01-01")
    assert parse_when("next month", today=new_years_eve) == d("2027-01-01")
    assert parse_when("end of next month", today=new_years_eve) == d("2027-01-31")


def test_in_a_month_from_the_31st_lands_on_the_last_day_of_a_short_month() -> None:
    assert parse_when("in 1 month", today=d("2027-01-31")) == d("2027-02-28")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("in 36 hours", "2026-11-20"), ("2 weeks from tomorrow", "2026-12-03")],
)
def test_dateparser_reads_forms_our_rules_do_not(text: str, expected: str) -> None:
    assert parse_when(text, today=WEDNESDAY) == d(expected)


def test_without_dateparser_only_our_own_rules_are_used() -> None:
    with pytest.raises(UnreadableDate):
        parse_when("2 weeks from tomorrow", today=WEDNESDAY, use_dateparser=False)
    assert parse_when("by friday", today=WEDNESDAY, use_dateparser=False) == FRIDAY


@pytest.mark.parametrize(
    "text",
    ["", "   ", "flurbsday", "someday", "the team", "2026-13-45", "31/02", "32 Dec", "5",
     "in 10 years"],
)  # fmt: skip
def test_nonsense_impossible_and_far_away_dates_are_refused(text: str) -> None:
    with pytest.raises(UnreadableDate):
        parse_when(text, today=WEDNESDAY)


def test_the_refusal_names_the_words_and_shows_two_forms_that_work() -> None:
    with pytest.raises(UnreadableDate) as caught:
        parse_when("flurbsday", today=WEDNESDAY)
    assert caught.value.words == "flurbsday"
    message = str(caught.value)
    assert '"flurbsday"' in message
    assert '"by Friday"' in message
    assert '"by 2026-12-02"' in message  # an ISO example two weeks ahead, so never in the past


def test_an_unreadable_date_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_when("someday", today=WEDNESDAY)


@pytest.mark.parametrize(
    "text",
    ["friday", "Friday please", "4/12", "2026-12-04", "end of the month", "tmrw",
     "in 2 working days", "4th Dec", "next week", "eom"],
)  # fmt: skip
def test_date_shaped_text_looks_like_a_date(text: str) -> None:
    assert looks_like_date(text)


@pytest.mark.parametrize("text", ["", "the team", "flurbsday", "someone in housing", "5"])
def test_ordinary_words_do_not_look_like_a_date(text: str) -> None:
    assert not looks_like_date(text)
