"""The status rule: red, amber or green against the straight line from the baseline to the
target at the target date (amber within 10% of the planned change), and the trend."""

from __future__ import annotations

import datetime as dt

import pytest

from commands.measure_status import expected_value, measure_status, number_text, trend

START = dt.date(2026, 1, 1)
TARGET_DATE = dt.date(2026, 12, 31)  # 364 days after START
MIDYEAR = dt.date(2026, 7, 2)  # 182 days: exactly half-way along the line


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (dt.date(2025, 12, 1), 100.0),  # before the start: the baseline
        (START, 100.0),
        (MIDYEAR, 70.0),  # half-way from 100 to 40
        (TARGET_DATE, 40.0),
        (dt.date(2027, 3, 1), 40.0),  # after the target date: the target
    ],
)
def test_the_target_line_runs_straight_from_baseline_to_target(
    on: dt.date, expected: float
) -> None:
    value = expected_value(baseline=100, target=40, start=START, target_date=TARGET_DATE, on=on)
    assert value == pytest.approx(expected)


# Lower is better: 100 rough sleepers down to 40 by the end of the year (a change of 60, so
# the amber band is 6). Half-way through the line expects 70.
LOWER = [
    (70.0, "green"),  # on the line
    (65.0, "green"),  # ahead of it
    (76.0, "amber"),  # 6 behind: within 10% of the change
    (76.5, "red"),  # 6.5 behind
    (100.0, "red"),  # not moved
]
# Higher is better: 20% discharged within 7 days up to 80% (change 60, band 6); half-way
# expects 50.
HIGHER = [
    (50.0, "green"),
    (55.0, "green"),
    (44.0, "amber"),
    (43.9, "red"),
    (20.0, "red"),
]


@pytest.mark.parametrize(("value", "status"), LOWER)
def test_lower_is_better_is_green_at_or_below_the_line(value: float, status: str) -> None:
    assert (
        measure_status(
            value=value,
            baseline=100,
            target=40,
            start=START,
            target_date=TARGET_DATE,
            on=MIDYEAR,
            lower_is_better=True,
        )
        == status
    )


@pytest.mark.parametrize(("value", "status"), HIGHER)
def test_higher_is_better_is_green_at_or_above_the_line(value: float, status: str) -> None:
    assert (
        measure_status(
            value=value,
            baseline=20,
            target=80,
            start=START,
            target_date=TARGET_DATE,
            on=MIDYEAR,
            lower_is_better=False,
        )
        == status
    )


@pytest.mark.parametrize(
    ("value", "on", "status"),
    [
        (40.0, dt.date(2027, 2, 1), "green"),  # past the target date, target met
        (45.0, dt.date(2027, 2, 1), "amber"),  # past it, 5 short (band 6)
        (47.0, dt.date(2027, 2, 1), "red"),
        (100.0, START, "green"),  # at the start nothing is expected yet
        (101.0, START, "amber"),
    ],
)
def test_the_line_is_read_on_the_day_the_value_describes(
    value: float, on: dt.date, status: str
) -> None:
    got = measure_status(
        value=value,
        baseline=100,
        target=40,
        start=START,
        target_date=TARGET_DATE,
        on=on,
        lower_is_better=True,
    )
    assert got == status


@pytest.mark.parametrize(
    ("value", "lower_is_better", "status"),
    [
        (40.0, True, "green"),  # target reached
        (60.0, True, "amber"),  # better than the baseline, not there yet
        (100.0, True, "red"),  # no better than the baseline
        (120.0, True, "red"),
        (80.0, False, "green"),
        (50.0, False, "amber"),
        (20.0, False, "red"),
    ],
)
def test_without_a_target_date_green_means_the_target_is_reached(
    value: float, lower_is_better: bool, status: str
) -> None:
    baseline, target = (100, 40) if lower_is_better else (20, 80)
    got = measure_status(
        value=value,
        baseline=baseline,
        target=target,
        start=START,
        target_date=None,
        on=MIDYEAR,
        lower_is_better=lower_is_better,
    )
    assert got == status


@pytest.mark.parametrize(
    ("previous", "latest", "lower_is_better", "expected"),
    [
        (None, 5.0, False, None),
        (5.0, 6.0, False, "better"),
        (5.0, 4.0, False, "worse"),
        (5.0, 4.0, True, "better"),
        (5.0, 6.0, True, "worse"),
        (5.0, 5.0, True, "same"),
    ],
)
def test_the_trend_follows_the_measures_direction(
    previous: float | None, latest: float, lower_is_better: bool, expected: str | None
) -> None:
    assert trend(previous, latest, lower_is_better=lower_is_better) == expected


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1200.0, None, "1,200"),
        (12.5, "days", "12.5 days"),
        (45.0, "%", "45%"),
        (-3.0, None, "-3"),
        (0.125, None, "0.12"),
    ],
)
def test_numbers_read_plainly(value: float, unit: str | None, text: str) -> None:
    assert number_text(value, unit) == text
