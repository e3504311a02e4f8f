"""The live view's pure pieces: CSV cells and the completion chart's scale."""

from __future__ import annotations

import datetime as dt

from commands.views import WeekTrend
from integrations.web.app import trend_chart
from integrations.web.csv_export import csv_cell, to_csv


def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe() -> None:
    for text in ("=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"):
        assert csv_cell(text).startswith("'"), text
    assert csv_cell("plain text") == "plain text"
    assert csv_cell(-3) == "-3"  # a number is a number
    assert csv_cell(dt.date(2026, 11, 18)) == "2026-11-18"
    assert csv_cell(None) == ""
    assert csv_cell("bell\x07") == "bell"


def test_a_csv_opens_as_utf8_in_excel() -> None:
    body = to_csv(["Owner"], [["Siân"]])
    assert body.startswith("\ufeff".encode()) and "Siân".encode() in body


def test_the_chart_counts_whole_commitments_from_zero() -> None:
    weeks = [WeekTrend(week=f"2026-W{n:02d}", on_time=n % 4, late=n % 3) for n in range(36, 48)]
    chart = trend_chart(weeks)
    values = [v for _y, v in chart.ticks]
    assert values[0] == 0 and all(isinstance(v, int) for v in values)
    assert values[-1] >= max(w.on_time + w.late for w in weeks)
    assert len(chart.bars) == 12 and chart.bars[0].label == "W36"
    empty = trend_chart([WeekTrend(week="2026-W47", on_time=0, late=0)])
    assert [v for _y, v in empty.ticks] == [0, 1, 2, 3, 4, 5]
