"""The dates people type at the end of a commitment, read as the command language reads them:
the trailing date phrase is taken out of the text (``split_trailing_date``) and read in the
team's calendar (``parse_when``). One row per phrasing: the exact date and the text left."""

from __future__ import annotations

import datetime

import pytest

from commands.dates import parse_when, split_trailing_date

MONDAY = datetime.date(2026, 11, 30)  # Mon 30 Nov 2026
WEDNESDAY = datetime.date(2026, 11, 18)
NEW_YEARS_EVE = datetime.date(2026, 12, 31)  # a Thursday
FRIDAY = datetime.date(2026, 12, 4)

ROWS = [
    # (today, what was typed, the text left, the due date or None)
    (MONDAY, "Send the DPIA by Friday", "Send the DPIA", "2026-12-04"),
    (MONDAY, "Book the venue next Tuesday", "Book the venue", "2026-12-08"),
    (MONDAY, "Circulate the minutes in 3 working days", "Circulate the minutes", "2026-12-03"),
    (MONDAY, "send the figures on Thursday", "send the figures", "2026-12-03"),
    (MONDAY, "Send the pack before the board meets on the 9th", "Send the pack", "2026-12-09"),
    (MONDAY, "Draft the letter by Tuesday next week", "Draft the letter", "2026-12-08"),
    (MONDAY, "Review the ToR close of play Friday", "Review the ToR", "2026-12-04"),
    (MONDAY, "Confirm numbers EOD Monday", "Confirm numbers", "2026-11-30"),
    (MONDAY, "Review the by-laws by hand", "Review the by-laws by hand", None),
    (MONDAY, "Send the return by 25 Nov", "Send the return", "2026-11-25"),
    (MONDAY, "Send the return by 25/11", "Send the return", "2026-11-25"),
    (MONDAY, "Plan the launch by 15 Jan", "Plan the launch", "2027-01-15"),
    (MONDAY, "Chase the GP practices tomorrow", "Chase the GP practices", "2026-12-01"),
    (MONDAY, "Chase the GP practices by tomorrow", "Chase the GP practices", "2026-12-01"),
    (
        MONDAY,
        "Write the options paper no later than 4 Dec",
        "Write the options paper",
        "2026-12-04",
    ),
    (MONDAY, "Hold the rota until Wednesday", "Hold the rota", "2026-12-02"),
    (MONDAY, "Update the risk register before Wednesday", "Update the risk register", "2026-12-02"),
    (MONDAY, "Submit the bid by end of month", "Submit the bid", "2026-11-30"),
    (MONDAY, "Submit the bid end of next month", "Submit the bid", "2026-12-31"),
    (MONDAY, "Draft the plan for next year", "Draft the plan for next year", None),
    (MONDAY, "Share the Friday update", "Share the Friday update", None),
    (MONDAY, "Book the room in 2 weeks", "Book the room", "2026-12-14"),
    (MONDAY, "Send the slides tonight", "Send the slides", "2026-11-30"),
    (MONDAY, "Do it now", "Do it now", None),
    (
        MONDAY,
        "Send the report written by the housing team analysts",
        "Send the report written by the housing team analysts",
        None,
    ),
    (MONDAY, "Agree the budget by the 9th", "Agree the budget", "2026-12-09"),
    (MONDAY, "Agree the budget on the 2nd", "Agree the budget", "2026-12-02"),
    (MONDAY, "Finish the evaluation by end of quarter", "Finish the evaluation", "2026-12-31"),
    (MONDAY, "Circulate the draft by 4/12/2026", "Circulate the draft", "2026-12-04"),
    (MONDAY, "Circulate the draft by 2026-12-04", "Circulate the draft", "2026-12-04"),
    (MONDAY, "Send the invoice this week", "Send the invoice", "2026-12-04"),
    (MONDAY, "Send the invoice by next week", "Send the invoice", "2026-12-07"),
    (MONDAY, "Call the ward manager Wednesday", "Call the ward manager", "2026-12-02"),
    (MONDAY, "Call the ward manager on Wednesday.", "Call the ward manager", "2026-12-02"),
    (MONDAY, "Send the DPIA to IG by Friday week", "Send the DPIA to IG", "2026-12-11"),
    (MONDAY, "Book the away day by 1 December", "Book the away day", "2026-12-01"),
    (MONDAY, "Write to the MP by Dec 3rd", "Write to the MP", "2026-12-03"),
    (MONDAY, "Renew the contract by end of March", "Renew the contract", "2027-03-31"),
    (MONDAY, "Get sign-off by end of financial year", "Get sign-off", "2027-03-31"),
    (MONDAY, "Book the team lunch before Christmas", "Book the team lunch", "2026-12-25"),
    (MONDAY, "Ring the hostel by 3pm tomorrow", "Ring the hostel", "2026-12-01"),
    (MONDAY, "Send the DPIA by flurbsday", "Send the DPIA", "unreadable"),
    (WEDNESDAY, "Send the DPIA by Friday", "Send the DPIA", "2026-11-20"),
    (WEDNESDAY, "Book the venue next Tuesday", "Book the venue", "2026-11-24"),
    (WEDNESDAY, "Circulate the minutes in 3 working days", "Circulate the minutes", "2026-11-23"),
    (WEDNESDAY, "Send the return by 25 Nov", "Send the return", "2026-11-25"),
    (WEDNESDAY, "Write it up by Tuesday next week", "Write it up", "2026-11-24"),
    (WEDNESDAY, "Before the board meets on the 9th", "", "2026-12-09"),
    (NEW_YEARS_EVE, "File the return by 5 Jan", "File the return", "2027-01-05"),
    (NEW_YEARS_EVE, "File the return by 29 Dec", "File the return", "2026-12-29"),
    (NEW_YEARS_EVE, "Close the accounts by 30/12", "Close the accounts", "2026-12-30"),
    (NEW_YEARS_EVE, "Start the pilot by Monday", "Start the pilot", "2027-01-04"),
    (FRIDAY, "Review the rota by Friday", "Review the rota", "2026-12-04"),
    (FRIDAY, "Review the rota by next Friday", "Review the rota", "2026-12-11"),
]


@pytest.mark.parametrize(("today", "typed", "text", "due"), ROWS)
def test_a_typed_date_phrase_gives_the_exact_date_and_leaves_the_rest_as_text(
    today: datetime.date, typed: str, text: str, due: str | None
) -> None:
    head, phrase = split_trailing_date(typed)
    assert head == text
    if due is None:
        assert phrase is None
    elif due == "unreadable":
        assert phrase is not None
        with pytest.raises(ValueError):
            parse_when(phrase, today=today)
    else:
        assert phrase is not None
        assert parse_when(phrase, today=today) == datetime.date.fromisoformat(due)


def test_there_are_at_least_forty_phrasings() -> None:
    assert len(ROWS) >= 40


@pytest.mark.parametrize(
    ("typed", "today", "expected"),
    [
        ("25 Nov", MONDAY, "2026-11-25"),  # just gone: not next November
        ("25/11", MONDAY, "2026-11-25"),
        ("15 Jan", MONDAY, "2027-01-15"),  # soon: next January, not last
        ("2 Jan", NEW_YEARS_EVE, "2027-01-02"),
        ("28 Dec", datetime.date(2027, 1, 3), "2026-12-28"),  # last week, across the year
    ],
)
def test_a_day_and_month_without_a_year_take_the_nearest_year(
    typed: str, today: datetime.date, expected: str
) -> None:
    assert parse_when(typed, today=today) == datetime.date.fromisoformat(expected)
